"""Ingest with an explicit document id (as `scripts/benchmark.py` does for the bench texts)."""

from __future__ import annotations


import pytest

from polner.corpus import ingest
from polner.issues import PolnerError
from polner.layout import Layout

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
