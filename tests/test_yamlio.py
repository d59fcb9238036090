import pytest

from polner.yamlio import YamlSyntaxError, dump_yaml, load_located_yaml


def test_lines_of_nodes_and_duplicate_keys():
    located = load_located_yaml("a: 1\nb:\n  - x: 2\n    y: 3\n  - x: 4\na: 5\n")
    assert located.line_of(("b", 1, "x")) == 5
    assert located.line_of(("b", 0, "y")) == 4
    assert located.line_of(("b", 7, "z")) == 2  # the deepest node that exists
    assert located.duplicate_keys == (("a", 6),)


def test_aliases_are_refused_at_their_line():
    with pytest.raises(YamlSyntaxError) as caught:
        load_located_yaml("a: &x [1, 2]\nb: *x\n")
    assert caught.value.line == 2 and "aliases" in str(caught.value)


def test_syntax_errors_have_a_line():
    with pytest.raises(YamlSyntaxError) as caught:
        load_located_yaml("a: [1,\nb: 2\n")
    assert caught.value.line is not None and str(caught.value).startswith("invalid YAML")


def test_dump_round_trips_and_keeps_order_and_unicode():
    data = {"zeta": "Tokaïev", "alpha": ["l’Occident", None], "text": "deux\nlignes"}
    dumped = dump_yaml(data)
    assert dumped.index("zeta") < dumped.index("alpha") and "Tokaïev" in dumped
    assert load_located_yaml(dumped).data == data
