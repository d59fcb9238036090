"""The contributor's tools: `show` a document as the dataset will have it, and `correct` it by
appending one correction to its gold file, with the offsets worked out and the result checked
before anything is written.

`correct` only ever appends: the bytes already in a gold file are kept as they are, so a fix
is one small YAML hunk in a pull request.
"""

from __future__ import annotations

import difflib
import shlex
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from polner.document import Correction, GoldFile, SilverDocument, Span
from polner.fileio import atomic_write_bytes, file_lock
from polner.gold import applied_only, apply_corrections, empty_gold_file, load_gold
from polner.issues import Issue, Level, PolnerError, ValidationFailed, error
from polner.labels import ENTITY_LABELS, describe_labels
from polner.layout import Layout
from polner.silver import SilverFormatError, parse_silver, silver_spans
from polner.registry import Registry, load_registry
from polner.validate import check_silver, check_spans, check_text_form
from polner.yamlio import dump_yaml

_CONTEXT = 25  # characters of context shown around an ambiguous occurrence


@dataclass(frozen=True)
class DocumentView:
    """A document as `show` displays it: its text, Stanza's analysis and the final spans.

    `issues` are the problems of its gold file; corrections that have one are not applied."""

    doc_id: str
    language: str
    text: str
    silver: SilverDocument
    silver_spans: tuple[Span, ...]
    spans: tuple[Span, ...]
    gold: GoldFile | None
    gold_path: Path
    gold_label: str
    gold_content: str | None  # None when the document has no gold file yet
    issues: tuple[Issue, ...]
    silver_label: str = ""
    silver_text: str = field(default="", repr=False)
    registry: Registry | None = field(default=None, repr=False)

    def sentence_of(self, offset: int) -> int:
        """The index of the sentence holding the token that starts at `offset`."""
        for sentence in self.silver.sentences:
            if sentence.start <= offset < sentence.end:
                return sentence.index
        raise ValueError(offset)

    def correction_at(self, start: int, end: int) -> Correction | None:
        if self.gold is None:
            return None
        return next((c for c in self.gold.corrections if (c.start, c.end) == (start, end)), None)


def find_language(layout: Layout, doc_id: str) -> str:
    """The language folder holding `doc_id`; a PolnerError naming close ids when there is none."""
    known = {d: language for language in layout.languages() for d in layout.document_ids(language)}
    if doc_id in known:
        return known[doc_id]
    close = difflib.get_close_matches(doc_id, list(known), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `ls corpus/*/text/` lists them"
    raise PolnerError(f"no document {doc_id!r} in {layout.relative(layout.corpus)}{hint}")


def _read_text(layout: Layout, path: Path, what: str) -> str:
    label = layout.relative(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PolnerError(f"{label}: the {what} is missing (run `polner validate`)") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationFailed([error(f"{what.split()[0]}-encoding", label, line,
                                      f"not valid UTF-8 (byte {exc.start})")]) from None


def load_view(layout: Layout, doc_id: str) -> DocumentView:
    """Read a document's text, silver layer and corrections, and work out its final spans.

    Raises ValidationFailed when the text or the silver layer is broken or stale (offsets would
    then mean nothing); problems of the gold file are kept in `issues` instead."""
    language = find_language(layout, doc_id)
    text_path, silver_path = layout.text_path(language, doc_id), layout.silver_path(language, doc_id)
    text = _read_text(layout, text_path, "text")
    problems = [i for i in check_text_form(layout.relative(text_path), text, doc_id) if i.level is Level.ERROR]
    if problems:
        raise ValidationFailed(problems)
    silver_label = layout.relative(silver_path)
    if not silver_path.exists():
        raise PolnerError(f"{silver_label}: {doc_id} has no silver layer yet; run `polner annotate`")
    silver_text = _read_text(layout, silver_path, "silver layer")
    try:
        silver = parse_silver(silver_text)
    except SilverFormatError as exc:
        raise ValidationFailed([error("silver-format", silver_label, exc.line, str(exc), doc_id=doc_id)]) from None
    problems = check_silver(silver_label, silver, silver_text, text, doc_id, language)
    if problems:
        raise ValidationFailed(problems)
    stanza_spans = silver_spans(silver, text)
    gold_path = layout.gold_path(language, doc_id)
    gold_label = layout.relative(gold_path)
    gold, content, issues, spans = None, None, [], list(stanza_spans)
    if gold_path.exists():
        content, issues = _read_gold_content(gold_path, gold_label, doc_id)
        if content is not None:
            gold, problems = load_gold(gold_label, content)
            issues += problems
            if gold is not None and gold.document != doc_id:
                issues.append(error("gold-document-mismatch", gold_label, gold.line,
                                    f"document {gold.document!r} differs from the file name {doc_id!r}"))
                gold = None
    registry, _ = load_registry(layout)  # its own errors are reported by `validate`
    view = DocumentView(doc_id, language, text, silver, tuple(stanza_spans), tuple(spans), gold, gold_path,
                        gold_label, content, tuple(issues), silver_label, silver_text, registry)
    if gold is None:
        return view
    spans, problems = corrected_spans(view, gold)
    return replace(view, spans=tuple(spans), issues=tuple(issues + problems))


def corrected_spans(view: DocumentView, gold: GoldFile) -> tuple[list[Span], list[Issue]]:
    """The final spans with `gold` applied to the silver spans, and every problem found."""
    starts = {t.start for s in view.silver.sentences for t in s.tokens}
    ends = {t.end for s in view.silver.sentences for t in s.tokens}
    spans, problems = apply_corrections(view.text, view.silver_spans, gold, starts, ends)
    spans, more = check_spans(spans, doc_id=view.doc_id, review_status=gold.status, silver=view.silver,
                              silver_label=view.silver_label, silver_text=view.silver_text,
                              gold=applied_only(gold, problems),
                              gold_label=view.gold_label, registry=view.registry)
    return spans, problems + more


def _read_gold_content(path: Path, label: str, doc_id: str) -> tuple[str | None, list[Issue]]:
    data = path.read_bytes()
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [error("gold-encoding", label, line, f"not valid UTF-8 (byte {exc.start})", doc_id=doc_id)]
    issues = []
    if content.startswith("\ufeff"):
        issues.append(error("gold-bom", label, 1, "the file starts with a byte-order mark", doc_id=doc_id))
    if "\r" in content:
        issues.append(error("gold-line-ends", label, content[: content.index("\r")].count("\n") + 1,
                            "CR or CRLF line ends; use \\n", doc_id=doc_id))
    return content.lstrip("\ufeff"), issues


# --- show -------------------------------------------------------------------------------


def view_to_dict(view: DocumentView, sentence: int | None = None) -> dict[str, object]:
    """The JSON form of `show`: every offset is a character offset into the document's text."""
    sentences = []
    for s in view.silver.sentences:
        if sentence is not None and s.index != sentence:
            continue
        sentences.append({
            "index": s.index,
            "start": s.start,
            "end": s.end,
            "text": view.text[s.start : s.end],
            "tokens": [{"text": t.text, "start": t.start, "end": t.end} for t in s.tokens],
            "entities": [_span_dict(view, span) for span in view.spans if s.start <= span.start < s.end],
            "corrections": [_correction_dict(c) for c in (view.gold.corrections if view.gold else ())
                            if s.start <= c.start < s.end],
        })
    return {
        "doc_id": view.doc_id,
        "language": view.language,
        "gold_file": view.gold_label,
        "gold_file_exists": view.gold_content is not None,
        "sentence_count": len(view.silver.sentences),
        "sentences": sentences,
        "issues": [i.as_dict() for i in view.issues],
    }


def _span_dict(view: DocumentView, span: Span) -> dict[str, object]:
    correction = view.correction_at(span.start, span.end) if span.provenance == "gold" else None
    return {"start": span.start, "end": span.end, "label": span.label, "text": span.text,
            "provenance": span.provenance, "entity": span.entity,
            "gold_line": correction.line if correction else None}


def _correction_dict(c: Correction) -> dict[str, object]:
    return {"action": c.action, "start": c.start, "end": c.end, "text": c.text, "label": c.label,
            "entity": c.entity, "note": c.note, "line": c.line}


def check_sentence_number(view: DocumentView, sentence: int | None) -> None:
    count = len(view.silver.sentences)
    if sentence is not None and not 1 <= sentence <= count:
        raise PolnerError(f"{view.doc_id} has no sentence {sentence}; its sentences are numbered 1 to {count}")


def format_view(view: DocumentView, sentence: int | None = None) -> str:
    """`show`'s terminal output: each sentence with its offsets, tokens and entity spans."""
    check_sentence_number(view, sentence)
    gold_state = (f"{view.gold_label} ({len(view.gold.corrections)} correction(s))" if view.gold
                  else f"{view.gold_label} (not created yet: `polner correct` creates it)"
                  if view.gold_content is None else f"{view.gold_label} (has errors, see below)")
    lines = [
        f"{view.doc_id}: {len(view.silver.sentences)} sentence(s), {len(view.spans)} entity span(s)",
        f"gold file: {gold_state}",
        "offsets are character offsets into the document's text, end exclusive",
        "",
    ]
    width = max([len(label) for label in ENTITY_LABELS] + [len(s.label) for s in view.spans])
    for s in view.silver.sentences:
        if sentence is not None and s.index != sentence:
            continue
        lines.append(f"[{s.index}] {s.start}:{s.end}  {view.text[s.start:s.end]}")
        lines.append("    tokens: " + " · ".join(t.text for t in s.tokens))
        inside = [span for span in view.spans if s.start <= span.start < s.end]
        for span in inside:
            origin = span.provenance
            correction = view.correction_at(span.start, span.end) if span.provenance == "gold" else None
            if correction is not None:
                origin += f" ({correction.action}, line {correction.line})"
            if span.entity:
                origin += f" entity={span.entity}"
            lines.append(f"    {span.label:<{width}}  {span.text!r:<28} {span.start}:{span.end}  {origin}")
        if not inside:
            lines.append("    (no entities)")
        for c in view.gold.corrections if view.gold else ():
            if c.action == "delete" and s.start <= c.start < s.end:
                lines.append(f"    {'-':<{width}}  {c.text!r:<28} {c.start}:{c.end}  deleted (line {c.line})")
        lines.append("")
    if view.issues:
        lines.append(f"{view.gold_label} has problems (a correction with an error is not applied above):")
        lines += [f"  {issue.format()}" for issue in view.issues]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- correct ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrectionRequest:
    """What a contributor asks for: an action on a surface text, found in a sentence."""

    doc_id: str
    action: str  # "add", "relabel" or "delete"
    text: str
    label: str | None = None
    sentence: int | None = None
    occurrence: int | None = None  # 1-based, among the occurrences on token boundaries
    entity: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CorrectionWritten:
    """A correction appended to a gold file, and where."""

    path: Path
    label: str
    correction: Correction
    first_line: int
    last_line: int
    created: bool
    previous_label: str | None


def find_occurrences(view: DocumentView, surface: str, sentence: int | None) -> tuple[list[tuple[int, int]], list[int]]:
    """Where `surface` occurs (in one sentence, or anywhere): the (start, end) pairs that start
    and end on token boundaries, and the starts of occurrences that cut through a token."""
    sentences = [s for s in view.silver.sentences if sentence is None or s.index == sentence]
    starts = {t.start for s in sentences for t in s.tokens}
    ends = {t.end for s in sentences for t in s.tokens}
    aligned, cut = [], []
    for s in sentences:
        position = view.text.find(surface, s.start, s.end)
        while position != -1:
            end = position + len(surface)
            (aligned.append((position, end)) if position in starts and end in ends else cut.append(position))
            position = view.text.find(surface, position + 1, s.end)
    return aligned, cut


def _context(text: str, start: int, end: int) -> str:
    before = text[max(0, start - _CONTEXT) : start].split("\n")[-1]
    after = text[end : end + _CONTEXT].split("\n")[0]
    return f"…{before}[{text[start:end]}]{after}…"


def _tokens_around(view: DocumentView, start: int, end: int) -> str:
    tokens = [t.text for s in view.silver.sentences for t in s.tokens if t.end > start and t.start < end]
    return " · ".join(tokens)


def resolve_request(view: DocumentView, request: CorrectionRequest) -> Correction:
    """The correction, with document-level offsets, that `request` names; a PolnerError that
    says what to change when it is ambiguous or would not apply."""
    check_sentence_number(view, request.sentence)
    surface = unicodedata.normalize("NFC", request.text)
    where = f"sentence {request.sentence}" if request.sentence is not None else view.doc_id
    if not surface.strip():
        raise PolnerError("--text is empty")
    aligned, cut = find_occurrences(view, surface, request.sentence)
    if not aligned:
        if cut:
            raise PolnerError(
                f"{surface!r} occurs in {where} only inside a token (tokens there: "
                f"{_tokens_around(view, cut[0], cut[0] + len(surface))}); an entity is made of whole tokens")
        across = view.text.find(surface)
        if request.sentence is None and across != -1:
            raise PolnerError(f"{surface!r} occurs at {across}:{across + len(surface)} only across a sentence "
                              "boundary; an entity stays inside one sentence")
        raise PolnerError(f"{surface!r} does not occur in {where}; `polner show {view.doc_id}` shows its text")
    if request.occurrence is not None:
        if not 1 <= request.occurrence <= len(aligned):
            raise PolnerError(f"{surface!r} occurs {len(aligned)} time(s) in {where}; "
                              f"--occurrence must be 1 to {len(aligned)}")
        start, end = aligned[request.occurrence - 1]
    elif len(aligned) > 1:
        listed = "; ".join(f"--occurrence {n}: {s}:{e} {_context(view.text, s, e)}"
                           for n, (s, e) in enumerate(aligned, start=1))
        raise PolnerError(f"{surface!r} occurs {len(aligned)} times in {where}; choose one: {listed}")
    else:
        start, end = aligned[0]
    if request.action in ("add", "relabel") and request.label not in ENTITY_LABELS:
        raise PolnerError(f"unknown label {request.label!r}; labels are {describe_labels()}")
    if request.action == "delete" and request.label is not None:
        raise PolnerError("a delete takes no label")
    earlier = view.correction_at(start, end)
    if earlier is not None:
        raise PolnerError(
            f"{view.gold_label}:{earlier.line}: {surface!r} at {start}:{end} is already corrected there "
            f"({earlier.action}); edit or remove that entry by hand instead of adding a second one")
    current = next((s for s in view.spans if s.key == (start, end)), None)
    silver = next((s for s in view.silver_spans if s.key == (start, end)), None)
    overlapping = [s for s in view.spans if s.start < end and start < s.end and s.key != (start, end)]
    named = "; ".join(f"{s.label} {s.text!r} at {s.start}:{s.end}" for s in overlapping)
    if request.action in ("relabel", "delete") and (current is None or silver is None):
        inside = f"; it overlaps {named}: name that span's whole text" if overlapping else ""
        raise PolnerError(f"no entity span is exactly {surface!r} at {start}:{end}{inside}"
                          + ("" if overlapping else "; use --add to add one"))
    if request.action == "relabel" and current.label == request.label:
        raise PolnerError(f"{surface!r} at {start}:{end} is already {request.label}; nothing to correct")
    if request.action == "add":
        if current is not None:
            hint = "nothing to correct" if current.label == request.label else f"use --relabel {request.label}"
            raise PolnerError(f"{surface!r} at {start}:{end} is already an entity ({current.label}); {hint}")
        if overlapping:
            other = overlapping[0]
            command = (f"polner correct {view.doc_id} --sentence {view.sentence_of(other.start)} "
                       f"--text {shlex.quote(other.text)} --delete")
            raise PolnerError(f"{surface!r} at {start}:{end} overlaps {named}; delete that span first "
                              f"({command}), then add this one")
    label = request.label if request.action != "delete" else None
    return Correction(request.action, start, end, surface, label, request.entity, request.note, 0)


def correction_block(correction: Correction, indent: int) -> str:
    """The YAML list entry for a correction, indented to match the file's list."""
    entry: dict[str, object] = {"action": correction.action, "start": correction.start,
                                "end": correction.end, "text": correction.text}
    for key in ("label", "entity", "note"):
        value = getattr(correction, key)
        if value is not None:
            entry[key] = value
    block = dump_yaml([entry])
    return "".join(" " * indent + line if line.strip() else line for line in block.splitlines(keepends=True))


def append_indent(content: str, label: str) -> int:
    """The column at which a new `- action: …` entry goes, or a PolnerError saying why the
    file cannot take one without rewriting what is there."""
    try:
        root = yaml.compose(content, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{label}:{mark.line + 1}" if mark else label
        raise PolnerError(f"{where}: invalid YAML ({exc.problem}); fix it first (`polner validate`)") from None
    except (yaml.YAMLError, RecursionError):
        raise PolnerError(f"{label}: invalid YAML; fix it first (`polner validate`)") from None
    if not isinstance(root, yaml.MappingNode) or not root.value:
        raise PolnerError(f"{label}: not a correction file (expected `document:`, `status:`, `corrections:`)")
    if root.flow_style:
        raise PolnerError(f"{label}:1: the file is written in flow style ({{…}}); write it as block YAML")
    keys = [key.value for key, _ in root.value]
    if "corrections" not in keys:
        raise PolnerError(f"{label}: has no `corrections:` key; add a last line `corrections:`")
    last_key, value = root.value[-1]
    if last_key.value != "corrections":
        line = root.value[keys.index("corrections")][0].start_mark.line + 1
        raise PolnerError(f"{label}:{line}: `corrections:` must be the last top-level key so that entries can "
                          f"be appended; move `{last_key.value}:` above it")
    if isinstance(value, yaml.SequenceNode):
        if value.flow_style:
            raise PolnerError(f"{label}:{value.start_mark.line + 1}: `corrections:` is written in flow style "
                              f"([…]); write one `- action: …` block per correction")
        return value.start_mark.column
    if isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null" and value.value == "":
        return last_key.start_mark.column
    raise PolnerError(f"{label}:{value.start_mark.line + 1}: `corrections:` must be a list, or empty to start one")


def _same(a: Correction, b: Correction) -> bool:
    fields = ("action", "start", "end", "text", "label", "entity", "note")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def _error_keys(issues: list[Issue] | tuple[Issue, ...]) -> set[tuple[str, int | None, str]]:
    return {(i.code, i.line, i.message) for i in issues if i.level is Level.ERROR}


def write_correction(layout: Layout, request: CorrectionRequest) -> CorrectionWritten:
    """Append the requested correction to the document's gold file (created if missing).

    Nothing is written unless the new file validates as well as the old one did and parses
    to the old corrections followed by the new one."""
    with file_lock(layout.annotations / ".correct.lock"):
        view = load_view(layout, request.doc_id)
        blocking = [i for i in view.issues if i.code in ("gold-encoding", "gold-bom", "gold-line-ends")]
        if blocking or (view.gold_content is not None and view.gold is None):
            raise ValidationFailed(list(blocking or view.issues))
        correction = resolve_request(view, request)
        created = view.gold_content is None
        old_bytes = b"" if created else view.gold_path.read_bytes()
        before = empty_gold_file(view.doc_id) if created else old_bytes.decode("utf-8")
        if not before.endswith("\n"):
            before += "\n"
        indent = append_indent(before, view.gold_label)
        after = before + correction_block(correction, indent)
        first_line = before.count("\n") + 1
        new_gold, problems = load_gold(view.gold_label, after)
        old_corrections = view.gold.corrections if view.gold else ()
        if new_gold is None or len(new_gold.corrections) != len(old_corrections) + 1 or not all(
            _same(a, b) for a, b in zip(new_gold.corrections, old_corrections + (correction,))
        ):
            raise ValidationFailed(problems or [error(
                "gold-append-failed", view.gold_label, first_line,
                "the entry could not be appended without changing what the file already says",
                hint="check the end of the file (a block scalar or a document end marker?)")])
        _, problems = corrected_spans(view, new_gold)
        new_errors = _error_keys(problems) - _error_keys(view.issues)
        if new_errors:
            raise ValidationFailed([i for i in problems if (i.code, i.line, i.message) in new_errors])
        # the bytes already there are written back unchanged, the entry after them
        atomic_write_bytes(view.gold_path, old_bytes + after[len(old_bytes.decode("utf-8")):].encode("utf-8"))
    previous = next((s.label for s in view.spans if s.key == (correction.start, correction.end)), None)
    return CorrectionWritten(view.gold_path, view.gold_label, Correction(
        correction.action, correction.start, correction.end, correction.text, correction.label,
        correction.entity, correction.note, first_line), first_line, after.count("\n"), created, previous)


def describe_written(written: CorrectionWritten) -> str:
    """One line for the terminal: what was appended where."""
    c = written.correction
    change = {"add": f"add {c.label}", "delete": f"delete {written.previous_label}",
              "relabel": f"relabel {written.previous_label} → {c.label}"}[c.action]
    verb = "created" if written.created else "appended to"
    return (f"{verb} {written.label} (lines {written.first_line}-{written.last_line}): "
            f"{change} {c.text!r} at {c.start}:{c.end}")
