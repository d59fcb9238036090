"""The corpus layer: raw articles kept verbatim, the annotated text derived from them,
and one metadata file per document."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from polner.document import DocumentMeta
from polner.issues import PolnerError
from polner.layout import Layout
from polner.yamlio import dump_yaml

@dataclass(frozen=True)
class ChromeRule:
    """A line of site chrome (not article content), recognised by a full-line pattern."""

    name: str
    pattern: re.Pattern[str]


def _rule(name: str, pattern: str) -> ChromeRule:
    return ChromeRule(name, re.compile(pattern, re.IGNORECASE))


CHROME_RULES: dict[str, tuple[ChromeRule, ...]] = {
    "fr": (
        _rule("search-box", r"(rechercher|recherche|search)"),
        _rule("section-banner", r"derni[èe]res? (infos?|nouvelles|actualit[ée]s)\b.*"),
        _rule("read-also", r"([àa] lire (aussi|[ée]galement)|lire aussi)\s*:?"),
        _rule("tag-list", r"#\S.*"),
        _rule("comments-widget", r"(comments are closed\.?|les commentaires sont ferm[ée]s\.?)"),
        _rule("mobile-widget", r"exit mobile version"),
        _rule("share-widget", r"(partager|share)( (sur|on) \w+)*"),
        _rule("credit-line", r"cr[ée]dits?( photo)?\s*:.*"),
        _rule("agency-code", r"[A-Z]{2,5}"),
        _rule(
            "page-timestamp",
            r"[\d:/.,\s-]*\d{1,2}/\d{1,2}/\d{4}[\d:/.,\s-]*"
            r"(,?\s*(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche))?",
        ),
    ),
}

# Lines of a paragraph that continue the previous line (a quote cut out by the page layout).
_STARTS_LOWER_OR_PUNCT = re.compile(r"^[a-zà-ÿ,.;:!?)\]]")
_QUOTED_FRAGMENT = re.compile(r'^["«“].*["»”]$')
_ENDS_SENTENCE = re.compile(r'[.!?…:»"”]$')
_NO_SPACE_BEFORE = re.compile(r"^[,.;:!?)\]]")
_TRUNCATION = re.compile(r"(\.\.\.|…)$")
_OUTLET_IN_LEDE = re.compile(r"^\(([^()]{2,40})\)\s*[-–—]")
_TIMESTAMP_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_SPACES = re.compile(r"[ \t\u00a0\u202f\u2007\u2009]+")
_SLUG_WORD = re.compile(r"[a-z0-9]+")
_SLUG_STOPWORDS = frozenset(
    "le la les l un une des de du d et a à au aux en dans sur pour par avec son sa ses leur "
    "leurs ce cette ces qui que est sont".split()
)


@dataclass(frozen=True)
class CleanedText:
    """The annotated text derived from a raw article, and what was removed on the way."""

    text: str
    paragraphs: tuple[str, ...]
    chrome_lines: tuple[tuple[str, str], ...]  # (rule name, line)
    repeated_paragraphs: tuple[str, ...]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _normalise_line(line: str) -> str:
    return _SPACES.sub(" ", line).strip()


def chrome_rule_for(line: str, language: str) -> str | None:
    """The name of the chrome rule a whole line matches, or None for content."""
    for rule in CHROME_RULES.get(language, ()):
        if rule.pattern.fullmatch(line) and (rule.name != "agency-code" or line.isupper()):
            return rule.name
    return None


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _join_continuations(block: list[str]) -> list[str]:
    """Each line is a paragraph, except a line that continues the one before it: it starts in
    lower case or with punctuation, or it is a quoted fragment after an unfinished line."""
    paragraphs: list[str] = []
    for line in block:
        continues = paragraphs and (
            _STARTS_LOWER_OR_PUNCT.match(line)
            or (_QUOTED_FRAGMENT.match(line) and not _ENDS_SENTENCE.search(paragraphs[-1]))
        )
        if continues:
            glue = "" if _NO_SPACE_BEFORE.match(line) else " "
            paragraphs[-1] = paragraphs[-1] + glue + line
        else:
            paragraphs.append(line)
    return paragraphs


def _repeats(paragraph: str, kept: list[str]) -> bool:
    """A paragraph repeats an earlier one: the same text, or a truncated teaser of it."""
    if paragraph in kept:
        return True
    teaser = _TRUNCATION.search(paragraph)
    if teaser:
        prefix = paragraph[: teaser.start()].rstrip()
        return len(prefix) >= 40 and any(earlier.startswith(prefix) for earlier in kept)
    return False


def clean_text(raw: str, language: str) -> CleanedText:
    """Derive the annotated text from a raw article, deterministically.

    NFC, `\\n` line ends, spaces folded; chrome lines removed; paragraphs joined from their
    layout lines; repeated paragraphs dropped; paragraphs separated by one blank line.
    """
    text = unicodedata.normalize("NFC", raw.lstrip("\ufeff"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chrome: list[tuple[str, str]] = []
    lines: list[str] = []
    for line in (_normalise_line(line) for line in text.split("\n")):
        rule = chrome_rule_for(line, language) if line else None
        if rule:
            chrome.append((rule, line))
            lines.append("")
        else:
            lines.append(line)
    kept: list[str] = []
    repeated: list[str] = []
    for block in _blocks(lines):
        for paragraph in _join_continuations(block):
            (repeated if _repeats(paragraph, kept) else kept).append(paragraph)
    return CleanedText(
        text="\n\n".join(kept) + "\n" if kept else "",
        paragraphs=tuple(kept),
        chrome_lines=tuple(chrome),
        repeated_paragraphs=tuple(repeated),
    )


def guess_title(cleaned: CleanedText) -> str | None:
    """The first paragraph when it reads as a headline (short, no final punctuation)."""
    if not cleaned.paragraphs:
        return None
    first = cleaned.paragraphs[0]
    if len(first.split()) <= 20 and not _ENDS_SENTENCE.search(first):
        return first
    return None


def find_source(cleaned: CleanedText) -> str | None:
    """The outlet or agency as the text names it: a lede's "(Outlet) -" or a lone agency line."""
    for paragraph in cleaned.paragraphs[:3]:
        match = _OUTLET_IN_LEDE.match(paragraph)
        if match:
            return match.group(1).strip()
    agencies = [line for rule, line in cleaned.chrome_lines if rule == "agency-code"]
    return agencies[0] if agencies else None


def find_published_date(cleaned: CleanedText) -> str | None:
    """The page's date when a time stamp line states it in full (day/month/year), as ISO."""
    for rule, line in cleaned.chrome_lines:
        if rule == "page-timestamp":
            match = _TIMESTAMP_DATE.search(line)
            if match:
                day, month, year = (int(part) for part in match.groups())
                if 1 <= month <= 12 and 1 <= day <= 31:
                    return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def make_doc_id(language: str, cleaned: CleanedText, taken: Iterable[str]) -> str:
    """A readable id from the first words of the text: `fr-poutine-revele-allie-proche`."""
    first = cleaned.paragraphs[0] if cleaned.paragraphs else "document"
    first = re.sub(r"['’]", " ", first)
    ascii_text = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode().lower()
    words = [w for w in _SLUG_WORD.findall(ascii_text) if w not in _SLUG_STOPWORDS]
    base = f"{language}-" + "-".join(words[:5] or ["document"])
    taken = set(taken)
    candidate, counter = base, 2
    while candidate in taken:
        candidate, counter = f"{base}-{counter}", counter + 1
    return candidate


def meta_to_dict(meta: DocumentMeta) -> dict[str, object]:
    return {
        "id": meta.id,
        "language": meta.language,
        "title": meta.title,
        "source": meta.source,
        "url": meta.url,
        "authors": list(meta.authors),
        "published": meta.published,
        "licence": meta.licence,
        "licence_status": meta.licence_status,
        "seed_file": meta.seed_file,
        "raw_sha256": meta.raw_sha256,
        "text_sha256": meta.text_sha256,
        "notes": meta.notes,
    }


META_HEADER = (
    "# Document metadata. Unknown facts are null: never fill in a URL, date or author\n"
    "# that the article itself does not show. text_sha256 is checked by `polner validate`.\n"
)


def write_meta(path: Path, meta: DocumentMeta) -> None:
    from polner.fileio import atomic_write_text

    atomic_write_text(path, META_HEADER + dump_yaml(meta_to_dict(meta)))


@dataclass(frozen=True)
class IngestResult:
    meta: DocumentMeta
    cleaned: CleanedText
    created: bool


def raw_index(layout: Layout, language: str) -> dict[str, str]:
    """raw sha256 → document id, for every document of a language that has a raw file."""
    index = {}
    for doc_id in layout.document_ids(language):
        raw_path = layout.raw_path(language, doc_id)
        if raw_path.exists():
            index[hashlib.sha256(raw_path.read_bytes()).hexdigest()] = doc_id
    return index


def ingest(layout: Layout, seed: Path, language: str, *, doc_id: str | None = None,
           known_raw: dict[str, str] | None = None) -> IngestResult:
    """Add one article to the corpus: raw verbatim, derived text, metadata.

    An article already in the corpus (same raw sha256) is left as it is. `doc_id` None makes
    the id from the first words of the text. `known_raw` (from `raw_index`, kept up to date
    here) spares re-hashing every raw file when many articles are ingested in a row.
    """
    from polner.fileio import atomic_write_bytes, atomic_write_text

    raw_bytes = seed.read_bytes()
    try:
        raw = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolnerError(f"{seed}: not valid UTF-8 (byte {exc.start}); convert it first") from None
    raw_sha = hashlib.sha256(raw_bytes).hexdigest()
    cleaned = clean_text(raw, language)
    existing = layout.document_ids(language)
    if known_raw is None:
        known_raw = raw_index(layout, language)
    if raw_sha in known_raw:
        from polner.validate import load_meta

        meta, _ = load_meta(layout, language, known_raw[raw_sha])
        if meta is not None:
            return IngestResult(meta, cleaned, created=False)
    if not cleaned.text:
        raise PolnerError(f"{seed}: no article text left after removing site chrome")
    if doc_id is None:
        doc_id = make_doc_id(language, cleaned, existing)
    elif doc_id in existing:
        raise PolnerError(f"{seed}: the corpus already has a document {doc_id}")
    meta = DocumentMeta(
        id=doc_id,
        language=language,
        title=guess_title(cleaned),
        source=find_source(cleaned),
        url=None,
        authors=(),
        published=find_published_date(cleaned),
        licence=None,
        licence_status="unknown: third-party news article, redistribution rights not cleared",
        seed_file=seed.name,
        raw_sha256=raw_sha,
        text_sha256=sha256_text(cleaned.text),
    )
    atomic_write_bytes(layout.raw_path(language, doc_id), raw_bytes)
    known_raw[raw_sha] = doc_id
    atomic_write_text(layout.text_path(language, doc_id), cleaned.text)
    write_meta(layout.meta_path(language, doc_id), meta)
    return IngestResult(meta, cleaned, created=True)
