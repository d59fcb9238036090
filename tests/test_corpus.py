import hashlib
import unicodedata
from pathlib import Path

import pytest

from polner.corpus import clean_text, find_published_date, find_source, guess_title, ingest, make_doc_id
from polner.issues import PolnerError
from polner.layout import Layout

FIXTURES = Path(__file__).parent / "fixtures" / "raw"


@pytest.fixture
def cleaned():
    return clean_text((FIXTURES / "chrome.txt").read_text(encoding="utf-8"), "fr")


def test_site_chrome_is_removed_and_named(cleaned):
    rules = [rule for rule, _ in cleaned.chrome_lines]
    assert rules == ["search-box", "section-banner", "page-timestamp", "agency-code", "credit-line",
                     "read-also", "tag-list", "tag-list", "comments-widget", "mobile-widget"]
    for chrome in ("Rechercher", "Dernières Infos", "#Kazakhstan", "Comments are closed", "Crédit Photo", "AFP"):
        assert chrome not in cleaned.text


def test_layout_lines_of_a_cut_quote_are_joined(cleaned):
    assert 'Il a déclaré que la relation est "exemplaire", selon un communiqué.' in cleaned.paragraphs


def test_repeated_and_truncated_paragraphs_are_dropped(cleaned):
    assert cleaned.paragraphs.count("Vladimir Poutine est arrivé à Astana.") == 1
    assert cleaned.repeated_paragraphs == (
        "Vladimir Poutine est arrivé à Astana.",
        "Une phrase encore qui vient ici, assez longue pour...",
    )


def test_paragraphs_are_separated_by_a_blank_line_and_the_text_ends_with_newline(cleaned):
    assert cleaned.text == "\n\n".join(cleaned.paragraphs) + "\n"
    assert "\n\n\n" not in cleaned.text


def test_nfc_line_ends_and_spaces_are_normalised():
    raw = (FIXTURES / "crlf-nbsp.txt").read_bytes().decode("utf-8")
    nfd = unicodedata.normalize("NFD", raw)
    text = clean_text(nfd, "fr").text
    assert text == "Le président russe\n\nVladimir Poutine est venu.\n"
    assert unicodedata.is_normalized("NFC", text)


def test_metadata_is_taken_only_from_what_the_text_shows(cleaned):
    assert guess_title(cleaned) == "Le Kremlin salue une visite à Astana"
    assert find_source(cleaned) == "Le Journal"
    assert find_published_date(cleaned) == "2025-11-11"
    plain = clean_text("Le président est venu le 9 novembre.\n", "fr")
    assert (guess_title(plain), find_source(plain), find_published_date(plain)) == (None, None, None)


def test_document_ids_are_readable_and_unique(cleaned):
    assert make_doc_id("fr", cleaned, []) == "fr-kremlin-salue-visite-astana"
    assert make_doc_id("fr", cleaned, ["fr-kremlin-salue-visite-astana"]) == "fr-kremlin-salue-visite-astana-2"


def test_ingest_keeps_raw_verbatim_and_is_idempotent(tmp_path):
    layout = Layout(tmp_path)
    seed = FIXTURES / "chrome.txt"
    first = ingest(layout, seed, "fr")
    assert first.created
    raw_copy = layout.raw_path("fr", first.meta.id)
    assert raw_copy.read_bytes() == seed.read_bytes()
    assert first.meta.raw_sha256 == hashlib.sha256(seed.read_bytes()).hexdigest()
    assert first.meta.url is None and first.meta.authors == ()
    again = ingest(layout, seed, "fr")
    assert not again.created and again.meta.id == first.meta.id
    assert layout.document_ids("fr") == [first.meta.id]


def test_ingest_rejects_invalid_utf8(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Le pr\xe9sident\n")
    with pytest.raises(PolnerError, match=r"bad\.txt: not valid UTF-8 \(byte 5\)"):
        ingest(Layout(tmp_path / "repo"), bad, "fr")
    assert not (tmp_path / "repo" / "corpus").exists()


def test_the_committed_texts_are_derived_from_the_raw_files():
    root = Path(__file__).resolve().parent.parent
    layout = Layout(root)
    for doc_id in layout.document_ids("fr"):
        raw = layout.raw_path("fr", doc_id).read_text(encoding="utf-8")
        assert clean_text(raw, "fr").text == layout.text_path("fr", doc_id).read_text(encoding="utf-8")
SEED_TEXT = "Vladimir Poutine est arrivé mercredi à Astana pour une visite d'État.\n"


def test_ingest_uses_the_id_it_is_given(tmp_path):
    seed = tmp_path / "seed.txt"
    seed.write_text(SEED_TEXT, encoding="utf-8")
    layout = Layout(tmp_path / "repo")
    result = ingest(layout, seed, "fr", doc_id="fr-bench-0001")
    assert result.created and result.meta.id == "fr-bench-0001"
    assert layout.text_path("fr", "fr-bench-0001").read_text(encoding="utf-8") == SEED_TEXT
    assert layout.document_ids("fr") == ["fr-bench-0001"]


def test_ingest_refuses_an_id_that_is_taken(tmp_path):
    layout = Layout(tmp_path / "repo")
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(SEED_TEXT, encoding="utf-8")
    second.write_text("Le président kazakh a reçu son homologue russe.\n", encoding="utf-8")
    ingest(layout, first, "fr", doc_id="fr-bench-0001")
    with pytest.raises(PolnerError, match=r"b\.txt: the corpus already has a document fr-bench-0001"):
        ingest(layout, second, "fr", doc_id="fr-bench-0001")
    assert layout.document_ids("fr") == ["fr-bench-0001"]
