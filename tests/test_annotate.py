"""The annotate stage with the real Stanza pipeline (needs the models; see conftest)."""

from dataclasses import replace
from pathlib import Path

import pytest

from polner.annotate import annotate_corpus, stale_documents
from polner.corpus import sha256_text, write_meta
from polner.layout import Layout
from polner.silver import parse_silver
from polner.validate import load_meta, validate_corpus

from conftest import snapshot

pytestmark = pytest.mark.stanza


def test_nothing_stale_means_no_stanza_run(repo_copy):
    report = annotate_corpus(Layout(repo_copy), Path("/nonexistent/models"), progress=False)
    assert report.annotated == () and report.up_to_date == 5 and report.fingerprint is None


def test_only_the_document_whose_text_changed_is_reannotated(repo_copy, stanza_resources):
    """A text re-derived by ingest (metadata updated with it) is re-annotated, and only it."""
    layout = Layout(repo_copy)
    doc_id = "fr-president-poutine-revele-allie-plus"
    silver_before = snapshot(repo_copy / "annotations")
    text_path = layout.text_path("fr", doc_id)
    text = text_path.read_text(encoding="utf-8").replace("Emmanuel Macron", "Angela Merkel")
    text_path.write_text(text, encoding="utf-8")
    meta, _ = load_meta(layout, "fr", doc_id)
    write_meta(layout.meta_path("fr", doc_id), replace(meta, text_sha256=sha256_text(text)))
    assert [t.doc_id for t in stale_documents(layout, "fr")] == [doc_id]

    report = annotate_corpus(layout, stanza_resources, progress=False)

    assert report.annotated == (doc_id,)
    after = snapshot(repo_copy / "annotations")
    changed = {name for name in after if after[name] != silver_before.get(name)}
    assert changed == {f"fr/silver/{doc_id}.conllu"}
    silver = parse_silver(after[f"fr/silver/{doc_id}.conllu"].decode("utf-8"))
    assert silver.text_sha256 == sha256_text(text)
    assert "Merkel" in [t.text for s in silver.sentences for t in s.tokens]
    # the raw file did not change, so the edited text is still reported as not derived from it
    assert "text-not-derived" in {i.code for i in validate_corpus(layout).errors}


def test_a_hand_edited_text_is_not_silently_reannotated(repo_copy, stanza_resources):
    layout = Layout(repo_copy)
    doc_id = "fr-president-poutine-revele-allie-plus"
    text_path = layout.text_path("fr", doc_id)
    text_path.write_text(text_path.read_text(encoding="utf-8") + "Ajout.\n", encoding="utf-8")
    before = snapshot(repo_copy / "annotations" / "fr" / "silver")
    report = annotate_corpus(layout, stanza_resources, progress=False)
    assert report.annotated == ()
    assert snapshot(repo_copy / "annotations" / "fr" / "silver") == before
    assert {"text-hash-mismatch", "silver-stale"} <= {i.code for i in validate_corpus(layout).errors}


def test_reannotating_reproduces_the_committed_silver_layer(repo_copy, stanza_resources):
    """Stanza on CPU is deterministic: the committed files are exactly what the pipeline makes.

    Only meaningful with the models that made them (the project's, in ../shared/stanza_resources);
    with other models, e.g. Stanza's official ones on a public CI, it says so and skips."""
    from polner.silver import StanzaAnnotator, read_silver_header

    layout = Layout(repo_copy)
    committed = read_silver_header(layout.silver_path("fr", layout.document_ids("fr")[0]))["polner:pipeline"]
    if StanzaAnnotator("fr", stanza_resources).fingerprint.digest != committed:
        pytest.skip(f"the models at {stanza_resources} are not those that made the committed silver layer")
    before = snapshot(repo_copy / "annotations" / "fr" / "silver")
    report = annotate_corpus(layout, stanza_resources, reannotate=True, progress=False)
    assert len(report.annotated) == 5
    assert snapshot(repo_copy / "annotations" / "fr" / "silver") == before
