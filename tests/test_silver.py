from pathlib import Path

import pytest

from polner.layout import Layout
from polner.silver import SilverFormatError, format_silver, parse_silver, repair_sentence_splits, silver_spans

REPO = Path(__file__).resolve().parent.parent
LAYOUT = Layout(REPO)
DOC = "fr-vladimir-poutine-demarre-mercredi-27"


def _real() -> tuple[str, str]:
    return (LAYOUT.silver_path("fr", DOC).read_text(encoding="utf-8"),
            LAYOUT.text_path("fr", DOC).read_text(encoding="utf-8"))


def test_silver_files_round_trip_byte_for_byte():
    for doc_id in LAYOUT.document_ids("fr"):
        conllu = LAYOUT.silver_path("fr", doc_id).read_text(encoding="utf-8")
        text = LAYOUT.text_path("fr", doc_id).read_text(encoding="utf-8")
        assert format_silver(parse_silver(conllu), text) == conllu


def test_multi_word_tokens_keep_their_words_and_the_token_offsets():
    conllu, text = _real()
    doc = parse_silver(conllu)
    mwts = [t for s in doc.sentences for t in s.tokens if len(t.words) > 1]
    assert mwts, "French text has contractions (du, au, aux)"
    for token in mwts:
        assert text[token.start : token.end] == token.text
        assert [w.text for w in token.words] in (["de", "le"], ["à", "le"], ["à", "les"], ["de", "les"])


def test_silver_spans_are_decoded_from_bioes_onto_character_offsets():
    conllu, text = _real()
    spans = silver_spans(parse_silver(conllu), text)
    assert spans[0].text == "Vladimir Poutine" and spans[0].label == "PER"
    assert all(text[s.start : s.end] == s.text and s.provenance == "stanza" for s in spans)


def test_malformed_silver_names_the_line():
    conllu, _ = _real()
    lines = conllu.split("\n")
    first_token = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    lines[first_token] = lines[first_token].replace("\t", " ", 2)
    with pytest.raises(SilverFormatError) as caught:
        parse_silver("\n".join(lines))
    assert caught.value.line == first_token + 1
    assert "10 tab-separated columns" in str(caught.value)


def _sentence(*tokens: tuple[str, int, int]) -> list[dict]:
    return [{"id": i, "text": t, "start_char": s, "end_char": e} for i, (t, s, e) in enumerate(tokens, 1)]


def test_sentence_splits_after_honorifics_and_headless_fragments_are_repaired():
    text = "Le président\nM. Tokaïev parle. Il part.\n\nTitre sans point\n\nSuite."
    sentences = [
        _sentence(("Le", 0, 2), ("président", 3, 12)),
        _sentence(("M.", 13, 15)),
        _sentence(("Tokaïev", 16, 23), ("parle", 24, 29), (".", 29, 30)),
        _sentence(("Il", 31, 33), ("part", 34, 38), (".", 38, 39)),
        _sentence(("Titre", 41, 46), ("sans", 47, 51), ("point", 52, 57)),
        _sentence(("Suite", 59, 64), (".", 64, 65)),
    ]
    repaired = repair_sentence_splits(sentences, text, "fr")
    # "Le président" ends a line: kept apart; "M." is an honorific: merged; paragraphs never merge
    assert [[t["text"] for t in s] for s in repaired] == [
        ["Le", "président"], ["M.", "Tokaïev", "parle", "."], ["Il", "part", "."],
        ["Titre", "sans", "point"], ["Suite", "."],
    ]
    assert [t["id"] for t in repaired[1]] == [1, 2, 3, 4]
