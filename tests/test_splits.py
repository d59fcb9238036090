from pathlib import Path

from polner.layout import Layout
from polner.splits import TEST_SHARE, assign_new_documents, count_tokens, load_splits, near_duplicate_groups

REPO = Path(__file__).resolve().parent.parent
LAYOUT = Layout(REPO)


def _texts() -> dict[str, str]:
    return {d: LAYOUT.text_path("fr", d).read_text(encoding="utf-8") for d in LAYOUT.document_ids("fr")}


def test_the_two_versions_of_one_story_are_detected_from_their_text():
    groups = near_duplicate_groups(_texts())
    assert ["fr-president-russe-arrive-27-novembre", "fr-vladimir-poutine-demarre-mercredi-27"] in groups
    assert sorted(len(g) for g in groups) == [1, 1, 1, 2]


def test_assignment_keeps_near_duplicates_together_and_is_about_80_20():
    texts = _texts()
    splits = assign_new_documents({"train": [], "test": []}, texts)
    assert splits == assign_new_documents({"train": [], "test": []}, dict(reversed(list(texts.items()))))
    for group in near_duplicate_groups(texts):
        assert len({name for name, ids in splits.items() for d in group if d in ids}) == 1
    test_share = sum(count_tokens(texts[d]) for d in splits["test"]) / sum(map(count_tokens, texts.values()))
    assert abs(test_share - TEST_SHARE) < 0.1


def test_the_committed_splits_are_what_the_assignment_gives():
    recorded, issues = load_splits(LAYOUT)
    assert issues == []
    assert assign_new_documents({"train": [], "test": []}, _texts()) == recorded


def test_assigned_documents_never_move_and_a_new_near_duplicate_joins_its_story():
    texts = _texts()
    recorded, _ = load_splits(LAYOUT)
    flipped = {"train": recorded["test"], "test": recorded["train"]}  # any prior decision holds
    texts["fr-new-copy"] = texts["fr-poutine-president-kazakh-affichent-unite"] + "\nUn ajout.\n"
    updated = assign_new_documents(flipped, texts)
    assert set(flipped["train"]) <= set(updated["train"]) and set(flipped["test"]) <= set(updated["test"])
    home = "train" if "fr-poutine-president-kazakh-affichent-unite" in flipped["train"] else "test"
    assert "fr-new-copy" in updated[home]
