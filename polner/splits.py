"""Document-level train/test splits: about 80/20 by tokens, near-duplicates kept together,
recorded in corpus/splits.yaml so that a document never changes split."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping

from polner.fileio import atomic_write_text
from polner.issues import Issue, error
from polner.layout import Layout
from polner.yamlio import YamlSyntaxError, dump_yaml, load_located_yaml

SPLITS = ("train", "test")
TEST_SHARE = 0.2
NEAR_DUPLICATE_CONTAINMENT = 0.3
"""Share of the smaller text's word 5-grams found in the other text above which two
documents are versions of one story."""

_WORD = re.compile(r"\w+|[^\w\s]")
_SHINGLE = 5
_COMMON_SHINGLE = 50  # a 5-gram in more documents than this is boilerplate, not evidence

SPLITS_HEADER = (
    "# Document-level splits. Append-only: `polner split` adds new documents here and never\n"
    "# moves one, so a document stays in its split in every later version of the dataset.\n"
)


def count_tokens(text: str) -> int:
    """A model-free token count (words and punctuation), used to balance the splits."""
    return len(_WORD.findall(text))


def _shingles(text: str) -> set[int]:
    words = [w.lower() for w in re.findall(r"\w+", text)]
    return {
        int.from_bytes(hashlib.blake2b(" ".join(words[i : i + _SHINGLE]).encode(), digest_size=8).digest(), "big")
        for i in range(max(len(words) - _SHINGLE + 1, 0))
    }


def near_duplicate_groups(texts: Mapping[str, str]) -> list[list[str]]:
    """Groups of documents that share enough word 5-grams to be versions of one text."""
    shingles = {doc_id: _shingles(text) for doc_id, text in texts.items()}
    postings: dict[int, list[str]] = defaultdict(list)
    for doc_id in sorted(shingles):
        for shingle in shingles[doc_id]:
            postings[shingle].append(doc_id)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for docs in postings.values():
        if 1 < len(docs) <= _COMMON_SHINGLE:
            for i, a in enumerate(docs):
                for b in docs[i + 1 :]:
                    shared[(a, b)] += 1
    parent = {doc_id: doc_id for doc_id in texts}

    def find(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            parent[doc_id] = parent[parent[doc_id]]
            doc_id = parent[doc_id]
        return doc_id

    for (a, b), count in shared.items():
        smaller = min(len(shingles[a]), len(shingles[b])) or 1
        if count / smaller >= NEAR_DUPLICATE_CONTAINMENT:
            ra, rb = find(a), find(b)
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for doc_id in sorted(texts):
        groups[find(doc_id)].append(doc_id)
    return sorted(groups.values())


def load_splits(layout: Layout) -> tuple[dict[str, list[str]], list[Issue]]:
    """The recorded splits (split name → document ids) and any problem in the file."""
    path = layout.relative(layout.splits_file)
    if not layout.splits_file.exists():
        return {name: [] for name in SPLITS}, []
    try:
        located = load_located_yaml(layout.splits_file.read_text(encoding="utf-8"))
    except YamlSyntaxError as exc:
        return {name: [] for name in SPLITS}, [error("splits-yaml-syntax", path, exc.line, str(exc))]
    except UnicodeDecodeError:
        return {name: [] for name in SPLITS}, [error("splits-encoding", path, None, "not valid UTF-8")]
    data = located.data or {}
    issues: list[Issue] = []
    splits: dict[str, list[str]] = {name: [] for name in SPLITS}
    if not isinstance(data, dict):
        return splits, [error("splits-schema", path, 1, "expected a mapping of split name to document ids")]
    for name, ids in data.items():
        line = located.line_of((name,))
        if name not in SPLITS:
            issues.append(error("splits-unknown-split", path, line,
                                f"unknown split {name!r}; splits are {', '.join(SPLITS)}"))
            continue
        if ids is None:
            continue
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            issues.append(error("splits-schema", path, line, f"{name}: expected a list of document ids"))
            continue
        splits[name] = ids
    return splits, issues


def assign_new_documents(
    splits: Mapping[str, list[str]], texts: Mapping[str, str]
) -> dict[str, list[str]]:
    """Splits with every unassigned document added; assigned documents never move.

    A new document near-duplicating an assigned one joins its split. Other new groups are
    taken in a fixed pseudo-random order and each goes where the test share of tokens ends
    closest to TEST_SHARE.
    """
    assigned = {doc_id: name for name, ids in splits.items() for doc_id in ids}
    result = {name: list(splits.get(name, [])) for name in SPLITS}
    tokens = {doc_id: count_tokens(text) for doc_id, text in texts.items()}
    split_tokens = {name: sum(tokens.get(d, 0) for d in result[name]) for name in SPLITS}
    new_groups = []
    for group in near_duplicate_groups(texts):
        new = [d for d in group if d not in assigned]
        if not new:
            continue
        homes = sorted({assigned[d] for d in group if d in assigned})
        if homes:
            target = homes[0]
            result[target].extend(new)
            split_tokens[target] += sum(tokens[d] for d in new)
        else:
            new_groups.append(new)
    new_groups.sort(key=lambda g: hashlib.sha256(g[0].encode()).hexdigest())
    for group in new_groups:
        size = sum(tokens[d] for d in group)
        total = max(sum(split_tokens.values()) + size, 1)  # empty texts (validate reports them)

        def distance(name: str) -> float:
            test = split_tokens["test"] + (size if name == "test" else 0)
            return abs(test / total - TEST_SHARE)

        target = min(SPLITS, key=lambda name: (distance(name), name != "train"))
        result[target].extend(group)
        split_tokens[target] += size
    return {name: sorted(ids) for name, ids in result.items()}


def write_splits(layout: Layout, splits: Mapping[str, list[str]]) -> None:
    atomic_write_text(layout.splits_file, SPLITS_HEADER + dump_yaml({n: list(splits[n]) for n in SPLITS}))
