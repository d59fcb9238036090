"""The dataset card: DATASET_CARD.md (prose and static metadata) rendered with the metadata
and tables that only the build knows."""

from __future__ import annotations

import re
from typing import Any

import yaml

from polner.dataset import ConfigFiles, card_features
from polner.issues import PolnerError
from polner.yamlio import dump_yaml

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def split_front_matter(card: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(card)
    if not match:
        raise PolnerError("DATASET_CARD.md: line 1: the card must start with YAML metadata between '---' lines")
    try:
        metadata = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise PolnerError(f"DATASET_CARD.md: invalid YAML metadata: {exc}") from None
    return metadata, card[match.end():]


def render_card(template: str, *, version: str, configs: list[ConfigFiles],
                split_rows: dict[tuple[str, str], int], split_bytes: dict[tuple[str, str], int],
                values: dict[str, str]) -> str:
    """The card text: template metadata + configs + dataset_info, placeholders filled."""
    metadata, body = split_front_matter(template)
    metadata["version"] = version
    metadata["configs"] = [
        {"config_name": config.name, **({"default": True} if config.default else {}),
         "data_files": [{"split": split, "path": path} for split, path in config.files.items()]}
        for config in configs
    ]
    metadata["dataset_info"] = [
        {"config_name": config.name, "features": card_features(config.columns),
         "splits": [{"name": split, "num_bytes": split_bytes.get((config.name, split), 0),
                     "num_examples": split_rows.get((config.name, split), 0)}
                    for split in config.files]}
        for config in configs
    ]
    values = {"version": version, **values}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise PolnerError(f"DATASET_CARD.md: unknown placeholder {{{{ {name} }}}}; "
                              f"known: {', '.join(sorted(values))}")
        return values[name]

    return "---\n" + dump_yaml(metadata) + "---\n" + _PLACEHOLDER.sub(fill, body)
