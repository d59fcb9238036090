"""polner: an annotated corpus for French political named-entity recognition."""

# The dataset version: the one place it is set. Semantic versioning for data:
# major = schema or label set changes, minor = documents added, patch = annotation fixes.
__version__ = "0.1.0"

DATASET_NAME = "polner"
