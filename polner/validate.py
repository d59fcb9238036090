"""The validate stage: every rule checked for every document, every problem reported.

Each check adds an `Issue` with a stable code (see docs/validation-codes.md); nothing here raises
for bad data. `iter_validated_documents` streams documents so that a large corpus is never
held in memory whole.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import jsonschema

from polner.corpus import clean_text, sha256_text
from polner.document import AnnotatedDocument, DocumentMeta, GoldFile, SilverDocument, Span
from polner.entities import resolve_entities, span_sources
from polner.gold import applied_only, apply_corrections, load_gold
from polner.guidelines import check_guidelines
from polner.issues import Issue, Level, error
from polner.labels import ENTITY_LABELS, iob2_errors, token_spans_to_iob2
from polner.layout import Layout
from polner.registry import Registry, load_registry
from polner.silver import SilverFormatError, parse_silver, silver_spans
from polner.splits import SPLITS, load_splits
from polner.yamlio import YamlSyntaxError, load_located_yaml

_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_OPTIONAL_TEXT = {"type": ["string", "null"]}

META_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "language", "title", "source", "url", "authors", "published", "licence",
                 "licence_status", "seed_file", "raw_sha256", "text_sha256"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z]{2,3}-[a-z0-9]+(-[a-z0-9]+)*$"},
        "language": {"type": "string", "pattern": "^[a-z]{2,3}$"},
        "title": _OPTIONAL_TEXT,
        "source": _OPTIONAL_TEXT,
        "url": {"type": ["string", "null"], "pattern": "^https?://"},
        "authors": {"type": "array", "items": {"type": "string"}},
        "published": {"type": ["string", "null"], "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
        "licence": _OPTIONAL_TEXT,
        "licence_status": {"type": "string", "minLength": 1},
        "seed_file": _OPTIONAL_TEXT,
        "raw_sha256": _SHA256,
        "text_sha256": _SHA256,
        "notes": _OPTIONAL_TEXT,
    },
}
_META_VALIDATOR = jsonschema.Draft202012Validator(META_SCHEMA)


def load_meta(layout: Layout, language: str, doc_id: str) -> tuple[DocumentMeta | None, list[Issue]]:
    """A document's metadata, schema-checked, with every problem at its line."""
    path = layout.meta_path(language, doc_id)
    label = layout.relative(path)
    if not path.exists():
        return None, [error("meta-missing", label, None, f"document {doc_id} has no metadata file",
                            hint="`polner ingest` writes one", doc_id=doc_id)]
    content, problems = _decode(label, path.read_bytes(), "meta", doc_id)
    if content is None:
        return None, problems
    try:
        located = load_located_yaml(content)
    except YamlSyntaxError as exc:
        return None, [error("meta-yaml-syntax", label, exc.line, str(exc), doc_id=doc_id)]
    issues = located.duplicate_key_issues("meta-duplicate-key", label, doc_id)
    for err in located.schema_errors(_META_VALIDATOR):
        where = ".".join(map(str, err.absolute_path)) or "the file"
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            for key in (k for k in err.instance if k not in META_SCHEMA["properties"]):
                issues.append(error("meta-unknown-key", label, located.line_of((key,)),
                                    f"unknown key {key!r} (allowed keys: {', '.join(META_SCHEMA['properties'])})",
                                    doc_id=doc_id))
            continue
        issues.append(error("meta-schema", label, located.line_of(tuple(err.absolute_path)),
                            f"{where}: {err.message}", doc_id=doc_id))
    if issues:
        return None, issues
    data = located.data
    if data["id"] != doc_id:
        issues.append(error("meta-id-mismatch", label, located.line_of(("id",)),
                            f"id {data['id']!r} differs from the file name {doc_id!r}", doc_id=doc_id))
    if data["language"] != language:
        issues.append(error("meta-language-mismatch", label, located.line_of(("language",)),
                            f"language {data['language']!r} differs from the folder {language!r}", doc_id=doc_id))
    meta = DocumentMeta(
        id=data["id"], language=data["language"], title=data["title"], source=data["source"],
        url=data["url"], authors=tuple(data["authors"]), published=data["published"],
        licence=data["licence"], licence_status=data["licence_status"], seed_file=data["seed_file"],
        raw_sha256=data["raw_sha256"], text_sha256=data["text_sha256"], notes=data.get("notes"),
    )
    return meta, issues


def _decode(path_label: str, data: bytes, code_prefix: str, doc_id: str) -> tuple[str | None, list[Issue]]:
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [error(f"{code_prefix}-encoding", path_label, line,
                            f"not valid UTF-8 (byte {exc.start})", doc_id=doc_id)]


def check_text_form(label: str, text: str, doc_id: str) -> list[Issue]:
    """The annotated text is NFC, has `\\n` line ends, no BOM and is not empty."""
    issues = []
    if not text.strip():
        issues.append(error("text-empty", label, 1, "the annotated text is empty", doc_id=doc_id))
    if text.startswith("\ufeff"):
        issues.append(error("text-bom", label, 1, "the file starts with a byte-order mark", doc_id=doc_id))
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        issues.append(error("text-line-ends", label, line, "CR or CRLF line ends; use \\n", doc_id=doc_id))
    if not unicodedata.is_normalized("NFC", text):
        for number, line in enumerate(text.split("\n"), start=1):
            if not unicodedata.is_normalized("NFC", line):
                issues.append(error("text-not-nfc", label, number,
                                    "text is not in Unicode NFC (decomposed accents?)", doc_id=doc_id))
                break
    return issues


def _first_difference_line(expected: str, actual: str) -> int:
    """The line of `actual` on which it first differs from `expected`."""
    for number, (a, b) in enumerate(zip(expected.split("\n"), actual.split("\n")), start=1):
        if a != b:
            return number
    return min(expected.count("\n"), actual.count("\n")) + 1


def _silver_line(silver_text: str, start: int) -> int | None:
    needle = f"start_char={start}|"
    for number, line in enumerate(silver_text.split("\n"), start=1):
        if needle in line and not line.startswith("#"):
            return number
    return None


def check_silver(label: str, silver: SilverDocument, silver_text: str, text: str, doc_id: str,
                 language: str) -> list[Issue]:
    """The silver file belongs to this text: same id, language, text hash, and token offsets."""
    issues = []
    if silver.doc_id != doc_id:
        issues.append(error("silver-id-mismatch", label, 1,
                            f"newdoc id {silver.doc_id!r} differs from the file name {doc_id!r}", doc_id=doc_id))
    if silver.language != language:
        issues.append(error("silver-language-mismatch", label, 2,
                            f"language {silver.language!r} differs from the folder {language!r}", doc_id=doc_id))
    if silver.text_sha256 != sha256_text(text):
        issues.append(error(
            "silver-stale", label, 3,
            "the annotated text changed after annotation (text sha256 differs)",
            hint="run `polner annotate` to re-annotate it; its corrections are then re-checked", doc_id=doc_id))
        return issues
    previous_end = 0
    for sentence in silver.sentences:
        for token in sentence.tokens:
            if token.start < previous_end or token.end <= token.start or text[token.start : token.end] != token.text:
                issues.append(error(
                    "silver-token-mismatch", label, _silver_line(silver_text, token.start),
                    f"token {token.text!r} at {token.start}:{token.end} does not match the text "
                    f"({text[token.start:token.end]!r})", doc_id=doc_id))
                return issues
            previous_end = token.end
    return issues


@dataclass
class ValidationReport:
    """All issues of a run, and the documents that validated (when they were kept)."""

    issues: list[Issue] = field(default_factory=list)
    documents: list[AnnotatedDocument] = field(default_factory=list)
    checked: int = 0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level is Level.ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


def _sentence_of(silver: SilverDocument) -> dict[int, int]:
    """Sentence index of each token start and token end offset."""
    index: dict[int, int] = {}
    for sentence in silver.sentences:
        for token in sentence.tokens:
            index[token.start] = sentence.index
            index[-token.end - 1] = sentence.index
    return index


def check_final_spans(label: str, gold: GoldFile | None, silver: SilverDocument, spans: list[Span],
                      doc_id: str, *, silver_label: str | None = None, silver_text: str = "") -> list[Issue]:
    """Final spans stay inside one sentence and give valid IOB2 tags.

    A problem of a span Stanza made is reported at its token in the silver file when
    `silver_label` and `silver_text` are given, not on the gold file."""
    issues = []
    sentence_of = _sentence_of(silver)
    lines = {(c.start, c.end): c.line for c in gold.corrections} if gold else {}
    for span in spans:
        if sentence_of.get(span.start) != sentence_of.get(-span.end - 1):
            issues.append(error("span-crosses-sentence", label,
                                lines.get(span.key), f"{span.label} span {span.text!r} at "
                                f"{span.start}:{span.end} crosses a sentence boundary", doc_id=doc_id))
        if span.label not in ENTITY_LABELS:
            where = (label, lines.get(span.key))
            if span.provenance == "stanza" and silver_label:
                where = (silver_label, _silver_line(silver_text, span.start))
            issues.append(error("span-unknown-label", *where,
                                f"span {span.text!r} has label {span.label!r}; labels are {', '.join(ENTITY_LABELS)}",
                                hint="a Stanza model with another label set? map its labels or use another model",
                                doc_id=doc_id))
    if issues:
        return issues
    by_sentence: dict[int, list[Span]] = {}
    for span in spans:
        by_sentence.setdefault(sentence_of[span.start], []).append(span)
    for sentence in silver.sentences:
        position = {t.start: i for i, t in enumerate(sentence.tokens)}
        position_end = {t.end: i for i, t in enumerate(sentence.tokens)}
        token_spans = [(position[s.start], position_end[s.end], s.label) for s in by_sentence.get(sentence.index, [])]
        try:
            tags = token_spans_to_iob2(len(sentence.tokens), token_spans)
        except ValueError as exc:
            issues.append(error("iob2-invalid", label, None, f"sentence {sentence.index}: {exc}", doc_id=doc_id))
            continue
        for problem in iob2_errors(tags):
            issues.append(error("iob2-invalid", label, None, f"sentence {sentence.index}: {problem}", doc_id=doc_id))
    return issues


def check_spans(spans: list[Span], *, doc_id: str, review_status: str, silver: SilverDocument,
                silver_label: str, silver_text: str, gold: GoldFile | None, gold_label: str,
                registry: Registry | None) -> tuple[list[Span], list[Issue]]:
    """The final spans with their entity keys, and every problem of sentences, tags, entity
    keys and guidelines (`registry` None: entity keys are not resolved)."""
    issues = check_final_spans(gold_label if gold else silver_label, gold, silver, spans, doc_id,
                               silver_label=silver_label, silver_text=silver_text)
    sources = span_sources(doc_id, review_status, silver_label, silver_text, gold)
    if registry is not None:
        spans, problems = resolve_entities(spans, registry, sources)
        issues += problems
    issues += check_guidelines(spans, silver, registry, sources)
    return spans, issues


def validate_document(layout: Layout, language: str, doc_id: str, split_of: dict[str, str],
                      registry: Registry | None = None) -> tuple[AnnotatedDocument | None, list[Issue]]:
    """Check one document through every layer; the validated document when it has no error.

    `registry` None skips entity resolution (the registry could not be read; its own errors
    are reported once, by iter_validated_documents)."""
    meta, issues = load_meta(layout, language, doc_id)
    raw_path, text_path = layout.raw_path(language, doc_id), layout.text_path(language, doc_id)
    raw_label, text_label = layout.relative(raw_path), layout.relative(text_path)
    raw = text = None
    if not raw_path.exists():
        issues.append(error("raw-missing", raw_label, None, f"document {doc_id} has no raw file", doc_id=doc_id))
    else:
        raw_bytes = raw_path.read_bytes()
        raw, problems = _decode(raw_label, raw_bytes, "raw", doc_id)
        issues += problems
        if meta and hashlib.sha256(raw_bytes).hexdigest() != meta.raw_sha256:
            issues.append(error("raw-hash-mismatch", raw_label, None,
                                "the raw article changed: its sha256 differs from the metadata",
                                hint="raw files are kept verbatim; add a new version with `polner ingest`",
                                doc_id=doc_id))
    if not text_path.exists():
        issues.append(error("text-missing", text_label, None, f"document {doc_id} has no annotated text",
                            hint="`polner ingest` derives it from the raw file", doc_id=doc_id))
    else:
        text, problems = _decode(text_label, text_path.read_bytes(), "text", doc_id)
        issues += problems
    if text is not None:
        issues += check_text_form(text_label, text, doc_id)
        if meta and sha256_text(text) != meta.text_sha256:
            issues.append(error("text-hash-mismatch", text_label, None,
                                "the annotated text's sha256 differs from the metadata", doc_id=doc_id))
        derived = clean_text(raw, language).text if raw is not None else text
        if derived != text:
            issues.append(error("text-not-derived", text_label, _first_difference_line(derived, text),
                                "the annotated text is not what the ingest step derives from the raw file",
                                hint="the annotated text is never edited by hand", doc_id=doc_id))
    split = split_of.get(doc_id)
    if split is None:
        issues.append(error("split-missing", layout.relative(layout.splits_file), None,
                            f"document {doc_id} is in no split", hint="run `polner split`", doc_id=doc_id))
    silver_path = layout.silver_path(language, doc_id)
    silver_label = layout.relative(silver_path)
    silver, silver_text = None, ""
    if not silver_path.exists():
        issues.append(error("silver-missing", silver_label, None, f"document {doc_id} has no silver layer",
                            hint="run `polner annotate`", doc_id=doc_id))
    elif text is not None:
        silver_text, problems = _decode(silver_label, silver_path.read_bytes(), "silver", doc_id)
        issues += problems
        if silver_text is not None:
            try:
                silver = parse_silver(silver_text)
            except SilverFormatError as exc:
                issues.append(error("silver-format", silver_label, exc.line, str(exc), doc_id=doc_id))
            else:
                problems = check_silver(silver_label, silver, silver_text, text, doc_id, language)
                issues += problems
                silver = None if problems else silver
    gold_path = layout.gold_path(language, doc_id)
    gold_label = layout.relative(gold_path)
    gold = None
    if gold_path.exists():
        gold_text, problems = _decode(gold_label, gold_path.read_bytes(), "gold", doc_id)
        issues += problems
        if gold_text is not None:
            if gold_text.startswith("\ufeff"):
                issues.append(error("gold-bom", gold_label, 1, "the file starts with a byte-order mark", doc_id=doc_id))
            if "\r" in gold_text:
                issues.append(error("gold-line-ends", gold_label, gold_text[: gold_text.index("\r")].count("\n") + 1,
                                    "CR or CRLF line ends; use \\n", doc_id=doc_id))
            for number, line in enumerate(gold_text.split("\n"), start=1):
                if not unicodedata.is_normalized("NFC", line):
                    issues.append(error("gold-not-nfc", gold_label, number,
                                        "text is not in Unicode NFC (decomposed accents?)", doc_id=doc_id))
                    break
            gold, problems = load_gold(gold_label, gold_text.lstrip("\ufeff"))
            issues += [_with_doc(i, doc_id) for i in problems]
            if gold and gold.document != doc_id:
                issues.append(error("gold-document-mismatch", gold_label, gold.line,
                                    f"document {gold.document!r} differs from the file name {doc_id!r}", doc_id=doc_id))
                gold = None
    # Corrections need only the text, a silver layer that matches it and a readable gold file:
    # they are checked even when other layers have errors, so that one run reports everything.
    if silver is None or text is None or (gold_path.exists() and gold is None):
        return None, issues
    spans = silver_spans(silver, text)
    review_status = "unreviewed"
    if gold is not None:
        starts = {t.start for s in silver.sentences for t in s.tokens}
        ends = {t.end for s in silver.sentences for t in s.tokens}
        spans, problems = apply_corrections(text, spans, gold, starts, ends)
        issues += [_with_doc(i, doc_id) for i in problems]
        review_status = gold.status
        gold = applied_only(gold, problems)
    spans, problems = check_spans(spans, doc_id=doc_id, review_status=review_status, silver=silver,
                                  silver_label=silver_label, silver_text=silver_text or "", gold=gold,
                                  gold_label=gold_label, registry=registry)
    issues += problems
    if any(i.level is Level.ERROR for i in issues):
        return None, issues
    assert meta is not None
    return AnnotatedDocument(meta, text, silver, tuple(spans), review_status, split), issues


def _with_doc(issue: Issue, doc_id: str) -> Issue:
    from dataclasses import replace

    return replace(issue, doc_id=doc_id)


def check_splits(layout: Layout) -> tuple[dict[str, str], list[Issue]]:
    """Every document in exactly one split, and no split naming an unknown document."""
    splits, issues = load_splits(layout)
    label = layout.relative(layout.splits_file)
    known = {doc_id for language in layout.languages() for doc_id in layout.document_ids(language)}
    entry_lines = _split_entry_lines(layout)
    split_of: dict[str, str] = {}
    for name in SPLITS:
        for position, doc_id in enumerate(splits[name]):
            line = entry_lines.get((name, position))
            if doc_id in split_of:
                issues.append(error("split-duplicate", label, line,
                                    f"document {doc_id} is in {split_of[doc_id]} and in {name}", doc_id=doc_id))
            elif doc_id not in known:
                issues.append(error("split-unknown-document", label, line,
                                    f"{name} lists {doc_id}, which is not in the corpus", doc_id=doc_id))
            else:
                split_of[doc_id] = name
    return split_of, issues


def _split_entry_lines(layout: Layout) -> dict[tuple[str, int], int]:
    """The line of each (split name, position) entry of the splits file."""
    try:
        located = load_located_yaml(layout.splits_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlSyntaxError):
        return {}
    return {(path[0], path[1]): line for path, line in located.lines.items()
            if len(path) == 2 and isinstance(path[0], str) and isinstance(path[1], int)}


def check_orphan_annotations(layout: Layout) -> list[Issue]:
    """Gold and silver files of no document: a typo in a file name would otherwise leave its
    corrections unused without a word."""
    import difflib

    issues = []
    for language in layout.languages():
        known = sorted(layout.document_ids(language))
        for layer, suffix in (("gold", ".yaml"), ("silver", ".conllu")):
            folder = layout.annotations / language / layer
            for path in sorted(folder.iterdir()) if folder.is_dir() else []:
                if path.name.startswith(".") or not path.is_file():
                    continue  # locks and temporary files
                doc_id = path.name[: -len(suffix)] if path.name.endswith(suffix) else path.name
                if path.name.endswith(suffix) and doc_id in known:
                    continue
                close = difflib.get_close_matches(doc_id, known, n=1)
                issues.append(error(f"{layer}-orphan", layout.relative(path), None,
                                    f"no document {doc_id!r} in corpus/{language}: this file is not used",
                                    hint=f"did you mean {close[0]}{suffix}?" if close else None))
    return issues


def iter_validated_documents(layout: Layout) -> Iterator[tuple[AnnotatedDocument | None, list[Issue]]]:
    """Validate document by document; the split file's and the registry's own problems come
    first, files that belong to no document last."""
    split_of, issues = check_splits(layout)
    registry, registry_issues = load_registry(layout)
    yield None, issues + registry_issues
    for language in layout.languages():
        for doc_id in layout.document_ids(language):
            yield validate_document(layout, language, doc_id, split_of, registry)
    yield None, check_orphan_annotations(layout)


def validate_corpus(layout: Layout, *, keep_documents: bool = False) -> ValidationReport:
    """Run every check; keep the validated documents only when asked (they can be large)."""
    report = ValidationReport()
    if not layout.languages():
        report.issues.append(error("corpus-empty", layout.relative(layout.corpus), None,
                                   "no documents: corpus/<language>/meta/ is missing or empty",
                                   hint="add articles with `polner ingest`"))
    for document, issues in iter_validated_documents(layout):
        report.issues += issues
        if document is not None:
            report.checked += 1
            if keep_documents:
                report.documents.append(document)
    return report
