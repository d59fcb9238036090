"""Where each layer of each document lives in the repository, keyed by language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """Paths of the repository's data, relative to its root."""

    root: Path

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def annotations(self) -> Path:
        return self.root / "annotations"

    @property
    def splits_file(self) -> Path:
        return self.corpus / "splits.yaml"

    def languages(self) -> list[str]:
        if not self.corpus.is_dir():
            return []
        return sorted(p.name for p in self.corpus.iterdir() if (p / "meta").is_dir())

    def raw_path(self, language: str, doc_id: str) -> Path:
        return self.corpus / language / "raw" / f"{doc_id}.txt"

    def text_path(self, language: str, doc_id: str) -> Path:
        return self.corpus / language / "text" / f"{doc_id}.txt"

    def meta_path(self, language: str, doc_id: str) -> Path:
        return self.corpus / language / "meta" / f"{doc_id}.yaml"

    def silver_path(self, language: str, doc_id: str) -> Path:
        return self.annotations / language / "silver" / f"{doc_id}.conllu"

    def gold_path(self, language: str, doc_id: str) -> Path:
        return self.annotations / language / "gold" / f"{doc_id}.yaml"

    def document_ids(self, language: str) -> list[str]:
        """Every document of a language that has a raw, text or metadata file, sorted."""
        ids: set[str] = set()
        for layer, suffix in (("raw", ".txt"), ("text", ".txt"), ("meta", ".yaml")):
            folder = self.corpus / language / layer
            if folder.is_dir():
                ids.update(p.name[: -len(suffix)] for p in folder.glob(f"*{suffix}"))
        return sorted(ids)

    def relative(self, path: Path) -> str:
        """A path as shown in messages: relative to the root when it is inside it."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)
