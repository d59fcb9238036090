"""The built folder loads with datasets 3.x too, label names included (the `sequence:` trap).

datasets 3.x cannot live beside the project's datasets in one environment, so this runs it in
its own: `.ci/run` makes `.venv-ds3` (`pip install "datasets>=3.6,<4"`) and points
POLNER_DATASETS3_PYTHON at its python. Without that variable the test skips, except under CI.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from polner.build import build_dataset
from polner.labels import IOB2_TAGS
from polner.layout import Layout

LOADER = """
import json, sys
import datasets
folder = sys.argv[1]
out = {"version": datasets.__version__}
for config in ("fr_sentences", "fr_documents"):
    ds = datasets.load_dataset(folder, config)
    out[config] = {split: len(ds[split]) for split in ds}
ds = datasets.load_dataset(folder, "fr_sentences")
out["names"] = ds["train"].features["ner_tags"].feature.names
out["first_tags"] = ds["train"][0]["ner_tags"]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def datasets3_python() -> str:
    python = os.environ.get("POLNER_DATASETS3_PYTHON")
    if not python:
        if os.environ.get("CI"):
            pytest.fail("CI=true but POLNER_DATASETS3_PYTHON is not set (.ci/run sets it)")
        pytest.skip("POLNER_DATASETS3_PYTHON not set: no datasets 3.x environment to load with")
    return python


def test_datasets_3_loads_both_configs_with_label_names(datasets3_python, tmp_path):
    root = Path(__file__).resolve().parent.parent
    folder = build_dataset(Layout(root), tmp_path, progress=False).output
    done = subprocess.run([datasets3_python, "-c", LOADER, str(folder)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "HF_DATASETS_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["version"].startswith("3.")
    assert result["names"] == list(IOB2_TAGS)
    assert result["fr_sentences"] == {"train": 81, "test": 15}
    assert result["fr_documents"] == {"train": 4, "test": 1}
    assert all(0 <= tag < len(IOB2_TAGS) for tag in result["first_tags"])
