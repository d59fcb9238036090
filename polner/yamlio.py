"""YAML reading with line numbers, and deterministic YAML writing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


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
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data from one parse, as yaml.safe_load makes it.
    (The pure-Python parser, not libyaml's: they differ on tabs and on the lines of empty nodes.)"""
    loader = yaml.SafeLoader(text)
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
        raise YamlSyntaxError(None, f"invalid YAML: {exc}") from None
    lines: dict[tuple[object, ...], int] = {}
    duplicates: list[tuple[str, int]] = []

    def walk(node: yaml.Node | None, path: tuple[object, ...]) -> None:
        if node is None:
            return
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
