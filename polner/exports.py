"""Exports beside the parquet files, in the formats NER tools read, and readers for them.

Each export is derived from the same sentence rows as the parquet (`dataset.sentence_rows`), so
it carries the final (gold) tags and cannot disagree with the dataset. Files, per language and
split, in the dataset folder:

- `exports/<lang>/<split>.conllu`: CoNLL-U, word level with multi-word token ranges (French
  *du* = *de le*), Stanza's lemmas, UPOS, XPOS and features, no dependency parse (HEAD, DEPREL
  are `_`); the IOB2 tag of each surface token in MISC as `NER=B-PER`, plus `SpaceAfter=No`.
- `exports/<lang>/<split>.iob2`: CoNLL-2003-style columns `token POS chunk NER` (POS is the
  UPOS of the token's words joined by `+`, chunk is `_`), IOB2 tags, `-DOCSTART-` before each
  document, a blank line after each sentence. Columns are TAB-separated because a token may
  contain a space (French numbers: `210 000`).
- `exports/<lang>/<split>.jsonl`: one JSON object per sentence, in the Prodigy/spaCy span
  shape: `text`, `tokens` [{id, text, start, end, ws}], `spans` [{start, end, token_start,
  token_end (inclusive), label, text, entity, provenance}], plus `id`, `doc_id`,
  `sentence_index` and `doc_char_offset`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from polner.document import AnnotatedDocument, Span
from polner.issues import PolnerError
from polner.labels import IOB2_TAGS, iob2_to_token_spans
from polner.silver import conllu_token_lines

EXPORT_FORMATS: tuple[str, ...] = ("conllu", "iob2", "jsonl")
DOCSTART = "-DOCSTART-\t-X-\t-X-\tO"


def export_path(language: str, split: str, fmt: str) -> str:
    """Where an export lives, relative to the dataset folder."""
    return f"exports/{language}/{split}.{fmt}"


def _sentences_with_rows(document: AnnotatedDocument):
    from polner.dataset import sentence_rows

    return zip(document.silver.sentences, sentence_rows(document), strict=True)


def format_conllu(document: AnnotatedDocument) -> str:
    """A document's sentences in CoNLL-U, final tags in MISC (`NER=…`)."""
    lines = [f"# newdoc id = {document.meta.id}"]
    for sentence, row in _sentences_with_rows(document):
        tags = [IOB2_TAGS[i] for i in row["ner_tags"]]
        lines.append(f"# sent_id = {row['id']}")
        lines.append(f"# text = {row['text']}")
        lines += conllu_token_lines(sentence, [[f"NER={tag}"] for tag in tags])
        lines.append("")
    return "\n".join(lines) + "\n"


def format_iob2(document: AnnotatedDocument) -> str:
    """A document in CoNLL-2003-style TAB-separated columns, after a `-DOCSTART-` line."""
    lines = [DOCSTART, ""]
    for sentence, row in _sentences_with_rows(document):
        for token, tag_id in zip(sentence.tokens, row["ner_tags"], strict=True):
            pos = "+".join(word.upos or "_" for word in token.words)
            lines.append(f"{token.text}\t{pos}\t_\t{IOB2_TAGS[tag_id]}")
        lines.append("")
    return "\n".join(lines) + "\n"


def format_jsonl(document: AnnotatedDocument) -> str:
    """A document's sentences as JSON lines with tokens and entity spans."""
    out = []
    for _, row in _sentences_with_rows(document):
        starts, ends = row["token_starts"], row["token_ends"]
        first = {start: i for i, start in enumerate(starts)}
        last = {end: i for i, end in enumerate(ends)}
        record = {
            "id": row["id"],
            "doc_id": row["doc_id"],
            "sentence_index": row["sentence_index"],
            "doc_char_offset": row["doc_char_offset"],
            "text": row["text"],
            "tokens": [
                {"id": i, "text": text, "start": start, "end": end,
                 "ws": i + 1 < len(starts) and starts[i + 1] > end}
                for i, (text, start, end) in enumerate(zip(row["tokens"], starts, ends))
            ],
            "spans": [
                {"start": span["start"], "end": span["end"], "token_start": first[span["start"]],
                 "token_end": last[span["end"]], "label": span["label"], "text": span["text"],
                 "entity": span["entity"], "provenance": span["provenance"]}
                for span in row["spans"]
            ],
        }
        out.append(json.dumps(record, ensure_ascii=False) + "\n")
    return "".join(out)


_FORMATTERS = {"conllu": format_conllu, "iob2": format_iob2, "jsonl": format_jsonl}


class ExportWriter:
    """Every export file of every (language, split), streamed one document at a time.

    All files are created up front, so an empty split still has its (empty) files."""

    def __init__(self, folder: Path, languages: list[str], splits: tuple[str, ...]):
        self.handles: dict[tuple[str, str, str], TextIO] = {}
        try:
            for language in languages:
                for split in splits:
                    for fmt in EXPORT_FORMATS:
                        path = folder / export_path(language, split, fmt)
                        path.parent.mkdir(parents=True, exist_ok=True)
                        self.handles[(language, split, fmt)] = path.open("w", encoding="utf-8", newline="\n")
        except BaseException:
            self.close()
            raise

    def add(self, document: AnnotatedDocument) -> None:
        for fmt, formatter in _FORMATTERS.items():
            self.handles[(document.meta.language, document.split, fmt)].write(formatter(document))

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


# --- Readers (used to check that each export round-trips) ---------------------------------


class ExportFormatError(PolnerError):
    def __init__(self, path: str, line: int, message: str):
        self.line = line
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class ReadSentence:
    """A sentence read back from an export. Offsets are into `text`; what a format does not
    carry is None (the IOB2 columns have no text, ids or offsets)."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    id: str | None = None
    text: str | None = None
    token_starts: tuple[int, ...] | None = None
    token_ends: tuple[int, ...] | None = None
    spans: tuple[Span, ...] | None = None

    def entities(self) -> list[tuple[int, int, str]]:
        """(first token, last token, label) of each entity, from the tags."""
        return iob2_to_token_spans(self.tags)


@dataclass(frozen=True)
class ReadDocument:
    doc_id: str | None
    sentences: tuple[ReadSentence, ...]


def read_conllu(text: str, path: str = "<conllu>") -> list[ReadDocument]:
    """Documents of a CoNLL-U export; token offsets rebuilt from `# text` and SpaceAfter."""
    documents: list[tuple[str | None, list[ReadSentence]]] = []
    comments: dict[str, str] = {}
    tokens: list[tuple[str, str, bool, int]] = []  # form, tag, space after, line
    covered = 0  # last word id inside the current multi-word token

    def close(line: int) -> None:
        nonlocal tokens, comments
        if not tokens:
            return
        if "text" not in comments or "sent_id" not in comments:
            raise ExportFormatError(path, line, "sentence without `# sent_id` or `# text`")
        starts, ends, position = [], [], 0
        for form, _, space_after, token_line in tokens:
            if comments["text"][position : position + len(form)] != form:
                raise ExportFormatError(path, token_line, f"token {form!r} does not continue `# text` at {position}")
            start = position
            starts.append(start)
            ends.append(start + len(form))
            position = start + len(form) + (1 if space_after else 0)
        if ends[-1] != len(comments["text"]):
            raise ExportFormatError(path, line, f"`# text` goes on after the last token: {comments['text'][ends[-1]:]!r}")
        if not documents:
            raise ExportFormatError(path, line, "sentence before any `# newdoc id`")
        documents[-1][1].append(ReadSentence(
            tokens=tuple(t[0] for t in tokens), tags=tuple(t[1] for t in tokens), id=comments["sent_id"],
            text=comments["text"], token_starts=tuple(starts), token_ends=tuple(ends)))
        tokens, comments = [], {}

    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if line.startswith("#"):
            key, _, value = line[1:].strip().partition(" = ")
            if key == "newdoc id":
                documents.append((value, []))
            comments[key] = value
            continue
        if not line:
            close(number)
            covered = 0
            continue
        columns = line.split("\t")
        if len(columns) != 10:
            raise ExportFormatError(path, number, f"expected 10 columns, found {len(columns)}")
        word_id, form, misc = columns[0], columns[1], columns[9]
        if "." in word_id:
            continue  # empty nodes: none are written, none are tokens
        if not word_id.replace("-", "", 1).isdigit():
            raise ExportFormatError(path, number, f"bad word id {word_id!r}")
        if "-" in word_id:
            covered = int(word_id.partition("-")[2])
        elif int(word_id) <= covered:
            continue  # a word of the multi-word token already read
        items = dict(item.partition("=")[::2] for item in misc.split("|") if item != "_")
        if "NER" not in items:
            raise ExportFormatError(path, number, "token without NER=… in MISC")
        tokens.append((form, items["NER"], items.get("SpaceAfter") != "No", number))
    close(len(lines))
    return [ReadDocument(doc_id, tuple(sentences)) for doc_id, sentences in documents]


def read_iob2(text: str, path: str = "<iob2>") -> list[ReadDocument]:
    """Documents of a CoNLL-2003-style export (split at `-DOCSTART-`)."""
    documents: list[list[ReadSentence]] = []
    tokens: list[tuple[str, str]] = []

    def close() -> None:
        nonlocal tokens
        if tokens:
            if not documents:
                raise ExportFormatError(path, number, "sentence before any -DOCSTART-")
            documents[-1].append(ReadSentence(tuple(t for t, _ in tokens), tuple(g for _, g in tokens)))
        tokens = []

    number = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not line:
            close()
            continue
        columns = line.split("\t")
        if len(columns) != 4:
            raise ExportFormatError(path, number, f"expected 4 TAB-separated columns, found {len(columns)}")
        if columns[0] == "-DOCSTART-":
            close()
            documents.append([])
            continue
        tokens.append((columns[0], columns[3]))
    close()
    return [ReadDocument(None, tuple(sentences)) for sentences in documents]


def read_jsonl(text: str, path: str = "<jsonl>") -> list[ReadDocument]:
    """Documents of a JSONL export (consecutive lines with the same doc_id); tags from spans."""
    from polner.labels import token_spans_to_iob2

    documents: list[tuple[str, list[ReadSentence]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            record: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExportFormatError(path, number, f"invalid JSON: {exc.msg}") from None
        tokens = record["tokens"]
        if [t["id"] for t in tokens] != list(range(len(tokens))):
            raise ExportFormatError(path, number, "token ids are not 0, 1, 2, …")
        spans = tuple(Span(s["start"], s["end"], s["label"], s["text"], s["provenance"], s["entity"])
                      for s in record["spans"])
        tags = token_spans_to_iob2(len(tokens), [(s["token_start"], s["token_end"], s["label"])
                                                 for s in record["spans"]])
        sentence = ReadSentence(
            tokens=tuple(t["text"] for t in tokens), tags=tuple(tags), id=record["id"], text=record["text"],
            token_starts=tuple(t["start"] for t in tokens), token_ends=tuple(t["end"] for t in tokens),
            spans=spans)
        if not documents or documents[-1][0] != record["doc_id"]:
            documents.append((record["doc_id"], []))
        documents[-1][1].append(sentence)
    return [ReadDocument(doc_id, tuple(sentences)) for doc_id, sentences in documents]


READERS = {"conllu": read_conllu, "iob2": read_iob2, "jsonl": read_jsonl}
