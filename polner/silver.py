"""The silver layer: Stanza's analysis of each annotated text, one CoNLL-U file a document.

File format (CoNLL-U, no dependency parse):
- before the first sentence: `# newdoc id = …` and `# polner:…` comments (text sha256,
  Stanza version, processors, and one `# polner:model = <file> sha256=<hash>` per model file);
- multi-word tokens as range lines; character offsets and the NER tag (Stanza's BIOES) are in
  the MISC column of the surface token: `start_char=…|end_char=…|ner=…` (plus `SpaceAfter=No`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from polner.document import PipelineFingerprint, Sentence, SilverDocument, Span, Token, Word
from polner.labels import bioes_to_token_spans

_SENTENCE_FINAL = {".", "!", "?", "…", "»", '"', "”", ":", ";"}
_ABBREVIATIONS = {"fr": {"M.", "MM.", "Mme", "Mlle", "Mgr", "Dr", "Me", "St", "Ste", "p.", "av."}}
_INITIAL = re.compile(r"^[A-ZÀ-Ý](-[A-ZÀ-Ý])?\.$")

PROCESSORS = {"fr": "tokenize,mwt,pos,lemma,ner"}
"""The Stanza processors run for each language."""


class SilverFormatError(Exception):
    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


def _field(value: str | None) -> str:
    return value if value else "_"


def conllu_token_lines(sentence: Sentence, token_misc: Sequence[Sequence[str]]) -> list[str]:
    """The CoNLL-U lines of a sentence's tokens: a range line for each multi-word token, then its
    words. `token_misc[i]` is the MISC items of surface token i (on its range line, or on its
    word line when it is one word); `SpaceAfter=No` is appended where the next token touches it."""
    lines = []
    for position, token in enumerate(sentence.tokens):
        misc = list(token_misc[position])
        following = sentence.tokens[position + 1] if position + 1 < len(sentence.tokens) else None
        if following is not None and following.start == token.end:
            misc.append("SpaceAfter=No")
        misc_text = "|".join(misc) or "_"
        if len(token.words) > 1:
            first, last = token.words[0].id, token.words[-1].id
            lines.append(f"{first}-{last}\t{token.text}\t_\t_\t_\t_\t_\t_\t_\t{misc_text}")
        for word in token.words:
            word_misc = misc_text if len(token.words) == 1 else "_"
            lines.append(
                "\t".join(
                    [str(word.id), word.text, _field(word.lemma), _field(word.upos),
                     _field(word.xpos), _field(word.feats), "_", "_", "_", word_misc]
                )
            )
    return lines


def format_silver(doc: SilverDocument, text: str) -> str:
    """The CoNLL-U text of a silver document (`text` is the annotated text, for SpaceAfter)."""
    fp = doc.fingerprint
    lines = [
        f"# newdoc id = {doc.doc_id}",
        f"# polner:language = {doc.language}",
        f"# polner:text_sha256 = {doc.text_sha256}",
        f"# polner:stanza_version = {fp.stanza_version}",
        f"# polner:processors = {fp.processors}",
        *(f"# polner:model = {name} sha256={sha}" for name, sha in fp.models),
        f"# polner:pipeline = {fp.digest}",
    ]
    for sentence in doc.sentences:
        lines.append(f"# sent_id = {doc.doc_id}-s{sentence.index}")
        lines.append(f"# text = {sentence.text}")
        lines += conllu_token_lines(
            sentence, [[f"start_char={t.start}", f"end_char={t.end}", f"ner={t.ner}"] for t in sentence.tokens]
        )
        lines.append("")
    return "\n".join(lines) + "\n"


def parse_silver(conllu: str) -> SilverDocument:
    """Read a silver CoNLL-U file; raise SilverFormatError with the line of a malformed part."""
    header: dict[str, str] = {}
    models: list[tuple[str, str]] = []
    sentences: list[Sentence] = []
    tokens: list[Token] = []
    sentence_text = ""
    pending_mwt: tuple[int, int, str, str, int] | None = None  # first, last, form, misc, line
    mwt_words: list[Word] = []

    def close_sentence(line_number: int) -> None:
        nonlocal tokens, sentence_text
        if pending_mwt is not None:
            raise SilverFormatError(line_number, "multi-word token is missing some of its words")
        if tokens:
            sentences.append(Sentence(len(sentences) + 1, sentence_text, tuple(tokens)))
        tokens, sentence_text = [], ""

    def make_token(form: str, misc: str, words: tuple[Word, ...], line_number: int) -> Token:
        fields: dict[str, str] = {}
        for item in misc.split("|"):  # one pass over MISC; the first value of a key counts
            name, _, value = item.partition("=")
            fields.setdefault(name, value)
        start, end, ner = fields.get("start_char"), fields.get("end_char"), fields.get("ner")
        if start is None or end is None or not start.isdigit() or not end.isdigit():
            raise SilverFormatError(line_number, "token has no start_char/end_char in MISC")
        return Token(form, int(start), int(end), words, ner or "O")

    lines = conllu.split("\n")
    for line_number, line in enumerate(lines, start=1):
        if line.startswith("#"):
            key, _, value = line[1:].strip().partition(" = ")
            if key == "text":
                sentence_text = value
            elif key == "polner:model":
                name, _, sha = value.rpartition(" sha256=")
                models.append((name, sha))
            elif key.startswith("polner:") or key == "newdoc id":
                header[key] = value
            continue
        if not line.strip():
            close_sentence(line_number)
            continue
        columns = line.split("\t")
        if len(columns) != 10:
            raise SilverFormatError(line_number, f"expected 10 tab-separated columns, found {len(columns)}")
        word_id, form, lemma, upos, xpos, feats, _, _, _, misc = columns
        if "-" in word_id:
            first, _, last = word_id.partition("-")
            if not (first.isdigit() and last.isdigit()) or int(last) <= int(first):
                raise SilverFormatError(line_number, f"bad multi-word token range {word_id!r}")
            pending_mwt = (int(first), int(last), form, misc, line_number)
            mwt_words = []
            continue
        if not word_id.isdigit():
            raise SilverFormatError(line_number, f"bad word id {word_id!r}")
        word = Word(int(word_id), form, None if lemma == "_" else lemma,
                    None if upos == "_" else upos, None if xpos == "_" else xpos,
                    None if feats == "_" else feats)
        if pending_mwt is not None:
            mwt_words.append(word)
            if word.id == pending_mwt[1]:
                first, last, mwt_form, mwt_misc, mwt_line = pending_mwt
                pending_mwt = None
                tokens.append(make_token(mwt_form, mwt_misc, tuple(mwt_words), mwt_line))
            continue
        tokens.append(make_token(form, misc, (word,), line_number))
    close_sentence(len(lines))
    for key in ("newdoc id", "polner:language", "polner:text_sha256", "polner:stanza_version",
                "polner:processors"):
        if key not in header:
            raise SilverFormatError(1, f"missing header comment '# {key} = …'")
    fingerprint = PipelineFingerprint(header["polner:stanza_version"], header["polner:processors"],
                                      tuple(models))
    return SilverDocument(header["newdoc id"], header["polner:language"],
                          header["polner:text_sha256"], fingerprint, tuple(sentences))


def read_silver_header(path: Path) -> dict[str, str]:
    """The `# polner:` comments of a silver file, read without parsing its sentences."""
    header: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#") or line.startswith("# sent_id"):
                break
            key, _, value = line[1:].strip().partition(" = ")
            header[key] = value
    return header


def silver_spans(doc: SilverDocument, text: str) -> list[Span]:
    """Stanza's entity spans, decoded from each sentence's BIOES tags onto token offsets."""
    spans = []
    for sentence in doc.sentences:
        for first, last, label in bioes_to_token_spans([t.ner for t in sentence.tokens]):
            start, end = sentence.tokens[first].start, sentence.tokens[last].end
            spans.append(Span(start, end, label, text[start:end], provenance="stanza"))
    return spans


# --- Running Stanza ---------------------------------------------------------------------


def _ends_sentence(sentence: list[dict], language: str) -> bool:
    last = sentence[-1]["text"]
    if last in _ABBREVIATIONS.get(language, ()) or _INITIAL.match(last):
        return False
    return last in _SENTENCE_FINAL


def repair_sentence_splits(sentences: list[list[dict]], text: str, language: str) -> list[list[dict]]:
    """Merge a sentence into the next one of the same paragraph when Stanza split it after an
    abbreviation or initial ("M.", "V.") or where no sentence-final punctuation stands."""
    merged: list[list[dict]] = []
    for sentence in sentences:
        if merged:
            previous = merged[-1]
            gap = text[_last_end(previous) : sentence[0]["start_char"]]
            if "\n" not in gap and not _ends_sentence(_surface(previous), language):
                offset = max(_max_word_id(previous), 0)
                merged[-1] = previous + [_shift_ids(token, offset) for token in sentence]
                continue
        merged.append(list(sentence))
    return merged


def _surface(sentence: list[dict]) -> list[dict]:
    return [t for t in sentence if "start_char" in t]


def _last_end(sentence: list[dict]) -> int:
    return _surface(sentence)[-1]["end_char"]


def _max_word_id(sentence: list[dict]) -> int:
    return max(t["id"][-1] if isinstance(t["id"], tuple) else t["id"] for t in sentence)


def _shift_ids(token: dict, offset: int) -> dict:
    token = dict(token)
    token_id = token["id"]
    token["id"] = tuple(i + offset for i in token_id) if isinstance(token_id, tuple) else token_id + offset
    return token


def _sentence_from_stanza(index: int, stanza_sentence) -> Sentence:
    tokens = []
    for token in stanza_sentence.tokens:
        words = tuple(
            Word(w.id, w.text, w.lemma, w.upos, w.xpos, w.feats) for w in token.words
        )
        tokens.append(Token(token.text, token.start_char, token.end_char, words, token.ner or "O"))
    return Sentence(index, stanza_sentence.text, tuple(tokens))


@dataclass(frozen=True)
class TextToAnnotate:
    doc_id: str
    language: str
    text: str
    text_sha256: str


def model_fingerprint(pipeline, resources_dir: Path, language: str) -> PipelineFingerprint:
    """Stanza version, processors and the sha256 of every model file the pipeline loaded."""
    import hashlib

    import stanza

    paths: set[str] = set()
    for key, value in pipeline.config.items():
        if key.endswith(("_model_path", "_pretrain_path")) and value:
            paths.update(value if isinstance(value, list) else [value])
    models = []
    for path in sorted(paths):
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        try:
            name = Path(path).resolve().relative_to(resources_dir.resolve()).as_posix()
        except ValueError:
            name = Path(path).name
        models.append((name, digest))
    return PipelineFingerprint(stanza.__version__, PROCESSORS[language], tuple(models))


class StanzaAnnotator:
    """One Stanza pipeline for one language, loaded once, used for any number of texts."""

    def __init__(self, language: str, resources_dir: Path):
        from polner.models import load_pipeline

        self.language = language
        self.resources_dir = resources_dir
        self.pipeline = load_pipeline(language, resources_dir, PROCESSORS[language])
        self.fingerprint = model_fingerprint(self.pipeline, resources_dir, language)

    def annotate(self, texts: Sequence[TextToAnnotate]) -> list[SilverDocument]:
        """Analyse a batch of texts: tokenise, repair sentence splits, then tag."""
        import stanza

        if not texts:
            return []
        tokenized = self.pipeline.process(
            [stanza.Document([], text=item.text) for item in texts], processors="tokenize,mwt"
        )
        repaired = [
            stanza.Document(repair_sentence_splits(doc.to_dict(), item.text, self.language), text=item.text)
            for doc, item in zip(tokenized, texts)
        ]
        tagged = self.pipeline.process(repaired, processors="pos,lemma,ner")
        return [
            SilverDocument(
                item.doc_id, item.language, item.text_sha256, self.fingerprint,
                tuple(_sentence_from_stanza(i, s) for i, s in enumerate(doc.sentences, start=1)),
            )
            for doc, item in zip(tagged, texts)
        ]


def batched(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
