"""Split stability across versions: adding documents never moves an existing document to
another split (a release's test set stays the test set of every later release)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from release_helpers import copy_repo_data

from polner.cli import main
from polner.splits import SPLITS, assign_new_documents, load_splits

SYNTHETIC_ARTICLE = """Un document de test synthétique pour polner

La commission municipale de Villeneuve-sur-Test a examiné mardi un projet de budget fictif.
Ce texte est écrit pour les tests du projet et ne décrit aucun événement réel.

Les membres de la commission ont demandé un rapport complémentaire avant le prochain vote.
"""


def split_of(splits: dict[str, list[str]]) -> dict[str, str]:
    return {doc_id: name for name, ids in splits.items() for doc_id in ids}


def ingest_and_split(root: Path, article: Path) -> None:
    assert main(["--root", str(root), "ingest", str(article)]) == 0
    assert main(["--root", str(root), "split"]) == 0


def test_adding_a_document_keeps_every_assignment(tmp_path, capsys):
    layout = copy_repo_data(tmp_path / "repo")
    before, issues = load_splits(layout)
    assert not issues and sum(map(len, before.values())) == len(layout.document_ids("fr"))
    article = tmp_path / "synthetic.txt"
    article.write_text(SYNTHETIC_ARTICLE, encoding="utf-8")
    ingest_and_split(layout.root, article)
    after, _ = load_splits(layout)
    new = set(layout.document_ids("fr")) - set(split_of(before))
    assert len(new) == 1
    assert {d: s for d, s in split_of(after).items() if d not in new} == split_of(before)
    assert set(split_of(after)) == set(layout.document_ids("fr"))
    # Running split again changes nothing.
    recorded = layout.splits_file.read_bytes()
    assert main(["--root", str(layout.root), "split"]) == 0
    assert layout.splits_file.read_bytes() == recorded
    assert "0 document(s) assigned" in capsys.readouterr().out


def test_a_new_version_of_a_story_joins_the_split_of_the_old_one(tmp_path):
    layout = copy_repo_data(tmp_path / "repo")
    before, _ = load_splits(layout)
    for split in SPLITS:  # a version of a train story and of a test story
        original = before[split][0]
        raw = layout.raw_path("fr", original).read_text(encoding="utf-8")
        article = tmp_path / f"{split}-update.txt"
        article.write_text(raw + "\nMise à jour : ce paragraphe est ajouté pour le test.\n", encoding="utf-8")
        ingest_and_split(layout.root, article)
    after, _ = load_splits(layout)
    new = set(split_of(after)) - set(split_of(before))
    assert len(new) == 2
    for split in SPLITS:
        assert before[split] == [d for d in after[split] if d not in new]
        assert len(set(after[split]) & new) == 1  # each update went with its original


_WORDS = st.sampled_from("le la président ministre Moscou Astana sommet accord gaz visite "
                         "Kremlin traité coopération énergie frontière".split())
_TEXTS = st.lists(_WORDS, min_size=0, max_size=40).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(
    existing=st.dictionaries(st.from_regex(r"fr-[a-z]{1,6}", fullmatch=True),
                             st.tuples(st.sampled_from(SPLITS), _TEXTS), max_size=8),
    added=st.dictionaries(st.from_regex(r"fr-new-[a-z]{1,6}", fullmatch=True), _TEXTS, min_size=1, max_size=6),
)
def test_assignment_never_moves_a_document(existing, added):
    splits = {name: sorted(d for d, (s, _) in existing.items() if s == name) for name in SPLITS}
    texts = {doc_id: text for doc_id, (_, text) in existing.items()} | added
    result = assign_new_documents(splits, texts)
    placed = split_of(result)
    assert all(placed[doc_id] == split for doc_id, (split, _) in existing.items())
    assert set(placed) == set(texts)
    assert sum(map(len, result.values())) == len(texts)  # each document in exactly one split
