import json

import pyarrow.parquet as pq
import yaml
from datasets import Features

from polner.dataset import SENTENCE_COLUMNS, arrow_schema, card_features
from polner.labels import IOB2_TAGS


def test_card_features_write_sequence_not_list_for_tags():
    features = {f["name"]: f for f in card_features(SENTENCE_COLUMNS)}
    assert "list" not in features["ner_tags"] and "list" not in features["tokens"]
    assert features["tokens"]["sequence"] == "string"
    names = features["ner_tags"]["sequence"]["class_label"]["names"]
    assert [names[str(i)] for i in range(len(names))] == list(IOB2_TAGS)


def test_card_yaml_parses_back_to_the_same_features_as_the_parquet_schema():
    from_card = Features._from_yaml_list(yaml.safe_load(yaml.safe_dump(card_features(SENTENCE_COLUMNS))))
    schema = arrow_schema(SENTENCE_COLUMNS)
    from_parquet = Features.from_dict(json.loads(schema.metadata[b"huggingface"])["info"]["features"])
    assert from_card == from_parquet
    assert from_card["ner_tags"].feature.names == list(IOB2_TAGS)


def test_parquet_metadata_uses_the_sequence_form_read_by_datasets_3(tmp_path):
    import pyarrow as pa

    schema = arrow_schema(SENTENCE_COLUMNS)
    pq.write_table(pa.Table.from_pylist([], schema=schema), tmp_path / "x.parquet")
    stored = json.loads(pq.read_schema(tmp_path / "x.parquet").metadata[b"huggingface"])["info"]["features"]
    assert stored["ner_tags"] == {"feature": {"names": list(IOB2_TAGS), "_type": "ClassLabel"}, "_type": "Sequence"}
