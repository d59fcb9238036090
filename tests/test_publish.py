"""`polner publish`: the dry run, every refusal, and the Hub calls (with a fake Hub client whose
calls are checked against the real HfApi signatures); the card and the folder that would be
uploaded, read with huggingface_hub and datasets."""

from __future__ import annotations

import inspect
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import datasets
import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, DatasetCard, HfApi
from huggingface_hub.hf_api import GitRefInfo, GitRefs
from release_helpers import build, commit_all, copy_repo_data, init_git_repo

import polner.publish
from polner import __version__
from polner.cli import main
from polner.layout import Layout
from polner.manifest import read_manifest
from polner.publish import PublishRefused, plan_publish, publish

REPO_ID = "polner-tests/polner"
TAG = f"v{__version__}"


def _repo_not_found():
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        import httpx2 as httpx  # what huggingface_hub 2.x uses
    except ImportError:
        import httpx
    request = httpx.Request("GET", f"https://huggingface.co/api/datasets/{REPO_ID}/refs")
    return RepositoryNotFoundError("404: repository not found", response=httpx.Response(404, request=request))


@dataclass
class FakeHub:
    """Stands in for HfApi; records every call."""

    tags: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=lambda: [".gitattributes"])
    exists: bool = True
    unreachable: bool = False
    calls: list[tuple[str, tuple, dict]] = field(default_factory=list)

    def _record(self, name: str, *args, **kwargs) -> None:
        self.calls.append((name, args, kwargs))
        if self.unreachable:
            raise ConnectionError("[Errno -2] Name or service not known")

    def list_repo_refs(self, repo_id, *, repo_type=None):
        self._record("list_repo_refs", repo_id, repo_type=repo_type)
        if not self.exists:
            raise _repo_not_found()
        return GitRefs(branches=[], converts=[],
                       tags=[GitRefInfo(name=t, ref=f"refs/tags/{t}", target_commit="0" * 40) for t in self.tags])

    def list_repo_files(self, repo_id, *, repo_type=None):
        self._record("list_repo_files", repo_id, repo_type=repo_type)
        if not self.exists:
            raise _repo_not_found()
        return list(self.files)

    def create_repo(self, repo_id, *, repo_type=None, exist_ok=False):
        self._record("create_repo", repo_id, repo_type=repo_type, exist_ok=exist_ok)
        self.exists = True

    def create_commit(self, repo_id, operations, *, commit_message, commit_description=None, repo_type=None):
        self._record("create_commit", repo_id, list(operations), commit_message=commit_message,
                     commit_description=commit_description, repo_type=repo_type)
        return SimpleNamespace(oid="c0ffee" + "0" * 34, commit_url=f"https://huggingface.co/datasets/{repo_id}/commit/c0ffee")

    def create_tag(self, repo_id, *, tag, tag_message=None, revision=None, repo_type=None):
        self._record("create_tag", repo_id, tag=tag, tag_message=tag_message, revision=revision, repo_type=repo_type)

    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]


def assert_calls_fit_hfapi(hub: FakeHub) -> None:
    """Every recorded call would be accepted by the real HfApi method of that name."""
    for name, args, kwargs in hub.calls:
        inspect.signature(getattr(HfApi, name)).bind(HfApi(), *args, **kwargs)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A git repository holding a copy of the data, committed, with a fresh build in dist/."""
    root = tmp_path_factory.mktemp("pristine") / "repo"
    layout = copy_repo_data(root)
    init_git_repo(root)
    build(layout, root / "dist")
    return root


@pytest.fixture
def repo(pristine, tmp_path) -> Layout:
    root = tmp_path / "repo"
    shutil.copytree(pristine, root)
    return Layout(root)


def run_cli(layout: Layout, hub: FakeHub, monkeypatch, *extra: str) -> tuple[int, list]:
    tokens = []

    def make_api(token):
        tokens.append(token)
        return hub

    monkeypatch.setattr(polner.publish, "make_api", make_api)
    code = main(["--root", str(layout.root), "publish", "--repo", REPO_ID,
                 "--output", str(layout.root / "dist"), *extra])
    return code, tokens


def test_dry_run_lists_every_file_and_the_tag(repo, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    hub = FakeHub()
    code, tokens = run_cli(repo, hub, monkeypatch)
    out = capsys.readouterr().out
    assert code == 0
    assert tokens == [None]  # a dry run never reads the token
    manifest = read_manifest(repo.root / "dist" / "polner")
    for record in manifest.files:
        assert f"{record.path} " in out and f"sha256 {record.sha256}" in out
    assert f"upload {len(manifest.files)} file(s)" in out
    assert f"then tag: {TAG} (new: it does not exist on the Hub yet)" in out
    assert f'load_dataset("{REPO_ID}", "fr_sentences", revision="{TAG}")' in out
    assert "dry run: nothing was uploaded" in out
    assert hub.names() == ["list_repo_refs", "list_repo_files"]  # reads only
    assert_calls_fit_hfapi(hub)


def test_dry_run_works_offline(repo, monkeypatch, capsys):
    code, _ = run_cli(repo, FakeHub(unreachable=True), monkeypatch)
    out = capsys.readouterr().out
    assert code == 0
    assert f"then tag: {TAG} (not checked: the Hub is unreachable (ConnectionError))" in out


def test_dry_run_for_a_new_repo(repo):
    plan = plan_publish(repo, repo.root / "dist", REPO_ID, api=FakeHub(exists=False))
    assert plan.tag == TAG and plan.remote_files == () and plan.files_to_delete == ()
    assert plan.folder == repo.root / "dist" / "polner"
    assert [f.path for f in plan.files] == [f.path for f in read_manifest(plan.folder).files]


def refusal(layout: Layout, hub: FakeHub | None = None, repo_id: str = REPO_ID) -> PublishRefused:
    with pytest.raises(PublishRefused) as caught:
        plan_publish(layout, layout.root / "dist", repo_id, api=hub or FakeHub())
    return caught.value


def test_refuses_when_validation_fails(repo, monkeypatch, capsys):
    text = repo.text_path("fr", repo.document_ids("fr")[0])
    text.write_text(text.read_text(encoding="utf-8") + "Ajout.\n", encoding="utf-8")
    commit_all(repo.root, "edit a text by hand")
    exc = refusal(repo)
    assert exc.reason == f"validation failed with {len(exc.issues)} error(s)"
    assert {"text-hash-mismatch", "text-not-derived"} <= {i.code for i in exc.issues}
    code, _ = run_cli(repo, FakeHub(), monkeypatch)
    captured = capsys.readouterr()
    assert code == 1
    assert "error[text-hash-mismatch]" in captured.err
    assert f"polner: publish refused: validation failed with {len(exc.issues)} error(s)" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_refuses_a_dirty_working_tree(repo, monkeypatch, capsys):
    (repo.root / "notes.txt").write_text("draft\n", encoding="utf-8")
    exc = refusal(repo)
    assert exc.reason == "the git working tree has 1 uncommitted change(s): notes.txt"
    assert "commit or stash" in exc.hint
    code, _ = run_cli(repo, FakeHub(), monkeypatch)
    assert code == 2 and "publish refused: the git working tree" in capsys.readouterr().err


def test_refuses_outside_a_git_checkout(repo):
    shutil.rmtree(repo.root / ".git")
    assert "is not a git checkout" in refusal(repo).reason


def test_refuses_a_stale_build(repo):
    card = repo.root / "DATASET_CARD.md"
    card.write_text(card.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    commit_all(repo.root, "edit the card")
    exc = refusal(repo)
    assert exc.reason == (f"the build in {repo.root / 'dist' / 'polner'} is stale: DATASET_CARD.md or LICENSE-DATA.md changed "
                          "since it was built")
    assert exc.hint == "run `polner build` again"
    build(repo, repo.root / "dist")
    assert plan_publish(repo, repo.root / "dist", REPO_ID, api=FakeHub()).tag == TAG


def test_refuses_a_build_edited_after_it_was_made(repo):
    path = repo.root / "dist" / "polner" / "exports" / "fr" / "test.iob2"
    path.write_text(path.read_text(encoding="utf-8").replace("B-LOC", "B-ORG", 1), encoding="utf-8")
    assert "exports/fr/test.iob2 changed after the build" in refusal(repo).reason


def test_refuses_without_a_build(repo):
    shutil.rmtree(repo.root / "dist")
    exc = refusal(repo)
    assert exc.reason == f"no build in {repo.root / 'dist' / 'polner'}" and "polner build" in exc.hint


def test_refuses_when_the_tag_exists(repo, monkeypatch, capsys):
    hub = FakeHub(tags=["v0.0.9", TAG])
    exc = refusal(repo, hub)
    assert exc.reason == f"tag {TAG} already exists on {REPO_ID}"
    assert "bump __version__" in exc.hint
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    hub = FakeHub(tags=[TAG])
    code, _ = run_cli(repo, hub, monkeypatch, "--push")
    assert code == 2 and f"tag {TAG} already exists" in capsys.readouterr().err
    assert "create_commit" not in hub.names() and "create_tag" not in hub.names()


def test_refuses_a_bad_repo_id(repo):
    assert "is not a Hub repo id" in refusal(repo, repo_id="polner").reason


def test_push_needs_hf_token(repo, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    hub = FakeHub()
    code, tokens = run_cli(repo, hub, monkeypatch, "--push")
    assert code == 2 and "HF_TOKEN is not set" in capsys.readouterr().err
    assert tokens == [] and hub.calls == []


def test_push_fails_cleanly_when_the_hub_is_unreachable(repo, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    code, _ = run_cli(repo, FakeHub(unreachable=True), monkeypatch, "--push")
    err = capsys.readouterr().err
    assert code == 2 and f"cannot reach the Hub to check {REPO_ID}: ConnectionError" in err
    assert "Traceback" not in err


def test_publish_uploads_one_commit_then_tags_it(repo):
    hub = FakeHub(files=[".gitattributes", "README.md", "data/fr/old-name.parquet"])
    plan = plan_publish(repo, repo.root / "dist", REPO_ID, api=hub)
    assert plan.files_to_delete == ("data/fr/old-name.parquet",)
    hub.calls.clear()
    result = publish(plan, hub)
    assert hub.names() == ["create_repo", "list_repo_refs", "list_repo_files", "create_commit", "create_tag"]
    assert_calls_fit_hfapi(hub)
    _, args, kwargs = hub.calls[0]
    assert args == (REPO_ID,) and kwargs == {"repo_type": "dataset", "exist_ok": True}
    _, (repo_id, operations), kwargs = hub.calls[3]
    assert repo_id == REPO_ID and kwargs["repo_type"] == "dataset"
    assert kwargs["commit_message"] == f"polner {TAG}" and plan.git_commit in kwargs["commit_description"]
    adds = [op for op in operations if isinstance(op, CommitOperationAdd)]
    deletes = [op for op in operations if isinstance(op, CommitOperationDelete)]
    manifest = read_manifest(plan.folder)
    assert [op.path_in_repo for op in adds] == [f.path for f in manifest.files]
    for op, record in zip(adds, manifest.files):
        assert op.path_or_fileobj == str(plan.folder / record.path)
        assert op.upload_info.sha256.hex() == record.sha256
    assert [op.path_in_repo for op in deletes] == ["data/fr/old-name.parquet"]
    _, args, kwargs = hub.calls[4]
    assert args == (REPO_ID,)
    assert kwargs == {"tag": TAG, "tag_message": f"polner {__version__}", "revision": "c0ffee" + "0" * 34,
                      "repo_type": "dataset"}
    assert (result.tag, result.commit, result.deleted) == (TAG, "c0ffee" + "0" * 34, ("data/fr/old-name.parquet",))


def test_publish_rechecks_the_tag_before_uploading(repo):
    hub = FakeHub()
    plan = plan_publish(repo, repo.root / "dist", REPO_ID, api=hub)
    hub.tags.append(TAG)  # someone released meanwhile
    with pytest.raises(PublishRefused, match="already exists"):
        publish(plan, hub)
    assert "create_commit" not in hub.names()


def test_push_from_the_command_line(repo, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    hub = FakeHub(exists=False)
    code, tokens = run_cli(repo, hub, monkeypatch, "--push")
    out = capsys.readouterr().out
    assert code == 0 and tokens == ["hf_test"]
    assert hub.names().count("create_commit") == 1 and hub.names()[-1] == "create_tag"
    assert f"tagged {TAG}" in out and "dry run" not in out


def test_card_of_the_build_reads_with_huggingface_hub(pristine):
    folder = pristine / "dist" / "polner"
    card = DatasetCard.load(folder / "README.md")
    data = card.data.to_dict()
    assert data["version"] == __version__
    assert data["license"] == "other" and data["language"] == ["fr"]
    configs = {c["config_name"]: c for c in data["configs"]}
    assert list(configs) == ["fr_sentences", "fr_documents"]
    assert configs["fr_sentences"].get("default") is True and "default" not in configs["fr_documents"]
    listed = {f.path for f in read_manifest(folder).files}
    for config in configs.values():
        assert {d["path"] for d in config["data_files"]} <= listed
    assert f'revision="{TAG}"' in card.text and "fr_documents" in card.text and "exports/" in card.text
    assert "{{" not in card.text


def test_the_folder_to_upload_loads_with_datasets(pristine, tmp_path):
    folder = pristine / "dist" / "polner"
    manifest = read_manifest(folder)
    cache = str(tmp_path / "hf-cache")
    sentences = datasets.load_dataset(str(folder), "fr_sentences", cache_dir=cache)
    documents = datasets.load_dataset(str(folder), "fr_documents", cache_dir=cache)
    default = datasets.load_dataset(str(folder), cache_dir=cache)
    assert default["train"]["id"] == sentences["train"]["id"]
    card_splits = {(c["config_name"], s["name"]): s["num_examples"]
                   for c in DatasetCard.load(folder / "README.md").data.to_dict()["dataset_info"] for s in c["splits"]}
    for split in ("train", "test"):
        stats = manifest.stats_of("fr", split)
        assert sentences[split].num_rows == stats.sentences == card_splits[("fr_sentences", split)]
        assert documents[split].num_rows == stats.documents == card_splits[("fr_documents", split)]
        by_doc: dict[str, list[dict]] = {}
        for row in sentences[split]:
            by_doc.setdefault(row["doc_id"], []).append(row)
        for document in documents[split]:
            rows = by_doc.pop(document["id"])
            text = document["text"]
            assert [text[s:e] for s, e in zip(document["sentence_starts"], document["sentence_ends"])] == \
                [row["text"] for row in rows]
            shifted = [dict(span, start=span["start"] + row["doc_char_offset"], end=span["end"] + row["doc_char_offset"])
                       for row in rows for span in row["spans"]]
            assert document["spans"] == shifted
            assert all(text[s["start"]:s["end"]] == s["text"] for s in document["spans"])
            assert document["language"] == "fr" and document["review_status"] in ("unreviewed", "in-progress", "reviewed")
        assert by_doc == {}
