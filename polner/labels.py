"""The closed label set and conversions between entity spans and token tags."""

from __future__ import annotations

from collections.abc import Sequence

ENTITY_LABELS: tuple[str, ...] = ("PER", "ORG", "LOC", "MISC")
"""Entity types of the annotation guidelines, in CoNLL-2003 order."""

IOB2_TAGS: tuple[str, ...] = ("O",) + tuple(
    f"{prefix}-{label}" for label in ENTITY_LABELS for prefix in ("B", "I")
)
"""Token tag names, in the order of their integer ids in the dataset."""


def describe_labels() -> str:
    """The label set as quoted in error messages."""
    return ", ".join(ENTITY_LABELS)


def token_spans_to_iob2(length: int, token_spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags for `length` tokens from (first, last, label) token-index spans (inclusive)."""
    tags = ["O"] * length
    for first, last, label in sorted(token_spans):
        if label not in ENTITY_LABELS:
            raise ValueError(f"unknown label {label!r}; labels are {describe_labels()}")
        if any(tag != "O" for tag in tags[first : last + 1]):
            raise ValueError(f"overlapping spans at tokens {first}..{last}")
        tags[first] = f"B-{label}"
        for index in range(first + 1, last + 1):
            tags[index] = f"I-{label}"
    return tags


def iob2_to_token_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first, last, label) spans from valid IOB2 tags."""
    spans: list[tuple[int, int, str]] = []
    for index, tag in enumerate(tags):
        if tag.startswith("B-"):
            spans.append((index, index, tag[2:]))
        elif tag.startswith("I-"):
            first, _, label = spans[-1]
            spans[-1] = (first, index, label)
    return spans


def iob2_errors(tags: Sequence[str]) -> list[str]:
    """Why a tag sequence is not valid IOB2 over the label set (empty when it is)."""
    problems = []
    previous = "O"
    for index, tag in enumerate(tags):
        if tag not in IOB2_TAGS:
            problems.append(f"token {index}: unknown tag {tag!r}")
        elif tag.startswith("I-") and previous[2:] != tag[2:]:
            problems.append(f"token {index}: {tag} does not continue {previous}")
        previous = tag
    return problems


def bioes_to_token_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first, last, label) spans from Stanza's BIOES output, decoded exactly as Stanza's
    `decode_from_bioes` does (ported so that reading silver files needs no torch import)."""
    spans: list[tuple[int, int, str]] = []
    current: list[int] = []
    label = ""

    def flush() -> None:
        if current:
            spans.append((current[0], current[-1], label))

    for index, tag in enumerate(tags):
        tag = tag or "O"
        if tag == "O":
            flush()
            current = []
        elif tag.startswith(("B-", "S-")):
            flush()
            current, label = [index], tag[2:]
            if tag.startswith("S-"):
                flush()
                current = []
        elif tag.startswith(("I-", "E-")):
            current.append(index)
            label = tag[2:]
            if tag.startswith("E-"):
                flush()
                current = []
    flush()
    return spans
