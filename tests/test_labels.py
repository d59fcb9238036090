from hypothesis import given
from hypothesis import strategies as st
from stanza.models.ner.utils import decode_from_bioes

from polner.labels import (
    ENTITY_LABELS,
    IOB2_TAGS,
    bioes_to_token_spans,
    iob2_errors,
    iob2_to_token_spans,
    token_spans_to_iob2,
)


def test_tag_names_follow_conll2003_order():
    assert IOB2_TAGS == ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")


@st.composite
def token_spans(draw):
    length = draw(st.integers(0, 30))
    spans, position = [], 0
    while position < length:
        position += draw(st.integers(0, 3))
        width = draw(st.integers(1, 4))
        if position + width > length:
            break
        spans.append((position, position + width - 1, draw(st.sampled_from(ENTITY_LABELS))))
        position += width
    return length, spans


@given(token_spans())
def test_spans_to_iob2_round_trip(case):
    length, spans = case
    tags = token_spans_to_iob2(length, spans)
    assert iob2_errors(tags) == []
    assert iob2_to_token_spans(tags) == spans


def test_iob2_errors_name_the_broken_token():
    assert iob2_errors(["O", "I-PER"]) == ["token 1: I-PER does not continue O"]
    assert iob2_errors(["B-PER", "I-LOC"]) == ["token 1: I-LOC does not continue B-PER"]
    assert iob2_errors(["B-PERSON"]) == ["token 0: unknown tag 'B-PERSON'"]


@given(st.lists(st.sampled_from(["O", None] + [f"{p}-{l}" for p in "BIES" for l in ENTITY_LABELS]), max_size=25))
def test_bioes_decoding_matches_stanza(tags):
    expected = [(e["start"], e["end"], e["type"]) for e in decode_from_bioes(list(tags))]
    assert bioes_to_token_spans(tags) == expected
