"""Integration: build the real corpus and load the result with `datasets`."""

from pathlib import Path

import datasets
import pytest
import yaml

from polner import __version__
from polner.build import build_dataset
from polner.cli import main
from polner.labels import IOB2_TAGS, iob2_to_token_spans
from polner.layout import Layout
from polner.validate import validate_corpus

from conftest import snapshot


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = Path(__file__).resolve().parent.parent
    output = tmp_path_factory.mktemp("dist")
    result = build_dataset(Layout(root), output, progress=False)
    assert result.annotate.annotated == ()  # committed silver layer: no Stanza run
    return result.output


def test_load_dataset_gives_train_and_test_with_label_names(built):
    ds = datasets.load_dataset(str(built))
    assert sorted(ds) == ["test", "train"]
    features = ds["train"].features
    assert features["ner_tags"].feature.names == list(IOB2_TAGS)
    assert set(features) >= {"id", "doc_id", "text", "tokens", "ner_tags", "token_starts", "token_ends", "spans"}
    assert len(ds["train"]) > 4 * len(ds["test"]) / 2 > 0


def test_every_final_span_appears_in_the_exported_tags(built):
    root = Path(__file__).resolve().parent.parent
    documents = {d.meta.id: d for d in validate_corpus(Layout(root), keep_documents=True).documents}
    ds = datasets.load_dataset(str(built))
    exported = {}
    for split in ds:
        for row in ds[split]:
            for first, last, label in iob2_to_token_spans([IOB2_TAGS[t] for t in row["ner_tags"]]):
                start = row["doc_char_offset"] + row["token_starts"][first]
                end = row["doc_char_offset"] + row["token_ends"][last]
                exported[(row["doc_id"], start, end)] = label
            for token, start, end in zip(row["tokens"], row["token_starts"], row["token_ends"]):
                assert row["text"][start:end] == token
    final = {(doc_id, s.start, s.end): s.label for doc_id, d in documents.items() for s in d.spans}
    assert final and exported == final
    split_of = {row["doc_id"]: split for split in ds for row in ds[split]}
    assert all(split_of[doc_id] == d.split for doc_id, d in documents.items())


def test_card_metadata_labels_and_version_agree_with_the_package(built):
    card = (built / "README.md").read_text(encoding="utf-8")
    metadata = yaml.safe_load(card.split("---\n")[1])
    assert metadata["version"] == __version__ and f"**{__version__}**" in card
    config = next(c for c in metadata["dataset_info"] if c["config_name"] == "fr_sentences")
    tags = next(f for f in config["features"] if f["name"] == "ner_tags")
    assert list(tags["sequence"]["class_label"]["names"].values()) == list(IOB2_TAGS)
    assert "{{" not in card
    assert (built / "LICENSE-DATA.md").exists()


def test_two_builds_are_byte_identical(tmp_path):
    root = Path(__file__).resolve().parent.parent
    first = build_dataset(Layout(root), tmp_path / "a", progress=False).output
    second = build_dataset(Layout(root), tmp_path / "b", progress=False).output
    assert snapshot(first) == snapshot(second)


def test_a_failed_build_leaves_the_previous_build_untouched(repo_copy, capsys):
    output = repo_copy / "dist"
    assert main(["--root", str(repo_copy), "build", "--output", str(output), "--quiet"]) == 0
    before = snapshot(output)
    gold = Layout(repo_copy).gold_path("fr", "fr-president-poutine-revele-allie-plus")
    gold.parent.mkdir(parents=True, exist_ok=True)
    original = gold.read_bytes() if gold.exists() else None
    content = (original or b"document: fr-president-poutine-revele-allie-plus\nstatus: in-progress\ncorrections:\n")
    gold.write_bytes(content + b"- action: add\n  start: 0\n  end: 5\n  text: WRONG\n  label: PER\n")
    written = gold.read_bytes()
    assert main(["--root", str(repo_copy), "build", "--output", str(output), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "gold-anchor-mismatch" in err and "Traceback" not in err
    assert snapshot(output) == before
    assert gold.read_bytes() == written  # a human's correction file is never rewritten
