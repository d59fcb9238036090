"""The gold layer: human corrections in YAML, anchored by offsets and surface text, applied
to the silver spans to give the final annotation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import jsonschema

from polner.document import Correction, GoldFile, Span
from polner.issues import Issue, error, warning
from polner.labels import ENTITY_LABELS, describe_labels
from polner.yamlio import YamlSyntaxError, load_located_yaml

REVIEW_STATUSES = ("unreviewed", "in-progress", "reviewed")
ACTIONS = ("add", "relabel", "delete", "link")

CORRECTIONS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["document", "status", "corrections"],
    "properties": {
        "document": {"type": "string", "minLength": 1},
        "status": {"enum": list(REVIEW_STATUSES)},
        "reviewers": {"type": "array", "items": {"type": "string"}},
        "corrections": {"type": ["array", "null"], "items": {"$ref": "#/$defs/correction"}},
    },
    "$defs": {
        "correction": {
            "type": "object",
            "additionalProperties": False,
            "required": ["action", "start", "end", "text"],
            "properties": {
                "action": {"enum": list(ACTIONS)},
                "start": {"type": "integer", "minimum": 0},
                "end": {"type": "integer", "minimum": 1},
                "text": {"type": "string", "minLength": 1},
                "label": {"enum": list(ENTITY_LABELS)},
                "entity": {"type": "string", "minLength": 1},
                "note": {"type": "string"},
            },
        }
    },
}

# JSON Schema counts 1.0 as an integer; an offset must be written as a whole number.
_STRICT_INTEGERS = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
_VALIDATOR = jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                          type_checker=_STRICT_INTEGERS)(CORRECTIONS_SCHEMA)


def _schema_code(err: jsonschema.ValidationError) -> str:
    if err.validator == "enum" and err.absolute_path and err.absolute_path[-1] == "label":
        return "gold-unknown-label"
    return "gold-schema"


def _schema_message(err: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in err.absolute_path) or "the file"
    if err.validator == "enum" and err.absolute_path and err.absolute_path[-1] == "label":
        return f"unknown label {err.instance!r}; labels are {describe_labels()}"
    if err.validator == "enum":
        allowed = ", ".join(map(str, err.validator_value))
        return f"{where}: {err.instance!r} is not one of {allowed}"
    if err.validator == "additionalProperties":
        allowed = ", ".join(err.schema.get("properties", {}))
        return f"{where}: {err.message} (allowed keys: {allowed})"
    return f"{where}: {err.message}"


def load_gold(path_label: str, content: str) -> tuple[GoldFile | None, list[Issue]]:
    """Parse and schema-check a correction file; every problem is returned with its line."""
    try:
        located = load_located_yaml(content)
    except YamlSyntaxError as exc:
        return None, [error("gold-yaml-syntax", path_label, exc.line, str(exc))]
    issues = located.duplicate_key_issues("gold-duplicate-key", path_label)
    data = located.data
    for err in located.schema_errors(_VALIDATOR):
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = err.schema.get("properties", {})
            where = ".".join(map(str, path)) or "the file"
            for key in (k for k in err.instance if k not in allowed):  # one issue per key, at its line
                issues.append(error("gold-unknown-key", path_label, located.line_of(path + (key,)),
                                    f"{where}: unknown key {key!r} (allowed keys: {', '.join(allowed)})"))
            continue
        issues.append(error(_schema_code(err), path_label, located.line_of(path), _schema_message(err)))
    if issues:
        return None, issues
    corrections = []
    for index, item in enumerate(data.get("corrections") or []):
        line = located.line_of(("corrections", index))
        if item["action"] in ("add", "relabel") and "label" not in item:
            issues.append(error("gold-missing-label", path_label, line,
                                f"an '{item['action']}' correction needs a label ({describe_labels()})"))
        if item["action"] == "delete" and "label" in item:
            issues.append(error("gold-delete-label", path_label, line,
                                "a 'delete' correction takes no label"))
        if item["action"] == "link" and "label" in item:
            issues.append(error("gold-link-label", path_label, line,
                                "a 'link' correction takes no label: it only sets the span's entity",
                                hint="use 'relabel' (with an entity) to change the label too"))
        if item["action"] == "link" and "entity" not in item:
            issues.append(error("gold-missing-entity", path_label, line,
                                "a 'link' correction needs an entity key from annotations/entities.yaml"))
        corrections.append(
            Correction(item["action"], item["start"], item["end"], item["text"], item.get("label"),
                       item.get("entity"), item.get("note"), line)
        )
    gold = GoldFile(path_label, data["document"], data["status"], tuple(data.get("reviewers") or ()),
                    tuple(corrections), located.line_of(("document",)))
    return (None if any(i.level.value == "error" for i in issues) else gold), issues


def _where_is(text: str, surface: str, near: int) -> str:
    positions = []
    start = text.find(surface)
    while start != -1 and len(positions) < 50:
        positions.append(start)
        start = text.find(surface, start + 1)
    if not positions:
        return f"{surface!r} does not occur in the text"
    nearest = sorted(positions, key=lambda p: abs(p - near))[:3]
    shown = ", ".join(f"start: {p}, end: {p + len(surface)}" for p in nearest)
    return f"{surface!r} occurs at {shown}"


def apply_corrections(
    text: str,
    silver: Sequence[Span],
    gold: GoldFile,
    token_starts: set[int],
    token_ends: set[int],
) -> tuple[list[Span], list[Issue]]:
    """Final spans = silver spans changed by the corrections, in file order.

    A correction whose anchor does not match the text, whose silver span no longer exists,
    or that would overlap another span is an error; one that changes nothing is a warning.
    """
    spans = {span.key: span for span in silver}
    issues: list[Issue] = []
    seen: dict[tuple[str, tuple[int, int]], int] = {}  # (action, offsets) → line: a link may follow an add
    path = gold.path
    for c in gold.corrections:
        if c.start >= c.end:
            issues.append(error("gold-offsets-reversed", path, c.line,
                                f"start {c.start} is not before end {c.end}"))
            continue
        if c.end > len(text):
            issues.append(error("gold-offsets-out-of-range", path, c.line,
                                f"end {c.end} is past the end of the text ({len(text)} characters)"))
            continue
        if text[c.start : c.end] != c.text:
            issues.append(error(
                "gold-anchor-mismatch", path, c.line,
                f"text at {c.start}:{c.end} is {text[c.start:c.end]!r}, not {c.text!r}",
                hint=_where_is(text, c.text, c.start)))
            continue
        if c.start not in token_starts or c.end not in token_ends:
            issues.append(error("gold-token-boundary", path, c.line,
                                f"{c.text!r} at {c.start}:{c.end} does not start and end on token boundaries"))
            continue
        key = (c.start, c.end)
        if (c.action, key) in seen:
            issues.append(error("gold-duplicate-correction", path, c.line,
                                f"the same {c.action} of {c.text!r} at {c.start}:{c.end} is on line "
                                f"{seen[(c.action, key)]}"))
            continue
        seen[(c.action, key)] = c.line
        existing = spans.get(key)
        if c.action in ("delete", "relabel", "link") and existing is None:
            issues.append(error("gold-stale-correction", path, c.line,
                                f"no silver span {c.text!r} at {c.start}:{c.end} to {c.action}",
                                hint="the silver layer changed: re-check this correction against `polner show`"))
            continue
        if c.action == "delete":
            del spans[key]
        elif c.action == "link":
            if existing.entity == c.entity:
                issues.append(warning("gold-redundant-correction", path, c.line,
                                      f"{c.text!r} is already linked to {c.entity!r}"))
            spans[key] = replace(existing, entity=c.entity)
        elif c.action == "relabel":
            if existing.label == c.label:
                issues.append(warning("gold-redundant-correction", path, c.line,
                                      f"{c.text!r} is already {c.label} in the silver layer"))
            spans[key] = replace(existing, label=c.label, provenance="gold", entity=c.entity or existing.entity)
        else:  # add
            if existing is not None and existing.label == c.label:
                issues.append(warning("gold-redundant-correction", path, c.line,
                                      f"{c.text!r} is already {c.label} in the silver layer"))
                spans[key] = replace(existing, provenance="gold", entity=c.entity)
                continue
            overlapping = [s for s in spans.values() if s.start < c.end and c.start < s.end]
            if overlapping:
                other = overlapping[0]
                issues.append(error("gold-overlap", path, c.line,
                                    f"{c.text!r} at {c.start}:{c.end} overlaps {other.label} span "
                                    f"{other.text!r} at {other.start}:{other.end}",
                                    hint="use `action: relabel` to change its label" if other.key == key
                                    else "delete the other span first, in an earlier correction"))
                continue
            spans[key] = Span(c.start, c.end, c.label, c.text, provenance="gold", entity=c.entity)
    return sorted(spans.values(), key=lambda s: (s.start, s.end)), issues


def applied_only(gold: GoldFile, issues: Sequence[Issue]) -> GoldFile:
    """`gold` without the corrections that failed to apply (an error at their line), so that
    later checks judge the spans as they are, not as a failed correction meant them to be."""
    failed = {issue.line for issue in issues if issue.level.value == "error" and issue.path == gold.path}
    return replace(gold, corrections=tuple(c for c in gold.corrections if c.line not in failed))


def empty_gold_file(doc_id: str) -> str:
    """The text of a new correction file for a document, with its comment header."""
    return (
        f"# Gold corrections for {doc_id}. Offsets are character offsets into\n"
        f"# corpus/<language>/text/{doc_id}.txt (end exclusive); `text` must equal the text there.\n"
        "# Actions: add (label), relabel (label), delete, link (entity). Write them with `polner correct`.\n"
        f"document: {doc_id}\n"
        "status: unreviewed\n"
        "corrections:\n"
    )
