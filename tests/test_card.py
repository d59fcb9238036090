import pytest
import yaml

from polner.card import render_card
from polner.dataset import sentence_config
from polner.issues import PolnerError

TEMPLATE = "---\nlicense: other\nlanguage: [fr]\n---\n# Card v{{ version }}\n\n{{ statistics }}\n"


def _render(template: str) -> str:
    config = sentence_config("fr", ("train", "test"))
    return render_card(template, version="1.2.3", configs=[config],
                       split_rows={("fr_sentences", "train"): 8, ("fr_sentences", "test"): 2},
                       split_bytes={("fr_sentences", "train"): 800, ("fr_sentences", "test"): 200},
                       values={"statistics": "| a | b |"})


def test_static_metadata_is_kept_and_configs_and_splits_are_added():
    card = _render(TEMPLATE)
    metadata = yaml.safe_load(card.split("---\n")[1])
    assert metadata["license"] == "other" and metadata["version"] == "1.2.3"
    assert metadata["configs"][0]["data_files"][0] == {"split": "train", "path": "data/fr/sentences-train.parquet"}
    assert metadata["dataset_info"][0]["splits"] == [
        {"name": "train", "num_bytes": 800, "num_examples": 8}, {"name": "test", "num_bytes": 200, "num_examples": 2}]
    assert card.endswith("# Card v1.2.3\n\n| a | b |\n")


def test_unknown_placeholder_and_missing_metadata_are_clear_errors():
    with pytest.raises(PolnerError, match=r"unknown placeholder \{\{ agreemnt \}\}"):
        _render(TEMPLATE + "{{ agreemnt }}\n")
    with pytest.raises(PolnerError, match="must start with YAML metadata"):
        _render("# no front matter\n")


def test_the_repository_card_renders_as_a_hub_dataset_card(tmp_path):
    from huggingface_hub import DatasetCard

    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "DATASET_CARD.md").read_text(encoding="utf-8")
    placeholders = {"dataset_name": "polner", "default_config": "fr_sentences", "labels": "PER, ORG, LOC, MISC",
                    "statistics": "", "agreement": ""}
    config = sentence_config("fr", ("train", "test"))
    text = render_card(source, version="0.1.0", configs=[config], split_rows={}, split_bytes={}, values=placeholders)
    (tmp_path / "README.md").write_text(text, encoding="utf-8")
    card = DatasetCard.load(tmp_path / "README.md")
    assert card.data.license == "other" and card.data.language == ["fr"]
