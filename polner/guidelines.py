"""Mechanical checks of the annotation guidelines on the final spans.

Each rule is an Issue code. A violation is an error when a person wrote or touched the span
(a gold correction) or when the document is `reviewed`; in a document still under review an
untouched Stanza span only gets a warning, since the review is what will fix it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from polner.document import SilverDocument, Span, Token
from polner.entities import SpanSources
from polner.issues import Issue, Level
from polner.registry import Registry

TITLE_WORDS: tuple[str, ...] = (
    # honorifics and their abbreviations
    "m.", "mm.", "mme", "mme.", "mmes", "mlle", "mlle.", "mlles", "mgr", "dr", "dr.", "pr", "pr.", "me",
    "monsieur", "messieurs", "madame", "mesdames", "mademoiselle",
    # offices and ranks
    "président", "présidente", "vice-président", "vice-présidente", "ministre", "premier", "première",
    "chancelier", "chancelière", "secrétaire", "sénateur", "sénatrice", "député", "députée", "maire",
    "gouverneur", "ambassadeur", "ambassadrice", "porte-parole", "chef", "commissaire",
    "roi", "reine", "prince", "princesse", "émir", "cheikh", "sultan", "pape", "patriarche",
    "général", "générale", "maréchal", "amiral", "colonel", "commandant", "capitaine", "lieutenant",
)
"""First tokens (compared in lower case) that make a PER span include a title: the guidelines
keep titles, honorifics and functions outside PER mentions ("M. [Poutine]", "le président [Tokaïev]")."""

INITIAL_LIKE_TITLES: tuple[str, ...] = ("M.",)
"""Titles that can also be a first-name initial ("M. Sandu" for Maïa Sandu). Such a span is
accepted when its text is listed verbatim as an alias of its entity: the registry records
that deliberate decision."""

ELIDED_WORDS: tuple[str, ...] = tuple(
    word + apostrophe
    for word in ("l", "d", "qu", "j", "n", "s", "c", "m", "t", "jusqu", "lorsqu", "puisqu", "quoiqu")
    for apostrophe in ("'", "’")
)
"""Elided articles, prepositions and pronouns; a mention starts after them ("l'[Élysée]")."""

_ELIDED_PREFIX = re.compile(r"^(?:" + "|".join(re.escape(w) for w in ELIDED_WORDS) + r")")


def _level(span: Span, sources: SpanSources) -> Level:
    touched = span.provenance == "gold" or sources.touched(span)
    return Level.ERROR if touched or sources.review_status == "reviewed" else Level.WARNING


def title_violation(span: Span, first: Token | None, registry: Registry | None) -> str | None:
    """Why a PER span's first token is a title, or None."""
    if span.label != "PER":
        return None
    word = first.text if first is not None else span.text.split()[0]
    if word.lower() not in TITLE_WORDS:
        return None
    if word in INITIAL_LIKE_TITLES and registry is not None and span.entity is not None:
        entity = registry.get(span.entity)
        if entity is not None and span.text in entity.aliases:
            return None
    return f"PER span {span.text!r} at {span.start}:{span.end} starts with the title {word!r}"


def elision_violation(span: Span, first: Token | None) -> str | None:
    """Why a span starts with an elided word, or None. A split-off token counts in any case
    ("L'" at a sentence start); inside one token only a lower-case prefix does, so that
    surnames such as "D'Alema" pass."""
    where = f"{span.label} span {span.text!r} at {span.start}:{span.end}"
    if first is not None and first.text.lower() in ELIDED_WORDS and first.end < span.end:
        return f"{where} starts with the elided word {first.text!r}"
    match = _ELIDED_PREFIX.match(span.text)
    if match and match.end() < len(span.text):
        return f"{where} starts with the elided word {match.group()!r}"
    return None


def lowercase_violation(span: Span) -> str | None:
    """Why a span is not a name (no capital letter at all), or None."""
    if any(character.isupper() for character in span.text):
        return None
    return f"{span.label} span {span.text!r} at {span.start}:{span.end} has no capital letter"


def check_guidelines(spans: Sequence[Span], silver: SilverDocument, registry: Registry | None,
                     sources: SpanSources) -> list[Issue]:
    """Every guideline violation among a document's final spans (entity keys resolved)."""
    token_at = {token.start: token for sentence in silver.sentences for token in sentence.tokens}
    issues = []
    for span in spans:
        first = token_at.get(span.start)
        level = _level(span, sources)
        problem = title_violation(span, first, registry)
        if problem:
            issues.append(sources.issue(
                level, "guideline-title-in-per", span, problem,
                hint="start the mention after the title; keep \"M. X\" only for a first-name initial "
                     "listed verbatim as an alias in the registry"))
        problem = elision_violation(span, first)
        if problem:
            issues.append(sources.issue(level, "guideline-elision-in-span", span, problem,
                                        hint="start the mention after the apostrophe"))
        problem = lowercase_violation(span)
        if problem:
            issues.append(sources.issue(
                level, "guideline-lowercase-entity", span, problem,
                hint="lower-case words such as demonyms ('russe', 'kazakh') are not entity mentions; delete it"))
    return issues
