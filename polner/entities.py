"""Entity resolution: each final span gets the key of the registry entity it mentions.

A span's key is the `entity` of the gold correction that added, relabelled or linked it;
otherwise the one registry entity whose type is the span's label and whose aliases contain
the span's text exactly. Every problem is reported where a person can fix it: the
correction's line in the gold file, or for an untouched silver span the silver file line of
its first token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from polner.document import Correction, GoldFile, Span
from polner.issues import Issue, Level
from polner.registry import Registry


@dataclass(frozen=True)
class SpanSources:
    """Where the final spans of one document were written down."""

    doc_id: str
    review_status: str
    silver_path: str
    token_lines: Mapping[int, int]  # token start offset → line in the silver file
    gold_path: str | None = None
    corrections: Mapping[tuple[int, int], tuple[Correction, ...]] | None = None
    """span key → its add/relabel and link corrections, in file order"""

    def touched(self, span: Span) -> bool:
        """Whether a gold correction added, relabelled or linked the span."""
        return span.key in (self.corrections or {})

    def entity_correction(self, span: Span) -> Correction | None:
        """The correction whose `entity` the span carries: the last one of its key."""
        corrections = (self.corrections or {}).get(span.key)
        return corrections[-1] if corrections else None

    def locate(self, span: Span, correction: Correction | None = None) -> tuple[str, int | None]:
        """(path, line) of a span: the given correction, else the first correction of the span in
        the gold file, else the silver line of its first token."""
        corrections = (self.corrections or {}).get(span.key)
        if correction is None and corrections:
            correction = corrections[0]
        if correction is not None and self.gold_path is not None:
            return self.gold_path, correction.line
        return self.silver_path, self.token_lines.get(span.start)

    def issue(self, level: Level, code: str, span: Span, message: str, hint: str | None = None,
              correction: Correction | None = None) -> Issue:
        path, line = self.locate(span, correction)
        return Issue(level, code, path, line, message, hint, self.doc_id)


def silver_token_lines(silver_text: str) -> dict[int, int]:
    """The line of each surface token of a silver CoNLL-U file, by its start offset."""
    lines: dict[int, int] = {}
    for number, line in enumerate(silver_text.split("\n"), start=1):
        if line.startswith("#") or "start_char=" not in line:
            continue
        misc = line.rsplit("\t", 1)[-1]
        for item in misc.split("|"):
            name, _, value = item.partition("=")
            if name == "start_char" and value.isdigit():
                lines.setdefault(int(value), number)
    return lines


def span_sources(doc_id: str, review_status: str, silver_path: str, silver_text: str,
                 gold: GoldFile | None) -> SpanSources:
    corrections: dict[tuple[int, int], tuple[Correction, ...]] = {}
    for c in gold.corrections if gold else ():
        if c.action == "delete":
            corrections.pop((c.start, c.end), None)
        else:
            corrections[(c.start, c.end)] = corrections.get((c.start, c.end), ()) + (c,)
    return SpanSources(doc_id, review_status, silver_path, silver_token_lines(silver_text),
                       gold.path if gold else None, corrections if gold else None)


def _unresolved_hint(registry: Registry, span: Span, candidates: Sequence[str]) -> str:
    if candidates:
        return f"add a `link` correction naming one of {', '.join(candidates)}"
    other_types = sorted(
        f"{entity.key} ({entity.type})" for entity in registry.entities
        if span.text in entity.aliases and entity.type != span.label
    )
    if other_types:
        return (f"{span.text!r} is an alias of {', '.join(other_types)}: "
                f"relabel the span or register a {span.label} entity")
    if not registry.exists:
        return f"{registry.path} does not exist yet: create it and register the entity"
    return f"register the entity in {registry.path} with this alias, or link the span to a key"


def resolve_entities(spans: Sequence[Span], registry: Registry,
                     sources: SpanSources) -> tuple[list[Span], list[Issue]]:
    """The spans with their entity keys, and every key problem (see the module docstring).

    An unresolved span is an error in a reviewed document and a warning in the others.
    """
    resolved: list[Span] = []
    issues: list[Issue] = []
    unresolved_level = Level.ERROR if sources.review_status == "reviewed" else Level.WARNING
    for span in spans:
        correction = sources.entity_correction(span)
        if correction is not None and correction.entity is not None:
            entity = registry.get(correction.entity)
            if entity is None:
                issues.append(sources.issue(
                    Level.ERROR, "entity-unknown-key", span,
                    f"entity {correction.entity!r} is not in {registry.path}",
                    hint="add it to the registry or fix the key", correction=correction))
            elif entity.type != span.label:
                issues.append(sources.issue(
                    Level.ERROR, "entity-label-mismatch", span,
                    f"{span.label} span {span.text!r} is linked to {entity.key!r}, a {entity.type} entity "
                    f"({registry.path}:{entity.line}); one entity key has one label",
                    hint=f"label the span {entity.type} or link it to a {span.label} entity",
                    correction=correction))
            resolved.append(replace(span, entity=correction.entity))
            continue
        candidates = registry.candidates(span.label, span.text)
        if len(candidates) == 1:
            resolved.append(replace(span, entity=candidates[0].key))
            continue
        keys = [entity.key for entity in candidates]
        reason = f"several {span.label} entities list it ({', '.join(keys)})" if keys else \
            f"no {span.label} entity of {registry.path} lists it as an alias"
        issues.append(sources.issue(
            unresolved_level, "entity-unresolved", span,
            f"{span.label} span {span.text!r} at {span.start}:{span.end} has no entity key: {reason}",
            hint=_unresolved_hint(registry, span, keys)))
        resolved.append(replace(span, entity=None))
    return resolved, issues

