"""Corpus statistics per split and label, and the agreement of Stanza's silver layer with the
final (gold) annotation, accumulated while documents stream past."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from polner.document import AnnotatedDocument
from polner.labels import ENTITY_LABELS
from polner.silver import silver_spans

MICRO = "micro"
"""The row name of the micro-average over all labels."""


@dataclass
class SplitStats:
    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    mentions: Counter = field(default_factory=Counter)  # label → mentions
    unlinked: Counter = field(default_factory=Counter)  # label → mentions without an entity key
    entities: dict[str, set[str]] = field(default_factory=dict)  # label → distinct entity keys

    def merge(self, other: SplitStats) -> None:
        self.documents += other.documents
        self.sentences += other.sentences
        self.tokens += other.tokens
        self.mentions.update(other.mentions)
        self.unlinked.update(other.unlinked)
        for label, keys in other.entities.items():
            self.entities.setdefault(label, set()).update(keys)

    def distinct_entities(self, label: str | None = None) -> int:
        """Distinct entity keys, of one label or of all."""
        if label is not None:
            return len(self.entities.get(label, ()))
        return len(set().union(*self.entities.values())) if self.entities else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "sentences": self.sentences,
            "tokens": self.tokens,
            "mentions": sum(self.mentions.values()),
            "distinct_entities": self.distinct_entities(),
            "mentions_without_entity": sum(self.unlinked.values()),
            "labels": {
                label: {"mentions": self.mentions[label], "distinct_entities": self.distinct_entities(label),
                        "mentions_without_entity": self.unlinked[label]}
                for label in ENTITY_LABELS
            },
        }


@dataclass(frozen=True)
class Score:
    """Exact-match counts for one label (or the micro-average) and the measures from them."""

    label: str
    gold: int  # mentions in the final annotation
    predicted: int  # mentions in Stanza's silver layer
    correct: int  # silver mentions with the same start, end and label as a gold one

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "gold": self.gold, "predicted": self.predicted, "correct": self.correct,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class Agreement:
    """Stanza's silver spans scored against the final spans of the reviewed documents:
    exact span match (start, end and label), the same measure as seqeval's strict IOB2 mode."""

    documents: int = 0
    sentences: int = 0
    gold: Counter = field(default_factory=Counter)
    predicted: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)

    def add(self, document: AnnotatedDocument) -> None:
        """Count one document (only `reviewed` ones: elsewhere the gold is not final)."""
        if document.review_status != "reviewed":
            return
        self.documents += 1
        self.sentences += len(document.silver.sentences)
        final = {(s.start, s.end, s.label) for s in document.spans}
        silver = {(s.start, s.end, s.label) for s in silver_spans(document.silver, document.text)}
        self.gold.update(label for _, _, label in final)
        self.predicted.update(label for _, _, label in silver)
        self.correct.update(label for _, _, label in final & silver)

    def scores(self) -> list[Score]:
        """One score per label, then the micro-average."""
        rows = [Score(label, self.gold[label], self.predicted[label], self.correct[label])
                for label in ENTITY_LABELS]
        rows.append(Score(MICRO, sum(self.gold.values()), sum(self.predicted.values()),
                          sum(self.correct.values())))
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {"reviewed_documents": self.documents, "sentences": self.sentences,
                "match": "exact span (start, end, label)",
                "scores": [score.as_dict() for score in self.scores()]}


@dataclass
class CorpusStats:
    splits: dict[str, SplitStats] = field(default_factory=dict)
    agreement: Agreement = field(default_factory=Agreement)

    def add(self, document: AnnotatedDocument) -> None:
        stats = self.splits.setdefault(document.split or "none", SplitStats())
        stats.documents += 1
        stats.sentences += len(document.silver.sentences)
        stats.tokens += sum(len(s.tokens) for s in document.silver.sentences)
        for span in document.spans:
            stats.mentions[span.label] += 1
            if span.entity is None:
                stats.unlinked[span.label] += 1
            else:
                stats.entities.setdefault(span.label, set()).add(span.entity)
        self.agreement.add(document)

    def total(self) -> SplitStats:
        total = SplitStats()
        for stats in self.splits.values():
            total.merge(stats)
        return total

    def _named(self, split_order: tuple[str, ...]) -> list[tuple[str, SplitStats]]:
        extra = sorted(name for name in self.splits if name not in split_order)
        return ([(name, self.splits.get(name, SplitStats())) for name in (*split_order, *extra)]
                + [("all", self.total())])

    def size_table(self, split_order: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
        headers = ["split", "documents", "sentences", "tokens", "mentions", "distinct entities",
                   "mentions without entity"]
        rows = [[name, str(s.documents), str(s.sentences), str(s.tokens), str(sum(s.mentions.values())),
                 str(s.distinct_entities()), str(sum(s.unlinked.values()))]
                for name, s in self._named(split_order)]
        return headers, rows

    def label_table(self, split_order: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
        named = self._named(split_order)
        headers = ["label"] + [f"{name} {what}" for name, _ in named for what in ("mentions", "entities")]
        rows = [[label] + [str(n) for _, s in named for n in (s.mentions[label], s.distinct_entities(label))]
                for label in ENTITY_LABELS]
        return headers, rows

    def agreement_table(self) -> tuple[list[str], list[list[str]]]:
        headers = ["label", "gold mentions", "Stanza mentions", "exact matches", "precision", "recall", "F1"]
        rows = [[score.label if score.label != MICRO else "micro-average", str(score.gold), str(score.predicted),
                 str(score.correct), _percent(score.precision), _percent(score.recall), _percent(score.f1)]
                for score in self.agreement.scores()]
        return headers, rows

    def agreement_intro(self) -> str:
        if not self.agreement.documents:
            return ("No document has `status: reviewed` yet, so Stanza's silver layer has no final gold to be "
                    "scored against.")
        return (f"Over the {self.agreement.documents} document(s) whose gold status is `reviewed` "
                f"({self.agreement.sentences} sentences); exact span match (start, end and label), in %:")

    def to_markdown(self, split_order: tuple[str, ...]) -> str:
        """The statistics tables of the dataset card."""
        return (render_table(*self.size_table(split_order), "markdown") + "\n\nMentions and distinct entities "
                "per label:\n\n" + render_table(*self.label_table(split_order), "markdown"))

    def agreement_markdown(self) -> str:
        """The agreement paragraph and table of the dataset card."""
        if not self.agreement.documents:
            return self.agreement_intro()
        return self.agreement_intro() + "\n\n" + render_table(*self.agreement_table(), "markdown")

    def to_text(self, split_order: tuple[str, ...]) -> str:
        parts = ["Corpus", render_table(*self.size_table(split_order), "text"), "",
                 "Mentions and distinct entities per label",
                 render_table(*self.label_table(split_order), "text"), "",
                 "Stanza (silver) against the final annotation (gold)", self.agreement_intro()]
        if self.agreement.documents:
            parts.append(render_table(*self.agreement_table(), "text"))
        return "\n".join(parts)

    def as_dict(self, split_order: tuple[str, ...]) -> dict[str, Any]:
        return {"splits": {name: stats.as_dict() for name, stats in self._named(split_order)},
                "agreement": self.agreement.as_dict()}


def _percent(value: float) -> str:
    return f"{100 * value:.1f}"


def render_table(headers: list[str], rows: list[list[str]], fmt: str) -> str:
    """A table as Markdown (`markdown`) or as aligned plain-text columns (`text`)."""
    if fmt == "markdown":
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]

    def line(row: list[str]) -> str:
        first, *rest = zip(row, widths)
        return "  ".join([first[0].ljust(first[1])] + [cell.rjust(width) for cell, width in rest])

    return "\n".join(line(row) for row in [headers, *rows])
