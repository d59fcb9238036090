"""Reproducible builds and manifest.json: same inputs, same bytes; hashes that match the files."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from release_helpers import REPO_ROOT, build, copy_repo_data

from polner.issues import ValidationFailed
from polner.labels import ENTITY_LABELS
from polner.manifest import (MANIFEST_NAME, TOOLS, Manifest, check_files, input_digests, read_manifest,
                             stats_diff)
from polner.silver import read_silver_header
from polner.validate import validate_corpus


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo")
    layout = copy_repo_data(root)
    return layout, build(layout, root / "dist")


def test_two_builds_are_byte_identical(built, tmp_path):
    _, first = built
    # Another copy at another path, built into another folder: nothing path- or time-dependent.
    other = copy_repo_data(tmp_path / "elsewhere" / "repo")
    second = build(other, tmp_path / "out")
    first_files, second_files = folder_bytes(first), folder_bytes(second)
    assert sorted(first_files) == sorted(second_files)
    different = [name for name in first_files if first_files[name] != second_files[name]]
    assert different == []
    assert {"README.md", MANIFEST_NAME, "data/fr/sentences-train.parquet", "data/fr/documents-test.parquet",
            "exports/fr/train.conllu", "exports/fr/test.iob2", "exports/fr/test.jsonl"} <= set(first_files)


def test_rebuilding_in_place_gives_the_same_bytes(tmp_path):
    layout = copy_repo_data(tmp_path / "repo")
    before = folder_bytes(build(layout, tmp_path / "dist"))
    after = folder_bytes(build(layout, tmp_path / "dist"))
    assert before == after


def test_manifest_lists_every_file_with_its_hash_and_size(built):
    _, folder = built
    manifest = read_manifest(folder)
    on_disk = {name: data for name, data in folder_bytes(folder).items() if name != MANIFEST_NAME}
    assert [f.path for f in manifest.files] == sorted(on_disk)
    for record in manifest.files:
        assert record.sha256 == hashlib.sha256(on_disk[record.path]).hexdigest(), record.path
        assert record.bytes == len(on_disk[record.path])
    assert check_files(folder, manifest) == []


def test_check_files_reports_changed_missing_and_unlisted_files(built, tmp_path):
    _, folder = built
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    manifest = read_manifest(copy)
    (copy / "exports/fr/test.iob2").write_text("changed\n", encoding="utf-8")
    (copy / "exports/fr/train.jsonl").unlink()
    (copy / "extra.txt").write_text("x", encoding="utf-8")
    problems = check_files(copy, manifest)
    assert problems == [
        "exports/fr/test.iob2 changed after the build (sha256 differs from manifest.json)",
        "exports/fr/train.jsonl is missing",
        "extra.txt is not listed in manifest.json",
    ]


def test_manifest_records_tools_pipeline_and_inputs(built):
    layout, folder = built
    manifest = read_manifest(folder)
    tools = dict(manifest.tools)
    assert list(tools) == list(TOOLS)
    assert tools["python"].count(".") == 2 and all(tools[name] != "not installed" for name in TOOLS)
    silver_digests = Counter(
        read_silver_header(layout.silver_path("fr", doc_id))["polner:pipeline"] for doc_id in layout.document_ids("fr")
    )
    assert {p.digest: p.documents for p in manifest.pipelines} == dict(silver_digests)
    assert all(p.models and p.stanza_version for p in manifest.pipelines)
    assert manifest.inputs == input_digests(layout)
    assert Manifest.from_json(manifest.to_json()) == manifest
    assert (folder / MANIFEST_NAME).read_text(encoding="utf-8") == manifest.to_json()


def test_manifest_statistics_match_the_validated_documents(built):
    layout, folder = built
    manifest = read_manifest(folder)
    documents = validate_corpus(layout, keep_documents=True).documents
    for split in ("train", "test", "all"):
        chosen = [d for d in documents if split in ("all", d.split)]
        stats = manifest.stats_of("fr", split)
        assert stats.documents == len(chosen)
        assert stats.sentences == sum(len(d.silver.sentences) for d in chosen)
        assert stats.tokens == sum(len(s.tokens) for d in chosen for s in d.silver.sentences)
        mentions = Counter(span.label for d in chosen for span in d.spans)
        assert dict(stats.mentions) == {label: mentions[label] for label in ENTITY_LABELS}


def test_input_digests_name_what_changed(tmp_path):
    layout = copy_repo_data(tmp_path / "repo")
    before = input_digests(layout)
    (layout.root / "annotations" / ".annotate.lock").write_text("", encoding="utf-8")
    assert input_digests(layout) == before  # lock files are not inputs
    text = layout.text_path("fr", layout.document_ids("fr")[0])
    text.write_text(text.read_text(encoding="utf-8") + "x", encoding="utf-8")
    card = layout.root / "DATASET_CARD.md"
    card.write_text(card.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after = input_digests(layout)
    assert after.changes_since(before) == ["corpus/ or annotations/ changed", "DATASET_CARD.md or LICENSE-DATA.md changed"]
    assert after.combined != before.combined


def table_cell(table: str, language: str, split: str, column: str) -> str:
    """One cell of a stats_diff table."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines() if line.startswith("|")]
    header = rows[0]
    row = next(r for r in rows[2:] if r[:2] == [language, split])
    return row[header.index(column)]


def _drop_document(layout, doc_id: str) -> None:
    for path in (layout.raw_path("fr", doc_id), layout.text_path("fr", doc_id), layout.meta_path("fr", doc_id),
                 layout.silver_path("fr", doc_id), layout.gold_path("fr", doc_id)):
        path.unlink(missing_ok=True)
    splits = yaml.safe_load(layout.splits_file.read_text(encoding="utf-8"))
    layout.splits_file.write_text(yaml.safe_dump({n: [d for d in ids if d != doc_id] for n, ids in splits.items()}),
                                  encoding="utf-8")


def test_stats_diff_shows_the_change_between_two_builds(built, tmp_path):
    layout, folder = built
    smaller = copy_repo_data(tmp_path / "smaller")
    dropped = smaller.document_ids("fr")[-1]
    _drop_document(smaller, dropped)
    old_folder = build(smaller, tmp_path / "dist")
    old, new = read_manifest(old_folder), read_manifest(folder)
    documents = {d.meta.id: d for d in validate_corpus(layout, keep_documents=True).documents}
    gone = documents[dropped]
    table = stats_diff(old, new)
    tokens = sum(len(s.tokens) for s in gone.silver.sentences)
    locations = sum(span.label == "LOC" for span in gone.spans)
    after = new.stats_of("fr", "all")
    assert table_cell(table, "fr", "all", "documents") == "4 → 5 (+1)"
    assert table_cell(table, "fr", "all", "tokens") == f"{after.tokens - tokens} → {after.tokens} (+{tokens})"
    all_loc = dict(after.mentions)["LOC"]
    expected_loc = f"{all_loc - locations} → {all_loc} (+{locations})" if locations else str(all_loc)
    assert table_cell(table, "fr", "all", "LOC") == expected_loc
    unchanged_split = "test" if gone.split == "train" else "train"
    assert table_cell(table, "fr", unchanged_split, "documents") == str(new.stats_of("fr", unchanged_split).documents)
    # The maintainer script prints the same table, from folders or manifest files.
    script = [sys.executable, str(REPO_ROOT / "scripts" / "stats_diff.py")]
    done = subprocess.run(script + [str(old_folder), str(folder / MANIFEST_NAME)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == table
    first = subprocess.run(script + [str(folder)], capture_output=True, text=True)
    assert first.returncode == 0 and first.stdout == stats_diff(None, new)
    assert table_cell(first.stdout, "fr", "all", "documents") == "5"
    missing = subprocess.run(script + [str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr


def test_a_failed_build_leaves_the_previous_one_untouched(tmp_path):
    layout = copy_repo_data(tmp_path / "repo")
    folder = build(layout, tmp_path / "dist")
    before = folder_bytes(folder)
    silver = layout.silver_path("fr", layout.document_ids("fr")[0])
    silver.write_text(silver.read_text(encoding="utf-8").replace("\t", " ", 1), encoding="utf-8")
    with pytest.raises(ValidationFailed):
        build(layout, tmp_path / "dist")
    assert folder_bytes(folder) == before
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [".polner.lock", "polner"]
