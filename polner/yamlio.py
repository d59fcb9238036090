"""YAML reading with line numbers, and deterministic YAML writing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from polner.issues import Issue, error

MAX_DEPTH = 32
"""Deepest nesting accepted in a data file; polner's own files need three or four levels."""


class YamlSyntaxError(Exception):
    def __init__(self, line: int | None, message: str):
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class LocatedYaml:
    """Parsed YAML data, the line of each node by its path, and duplicate keys found."""

    data: Any
    lines: dict[tuple[object, ...], int]
    duplicate_keys: tuple[tuple[str, int], ...]

    def line_of(self, path: tuple[object, ...]) -> int:
        """The line of the deepest node of `path` that exists (1-based)."""
        path = tuple(path)
        while path:
            # a key such as 1 or true is parsed to an int or bool, but is recorded as written
            for candidate in (path, path[:-1] + (str(path[-1]),)):
                if candidate in self.lines:
                    return self.lines[candidate]
            path = path[:-1]
        return self.lines.get((), 1)

    def schema_errors(self, validator: Any) -> list[Any]:
        """Every jsonschema error of the data, in document-path order (stable reports)."""
        return sorted(validator.iter_errors(self.data), key=lambda e: list(map(str, e.absolute_path)))

    def duplicate_key_issues(self, code: str, path_label: str, doc_id: str | None = None) -> list[Issue]:
        """One error per key written twice in one mapping (YAML loaders keep the last silently)."""
        return [error(code, path_label, line, f"key {key!r} appears twice in one mapping", doc_id=doc_id)
                for key, line in self.duplicate_keys]


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases: they can make a file recursive or exponentially large,
    and hand-written data needs none."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            raise YamlSyntaxError(self.peek_event().start_mark.line + 1,
                                  "YAML aliases (*name) are not allowed; write the value out")
        return super().compose_node(parent, index)


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data from one parse, as yaml.safe_load makes it.
    (The pure-Python parser, not libyaml's: they differ on tabs and on the lines of empty nodes.)"""
    loader = _NoAliasLoader(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def load_located_yaml(text: str) -> LocatedYaml:
    """Parse YAML safely, keeping each node's line; raise YamlSyntaxError with a line."""
    try:
        root, data = _compose_and_construct(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)  # a ReaderError (a control character) has no mark
        line = text[:position].count("\n") + 1 if isinstance(position, int) else None
        raise YamlSyntaxError(line, f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise YamlSyntaxError(None, "invalid YAML: nested too deeply") from None
    lines: dict[tuple[object, ...], int] = {}
    duplicates: list[tuple[str, int]] = []

    def walk(node: yaml.Node | None, path: tuple[object, ...]) -> None:
        if node is None:
            return
        if len(path) > MAX_DEPTH:  # deeper data would only exhaust the checkers' recursion
            raise YamlSyntaxError(node.start_mark.line + 1, f"invalid YAML: nested deeper than {MAX_DEPTH} levels")
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    duplicates.append((str(key), key_node.start_mark.line + 1))
                seen.add(key)
                lines[path + (key,)] = key_node.start_mark.line + 1
                walk(value_node, path + (key,))
                lines[path + (key,)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    walk(root, ())
    return LocatedYaml(data, lines, tuple(duplicates))


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data: Any) -> str:
    """YAML with keys in the given order, unicode kept, wide lines: stable across runs."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
