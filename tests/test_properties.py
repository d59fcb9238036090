"""Property-based tests: whatever a correction file holds, validation reports problems and never
crashes; whatever a contributor asks `correct` for, it writes a file that validates or nothing."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from minicorpus import POUTINE, REPO_ROOT, copy_mini, gold_path, text_of
from polner.contribute import CorrectionRequest, write_correction
from polner.issues import Level, PolnerError, ValidationFailed
from polner.labels import ENTITY_LABELS
from polner.layout import Layout
from polner.silver import parse_silver
from polner.validate import check_splits, validate_document

DOCUMENTED = set(re.findall(r"^\| `([a-z0-9-]+)` \|", (REPO_ROOT / "docs" / "validation-codes.md")
                            .read_text(encoding="utf-8"), flags=re.MULTILINE))
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = copy_mini(tmp_path_factory.mktemp("properties") / "repo")
    layout = Layout(root)
    split_of, issues = check_splits(layout)
    assert not issues
    silver = parse_silver((root / "annotations" / "fr" / "silver" / f"{POUTINE}.conllu").read_text(encoding="utf-8"))
    tokens = [t for s in silver.sentences for t in s.tokens]
    return root, layout, split_of, text_of(root, POUTINE), tokens


def validate_gold(corpus, content: bytes):
    root, layout, split_of, _, _ = corpus
    path = gold_path(root, POUTINE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    document, issues = validate_document(layout, "fr", POUTINE, split_of)
    errors = [i for i in issues if i.level is Level.ERROR]
    assert (document is None) == bool(errors)
    for issue in issues:
        assert issue.code in DOCUMENTED, issue
        assert issue.path == f"annotations/fr/gold/{POUTINE}.yaml", issue
        assert issue.line is None or issue.line >= 1
        assert issue.format().startswith(issue.path)
    return document, issues


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10, max_value=10**12),
                    st.floats(allow_nan=True), st.text(max_size=12), st.lists(st.integers(), max_size=2))


@st.composite
def correction_entries(draw, text: str, tokens, corrupt: bool):
    """A correction anchored on real tokens; when `corrupt`, any field may be wrong or missing."""
    first = draw(st.integers(0, len(tokens) - 1))
    last = draw(st.integers(first, min(first + 3, len(tokens) - 1)))
    start, end = tokens[first].start, tokens[last].end
    if draw(st.integers(0, 4)) == 0:  # off the token boundaries, reversed or out of the text
        start += draw(st.integers(-3, 3))
        end += draw(st.sampled_from([0, 1, -1, -40, 10**6]))
    action = draw(st.sampled_from(["add", "relabel", "delete"]))
    entry = {"action": action, "start": start, "end": end,
             "text": text[max(start, 0) : max(end, 0)] if draw(st.integers(0, 5)) else draw(st.text(max_size=10))}
    if action != "delete" or draw(st.integers(0, 5)) == 0:
        entry["label"] = draw(st.sampled_from(ENTITY_LABELS))
    if draw(st.booleans()):
        entry["entity"] = draw(st.text(min_size=1, max_size=8))
    if draw(st.booleans()):
        entry["note"] = draw(st.text(max_size=20))
    if corrupt:
        for key in list(entry):
            if draw(st.integers(0, 5)) == 0:
                del entry[key]
            elif draw(st.integers(0, 5)) == 0:
                entry[key] = draw(SCALARS | st.sampled_from(["link", "PERSON", "per", ""]))
        if draw(st.integers(0, 5)) == 0:
            entry[draw(st.text(min_size=1, max_size=6))] = draw(SCALARS)
    return entry


@st.composite
def correction_files(draw, text: str, tokens):
    """A correction file: a third of them with wrong, missing or unknown fields anywhere."""
    corrupt = draw(st.integers(0, 2)) == 0
    data = {
        "document": POUTINE,
        "status": draw(st.sampled_from(["unreviewed", "reviewed", "in-progress"])),
        "corrections": draw(st.lists(correction_entries(text, tokens, corrupt), max_size=6)),
    }
    if draw(st.booleans()):
        data["reviewers"] = draw(st.lists(st.text(max_size=5), max_size=2))
    if corrupt:
        for key in list(data):
            if draw(st.integers(0, 6)) == 0:
                data[key] = draw(SCALARS | st.sampled_from(["fr-other", "done"]))
        if draw(st.integers(0, 6)) == 0:
            del data[draw(st.sampled_from(sorted(data)))]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=draw(st.booleans()))


@SETTINGS
@given(data=st.data())
def test_random_correction_files_never_crash_the_validator(corpus, data):
    _, _, _, text, tokens = corpus
    content = data.draw(correction_files(text, tokens))
    document, issues = validate_gold(corpus, content.encode("utf-8"))
    event("valid" if document is not None else "invalid")
    for issue in issues:
        event(issue.code)
    if document is not None:
        assert all(span.text == text[span.start : span.end] for span in document.spans)


@SETTINGS
@given(content=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_arbitrary_bytes_as_a_gold_file_never_crash_the_validator(corpus, content):
    validate_gold(corpus, content)


ACTIONS = st.sampled_from(["add", "relabel", "delete"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_correct_writes_a_valid_file_or_nothing(corpus, data):
    """A random series of `correct` requests: each one either appends an entry after the
    file's previous bytes, and the document still validates, or changes nothing."""
    root, layout, split_of, text, tokens = corpus
    path = gold_path(root, POUTINE)
    path.unlink(missing_ok=True)
    for _ in range(data.draw(st.integers(1, 4))):
        first = data.draw(st.integers(0, len(tokens) - 1))
        last = data.draw(st.integers(first, min(first + 2, len(tokens) - 1)))
        action = data.draw(ACTIONS)
        request = CorrectionRequest(POUTINE, action, text[tokens[first].start : tokens[last].end],
                                    None if action == "delete" else data.draw(st.sampled_from(ENTITY_LABELS)),
                                    occurrence=data.draw(st.sampled_from([None, 1, 2])))
        before = path.read_bytes() if path.exists() else None
        try:
            write_correction(layout, request)
            event("written")
        except (PolnerError, ValidationFailed):
            event("refused")
            assert (path.read_bytes() if path.exists() else None) == before
            continue
        after = path.read_bytes()
        assert before is None or after.startswith(before)
        document, issues = validate_document(layout, "fr", POUTINE, split_of)
        assert document is not None, [i.format() for i in issues]


def test_the_property_tests_see_both_outcomes(corpus):
    """Guard against a generator that only ever produces invalid files."""
    root, layout, split_of, text, tokens = corpus
    valid = yaml.safe_dump({"document": POUTINE, "status": "unreviewed", "corrections": [
        {"action": "relabel", "start": 357, "end": 362, "text": "Douma", "label": "ORG"}]})
    assert validate_gold(corpus, valid.encode())[0] is not None
    shutil.rmtree(root / "annotations" / "fr" / "gold")
