"""The export stage: validated documents → sentence rows → parquet files and the dataset card.

Features are declared once, in COLUMNS; the Arrow schema, the parquet's Hugging Face
metadata and the card's `dataset_info` are all derived from it, so they cannot disagree.
The card and the parquet metadata use the `sequence:` form that datasets 3.x and ≥ 4 both read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from polner.document import AnnotatedDocument
from polner.labels import IOB2_TAGS, token_spans_to_iob2

NER_TAG = "ner_tag"  # a ClassLabel over IOB2_TAGS

SPAN_FIELDS: dict[str, str] = {
    "start": "int32", "end": "int32", "label": "string", "text": "string",
    "entity": "string", "provenance": "string",
}

SENTENCE_COLUMNS: dict[str, Any] = {
    "id": "string",
    "doc_id": "string",
    "sentence_index": "int32",
    "text": "string",
    "tokens": ["string"],
    "ner_tags": [NER_TAG],
    "token_starts": ["int32"],
    "token_ends": ["int32"],
    "doc_char_offset": "int32",
    "spans": [SPAN_FIELDS],
}
"""Columns of a sentence row. Offsets in token_starts/ends and spans are into `text`;
`doc_char_offset` is where `text` starts in the document's annotated text."""

DOCUMENT_COLUMNS: dict[str, Any] = {
    "id": "string",
    "language": "string",
    "title": "string",
    "source": "string",
    "url": "string",
    "authors": ["string"],
    "published": "string",
    "licence": "string",
    "licence_status": "string",
    "review_status": "string",
    "text": "string",
    "sentence_starts": ["int32"],
    "sentence_ends": ["int32"],
    "spans": [SPAN_FIELDS],
}
"""Columns of a document row: metadata, the full annotated text, sentence boundaries and every
entity span, all offsets into `text` (end exclusive)."""

PARQUET_SETTINGS = dict(compression="zstd", compression_level=9, use_dictionary=True,
                        write_statistics=True, data_page_version="1.0", version="2.6")
ROW_GROUP_SIZE = 10_000


def arrow_type(spec: Any) -> pa.DataType:
    if spec == NER_TAG:
        return pa.int64()
    if isinstance(spec, str):
        return {"string": pa.string(), "int32": pa.int32(), "int64": pa.int64()}[spec]
    if isinstance(spec, list):
        return pa.list_(arrow_type(spec[0]))
    return pa.struct([pa.field(name, arrow_type(sub)) for name, sub in spec.items()])


def _hf_json(spec: Any) -> Any:
    """Feature JSON in the datasets 3.x form (`Sequence`), which newer versions also read."""
    if spec == NER_TAG:
        return {"names": list(IOB2_TAGS), "_type": "ClassLabel"}
    if isinstance(spec, str):
        return {"dtype": spec, "_type": "Value"}
    if isinstance(spec, list):
        inner = spec[0]
        if isinstance(inner, dict):
            return [{name: _hf_json(sub) for name, sub in inner.items()}]
        return {"feature": _hf_json(inner), "_type": "Sequence"}
    return {name: _hf_json(sub) for name, sub in spec.items()}


def arrow_schema(columns: dict[str, Any]) -> pa.Schema:
    """The Arrow schema, with the Hugging Face features in its metadata."""
    metadata = {"huggingface": json.dumps({"info": {"features": _hf_json(columns)}}, sort_keys=True)}
    return pa.schema([pa.field(name, arrow_type(spec)) for name, spec in columns.items()], metadata=metadata)


def _yaml_feature(name: str | None, spec: Any) -> dict[str, Any]:
    """One entry of the card's `dataset_info.features`, written as `sequence:` for lists."""
    entry: dict[str, Any] = {"name": name} if name is not None else {}
    if spec == NER_TAG:
        entry["class_label"] = {"names": {str(i): tag for i, tag in enumerate(IOB2_TAGS)}}
    elif isinstance(spec, str):
        entry["dtype"] = spec
    elif isinstance(spec, list) and isinstance(spec[0], dict):
        entry["list"] = [_yaml_feature(sub_name, sub) for sub_name, sub in spec[0].items()]
    elif isinstance(spec, list):
        inner = _yaml_feature(None, spec[0])
        entry["sequence"] = inner["dtype"] if list(inner) == ["dtype"] else inner
    return entry


def card_features(columns: dict[str, Any]) -> list[dict[str, Any]]:
    return [_yaml_feature(name, spec) for name, spec in columns.items()]


def sentence_rows(document: AnnotatedDocument) -> Iterator[dict[str, Any]]:
    """One row per sentence: tokens, IOB2 tag ids and the spans inside the sentence."""
    tag_id = {tag: i for i, tag in enumerate(IOB2_TAGS)}
    spans = sorted(document.spans, key=lambda s: s.start)
    cursor = 0
    for sentence in document.silver.sentences:
        start, end = sentence.start, sentence.end
        inside = []
        while cursor < len(spans) and spans[cursor].start < end:
            if spans[cursor].start >= start:
                inside.append(spans[cursor])
            cursor += 1
        first = {t.start: i for i, t in enumerate(sentence.tokens)}
        last = {t.end: i for i, t in enumerate(sentence.tokens)}
        tags = token_spans_to_iob2(len(sentence.tokens), [(first[s.start], last[s.end], s.label) for s in inside])
        yield {
            "id": f"{document.meta.id}-s{sentence.index}",
            "doc_id": document.meta.id,
            "sentence_index": sentence.index,
            "text": document.text[start:end],
            "tokens": [t.text for t in sentence.tokens],
            "ner_tags": [tag_id[t] for t in tags],
            "token_starts": [t.start - start for t in sentence.tokens],
            "token_ends": [t.end - start for t in sentence.tokens],
            "doc_char_offset": start,
            "spans": [
                {"start": s.start - start, "end": s.end - start, "label": s.label, "text": s.text,
                 "entity": s.entity, "provenance": s.provenance}
                for s in inside
            ],
        }


def document_rows(document: AnnotatedDocument) -> Iterator[dict[str, Any]]:
    """One row for the whole document: metadata, text, sentence bounds and its spans."""
    meta = document.meta
    yield {
        "id": meta.id, "language": meta.language, "title": meta.title, "source": meta.source,
        "url": meta.url, "authors": list(meta.authors), "published": meta.published,
        "licence": meta.licence, "licence_status": meta.licence_status,
        "review_status": document.review_status,
        "text": document.text,
        "sentence_starts": [s.start for s in document.silver.sentences],
        "sentence_ends": [s.end for s in document.silver.sentences],
        "spans": [
            {"start": s.start, "end": s.end, "label": s.label, "text": s.text, "entity": s.entity,
             "provenance": s.provenance}
            for s in sorted(document.spans, key=lambda s: (s.start, s.end))
        ],
    }


class ParquetSink:
    """Rows streamed into one parquet file, written in fixed-size row groups."""

    def __init__(self, path: Path, columns: dict[str, Any]):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.schema = arrow_schema(columns)
        self.writer = pq.ParquetWriter(path, self.schema, **PARQUET_SETTINGS)
        self.buffer: list[dict[str, Any]] = []
        self.rows = 0
        self.nbytes = 0  # Arrow size of the rows, as the card's `num_bytes`

    def add(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= ROW_GROUP_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            table = pa.Table.from_pylist(self.buffer, schema=self.schema)
            self.writer.write_table(table, row_group_size=ROW_GROUP_SIZE)
            self.rows += len(self.buffer)
            self.nbytes += table.nbytes
            self.buffer = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


@dataclass(frozen=True)
class ConfigFiles:
    """A dataset config and its data file per split, relative to the dataset folder."""

    name: str
    language: str
    columns: dict[str, Any]
    files: dict[str, str]
    default: bool = False
    level: str = "sentence"  # "sentence" or "document": what one row is

    def rows(self, document: AnnotatedDocument) -> Iterator[dict[str, Any]]:
        return document_rows(document) if self.level == "document" else sentence_rows(document)


def sentence_config(language: str, splits: tuple[str, ...]) -> ConfigFiles:
    return ConfigFiles(
        name=f"{language}_sentences", language=language, columns=SENTENCE_COLUMNS,
        files={split: f"data/{language}/sentences-{split}.parquet" for split in splits},
        default=(language == "fr"),
    )


def document_config(language: str, splits: tuple[str, ...]) -> ConfigFiles:
    return ConfigFiles(
        name=f"{language}_documents", language=language, columns=DOCUMENT_COLUMNS,
        files={split: f"data/{language}/documents-{split}.parquet" for split in splits},
        level="document",
    )
