"""Corpus statistics per split and label, accumulated while documents stream past."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from polner.document import AnnotatedDocument
from polner.labels import ENTITY_LABELS


@dataclass
class SplitStats:
    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    mentions: Counter = field(default_factory=Counter)


@dataclass
class CorpusStats:
    splits: dict[str, SplitStats] = field(default_factory=dict)

    def add(self, document: AnnotatedDocument) -> None:
        stats = self.splits.setdefault(document.split or "none", SplitStats())
        stats.documents += 1
        stats.sentences += len(document.silver.sentences)
        stats.tokens += sum(len(s.tokens) for s in document.silver.sentences)
        stats.mentions.update(span.label for span in document.spans)

    def total(self) -> SplitStats:
        total = SplitStats()
        for stats in self.splits.values():
            total.documents += stats.documents
            total.sentences += stats.sentences
            total.tokens += stats.tokens
            total.mentions.update(stats.mentions)
        return total

    def to_markdown(self, split_order: tuple[str, ...]) -> str:
        header = "| split | documents | sentences | tokens | " + " | ".join(ENTITY_LABELS) + " | mentions |"
        rule = "|---" * (5 + len(ENTITY_LABELS)) + "|"
        rows = [header, rule]
        named = [(name, self.splits.get(name, SplitStats())) for name in split_order] + [("all", self.total())]
        for name, stats in named:
            labels = " | ".join(str(stats.mentions[label]) for label in ENTITY_LABELS)
            rows.append(f"| {name} | {stats.documents} | {stats.sentences} | {stats.tokens} | {labels} | "
                        f"{sum(stats.mentions.values())} |")
        return "\n".join(rows)
