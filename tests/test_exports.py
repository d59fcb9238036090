"""Exports beside the parquet: each one, read back, gives the dataset's tokens and entities;
the CoNLL-U files pass the Universal Dependencies validator at the levels that apply."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import datasets
import pytest
from release_helpers import REPO_ROOT, build, copy_repo_data

from polner.exports import ExportFormatError, export_path, read_conllu, read_iob2, read_jsonl
from polner.labels import IOB2_TAGS, iob2_to_token_spans
from polner.silver import format_silver, parse_silver
from polner.splits import SPLITS


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    return build(copy_repo_data(root), root / "dist")


@pytest.fixture(scope="module")
def rows(folder, tmp_path_factory) -> dict[str, list[dict]]:
    """The sentence config as `datasets` loads it from the built folder, per split."""
    cache = tmp_path_factory.mktemp("hf-cache")
    loaded = datasets.load_dataset(str(folder), "fr_sentences", cache_dir=str(cache))
    tag_names = loaded["train"].features["ner_tags"].feature.names
    assert tag_names == list(IOB2_TAGS)
    return {split: [dict(row, tags=[tag_names[i] for i in row["ner_tags"]]) for row in loaded[split]]
            for split in SPLITS}


def documents_of(split_rows: list[dict]) -> list[tuple[str, list[dict]]]:
    return [(doc_id, list(group)) for doc_id, group in groupby(split_rows, key=lambda row: row["doc_id"])]


def char_entities(tags, starts, ends) -> list[tuple[int, int, str]]:
    return [(starts[first], ends[last], label) for first, last, label in iob2_to_token_spans(tags)]


def dataset_entities(row: dict) -> list[tuple[int, int, str]]:
    return [(span["start"], span["end"], span["label"]) for span in row["spans"]]


def read(folder: Path, split: str, fmt: str) -> str:
    return (folder / export_path("fr", split, fmt)).read_text(encoding="utf-8")


@pytest.mark.parametrize("split", SPLITS)
def test_conllu_round_trips(folder, rows, split):
    expected = documents_of(rows[split])
    documents = read_conllu(read(folder, split, "conllu"))
    assert [d.doc_id for d in documents] == [doc_id for doc_id, _ in expected]
    for document, (_, sentence_rows) in zip(documents, expected):
        assert len(document.sentences) == len(sentence_rows)
        for sentence, row in zip(document.sentences, sentence_rows):
            assert sentence.id == row["id"]
            assert sentence.text == row["text"]
            assert list(sentence.tokens) == row["tokens"]
            assert list(sentence.tags) == row["tags"]
            # Offsets rebuilt from `# text` and SpaceAfter=No equal the dataset's.
            assert list(sentence.token_starts) == row["token_starts"]
            assert list(sentence.token_ends) == row["token_ends"]
            entities = char_entities(sentence.tags, sentence.token_starts, sentence.token_ends)
            assert entities == dataset_entities(row)


@pytest.mark.parametrize("split", SPLITS)
def test_iob2_columns_round_trip(folder, rows, split):
    expected = documents_of(rows[split])
    text = read(folder, split, "iob2")
    documents = read_iob2(text)
    assert len(documents) == len(expected) == text.count("-DOCSTART-")
    for document, (_, sentence_rows) in zip(documents, expected):
        assert [list(s.tokens) for s in document.sentences] == [row["tokens"] for row in sentence_rows]
        assert [list(s.tags) for s in document.sentences] == [row["tags"] for row in sentence_rows]
        for sentence, row in zip(document.sentences, sentence_rows):
            entities = char_entities(sentence.tags, row["token_starts"], row["token_ends"])
            assert entities == dataset_entities(row)


@pytest.mark.parametrize("split", SPLITS)
def test_jsonl_spans_round_trip(folder, rows, split):
    expected = documents_of(rows[split])
    documents = read_jsonl(read(folder, split, "jsonl"))
    assert [d.doc_id for d in documents] == [doc_id for doc_id, _ in expected]
    for document, (_, sentence_rows) in zip(documents, expected):
        for sentence, row in zip(document.sentences, sentence_rows, strict=True):
            assert (sentence.id, sentence.text) == (row["id"], row["text"])
            assert list(sentence.tokens) == row["tokens"]
            assert list(sentence.token_starts) == row["token_starts"]
            assert list(sentence.token_ends) == row["token_ends"]
            assert list(sentence.tags) == row["tags"]  # rebuilt from token_start/token_end
            spans = [{"start": s.start, "end": s.end, "label": s.label, "text": s.text, "entity": s.entity,
                      "provenance": s.provenance} for s in sentence.spans]
            assert spans == row["spans"]


def test_exports_exist_for_every_split_and_hold_entities(folder, rows):
    for split in SPLITS:
        for fmt in ("conllu", "iob2", "jsonl"):
            assert (folder / export_path("fr", split, fmt)).is_file()
    # The round trips above compare something: the data has entities and multi-word tokens.
    assert sum(len(row["spans"]) for split in SPLITS for row in rows[split]) > 0
    conllu = read(folder, "train", "conllu")
    assert any(line.split("\t")[0].count("-") == 1 for line in conllu.splitlines() if "\t" in line)
    assert "NER=B-" in conllu and "SpaceAfter=No" in conllu


def _placeholder_tree(conllu: str) -> str:
    """The same file with a flat tree: word 1 is the root, every other word depends on it."""
    lines = []
    for line in conllu.split("\n"):
        columns = line.split("\t")
        if len(columns) == 10 and columns[0].isdigit():
            columns[6], columns[7] = ("0", "root") if columns[0] == "1" else ("1", "dep")
            line = "\t".join(columns)
        lines.append(line)
    return "\n".join(lines)


def _incidents(path: Path, level: int) -> tuple[bool, list]:
    from udtools import Validator

    state = Validator(lang="ud", level=level, output=None).validate_files([str(path)])
    return bool(state), list(state.error_tracker)


@pytest.mark.parametrize("split", SPLITS)
def test_conllu_passes_the_ud_validator(folder, tmp_path, split):
    """udtools (the official UD validator), language-independent checks ("ud"):

    - Level 1 (file structure: columns, ID sequence, multi-word token ranges, line form): the
      exported file as written must pass.
    - Level 2 (UD format: UPOS values, FEATS/MISC syntax, empty MWT columns, unique sent_id,
      `# text` equal to the forms joined by SpaceAfter): it first checks HEAD and builds the
      tree, and stops a sentence at the first failure. The export has no dependency parse
      (HEAD and DEPREL are `_`), so on the file as written the only level-2 errors allowed are
      `invalid-head` and `unknown-head`; the rest of level 2 runs on a copy given a flat
      placeholder tree (word 1 root, others `dep` on it), which must pass.
    - Levels 3-5 are skipped: they check the dependency relations themselves (e.g. PUNCT must
      be `punct`) and language-specific lists, which need a real parse.
    """
    exported = folder / export_path("fr", split, "conllu")
    passed, incidents = _incidents(exported, 1)
    assert passed, [str(i) for i in incidents]
    passed, incidents = _incidents(exported, 2)
    assert {i.testid for i in incidents} == {"invalid-head", "unknown-head"}
    placeholder = tmp_path / f"{split}.conllu"
    placeholder.write_text(_placeholder_tree(exported.read_text(encoding="utf-8")), encoding="utf-8")
    passed, incidents = _incidents(placeholder, 2)
    assert passed, [str(i) for i in incidents][:10]


def test_validator_catches_a_broken_export(folder, tmp_path):
    """The check above is not vacuous: a `# text` that disagrees with the forms fails level 2."""
    text = _placeholder_tree(read(folder, "test", "conllu"))
    broken = tmp_path / "broken.conllu"
    broken.write_text(text.replace("# text = ", "# text = Un ", 1), encoding="utf-8")
    passed, incidents = _incidents(broken, 2)
    assert not passed
    assert "text-form-mismatch" in {i.testid for i in incidents}


def test_silver_files_keep_their_bytes_after_the_writer_refactor():
    """format_silver now shares conllu_token_lines with the export; silver files are unchanged."""
    paths = sorted((REPO_ROOT / "annotations").glob("*/silver/*.conllu"))
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert format_silver(parse_silver(text), "") == text, path.name


def test_readers_report_malformed_lines():
    with pytest.raises(ExportFormatError, match=r"<iob2>:3: expected 4 TAB-separated columns"):
        read_iob2("-DOCSTART-\t-X-\t-X-\tO\n\nPoutine B-PER\n")
    with pytest.raises(ExportFormatError, match=r"<conllu>:4: token 'Moscou' does not continue"):
        read_conllu("# newdoc id = d\n# sent_id = d-s1\n# text = à Paris\n"
                    "1\tMoscou\t_\t_\t_\t_\t_\t_\t_\tNER=B-LOC\n\n")
    with pytest.raises(ExportFormatError, match=r"<jsonl>:1: invalid JSON"):
        read_jsonl("{not json}\n")
