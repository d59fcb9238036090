"""Typed records that flow through the pipeline: corpus → silver → gold → dataset."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentMeta:
    """What is known about one article. Unknown facts are None, never guessed."""

    id: str
    language: str
    title: str | None
    source: str | None
    url: str | None
    authors: tuple[str, ...]
    published: str | None
    licence: str | None
    licence_status: str
    seed_file: str | None
    raw_sha256: str
    text_sha256: str
    notes: str | None = None


@dataclass(frozen=True)
class Word:
    """A syntactic word (a CoNLL-U word line); several make up a multi-word token."""

    id: int
    text: str
    lemma: str | None
    upos: str | None
    xpos: str | None
    feats: str | None


@dataclass(frozen=True)
class Token:
    """A surface token with character offsets into the annotated text and its NER tag."""

    text: str
    start: int
    end: int
    words: tuple[Word, ...]
    ner: str = "O"


@dataclass(frozen=True)
class Sentence:
    """A sentence of the silver layer; `index` counts from 1 within its document."""

    index: int
    text: str
    tokens: tuple[Token, ...]

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end


@dataclass(frozen=True)
class PipelineFingerprint:
    """What produced a silver layer: Stanza version, processors and model file hashes."""

    stanza_version: str
    processors: str
    models: tuple[tuple[str, str], ...]  # (model file relative to the resources dir, sha256)

    @property
    def digest(self) -> str:
        import hashlib

        payload = "\n".join(
            [self.stanza_version, self.processors] + [f"{name} {sha}" for name, sha in self.models]
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SilverDocument:
    """Stanza's analysis of one annotated text, as stored in the silver CoNLL-U file."""

    doc_id: str
    language: str
    text_sha256: str
    fingerprint: PipelineFingerprint
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class Span:
    """An entity mention: character offsets into the annotated text, end exclusive."""

    start: int
    end: int
    label: str
    text: str
    provenance: str = "stanza"  # "stanza" (silver, untouched) or "gold" (added or relabelled)
    entity: str | None = None  # key into the entity registry

    @property
    def key(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True)
class Correction:
    """One human correction from a gold YAML file, with the line it was written on."""

    action: str  # "add", "relabel", "delete" or "link"
    start: int
    end: int
    text: str
    label: str | None
    entity: str | None
    note: str | None
    line: int


@dataclass(frozen=True)
class GoldFile:
    """A document's correction file."""

    path: str
    document: str
    status: str
    reviewers: tuple[str, ...]
    corrections: tuple[Correction, ...]
    line: int = 1


@dataclass(frozen=True)
class AnnotatedDocument:
    """A validated document: its text, silver analysis and the final entity spans."""

    meta: DocumentMeta
    text: str
    silver: SilverDocument
    spans: tuple[Span, ...]
    review_status: str
    split: str | None = None
