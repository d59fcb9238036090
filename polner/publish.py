"""The publish stage: upload a built dataset folder to the Hugging Face Hub and tag it.

`plan_publish` checks everything that can be checked before touching the Hub, and refuses
(PublishRefused, with a message and a hint) when the data does not validate, the git working
tree is dirty, the build is missing or stale, or the release tag already exists on the Hub.
`publish` then makes ONE commit with exactly the planned files (files of an earlier release
that the build no longer has are deleted in the same commit) and tags that commit `v<version>`.

The Hub client is injected (an `HfApi` or any object with the same methods), so everything up
to the network call is testable offline. The commit is made with `create_commit` rather than
`upload_folder`: in huggingface_hub ≥ 1.x `upload_folder` may split a large folder into several
commits, and a release must be one commit that the tag points at.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polner import DATASET_NAME, __version__
from polner.issues import Issue, Level, PolnerError
from polner.layout import Layout
from polner.manifest import FileRecord, check_files, input_digests, read_manifest

REPO_TYPE = "dataset"
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")


class PublishRefused(PolnerError):
    """Publishing is refused; `issues` holds validation problems when that is the reason."""

    def __init__(self, message: str, hint: str, issues: list[Issue] | None = None):
        self.reason = message
        self.hint = hint
        self.issues = issues or []
        super().__init__(f"publish refused: {message} (hint: {hint})")


@dataclass(frozen=True)
class PublishPlan:
    """What `publish` would upload and tag."""

    repo_id: str
    folder: Path
    version: str
    tag: str
    files: tuple[FileRecord, ...]
    git_commit: str
    commit_message: str
    commit_description: str
    default_config: str
    tag_status: str  # what the Hub said about the tag, or why it was not asked
    remote_files: tuple[str, ...] | None = None  # files on the Hub now, when it was reachable
    notes: tuple[str, ...] = field(default=())

    @property
    def total_bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def files_to_delete(self) -> tuple[str, ...]:
        """Files on the Hub that this release does not have (deleted in the release commit)."""
        keep = {f.path for f in self.files} | {".gitattributes"}
        return tuple(sorted(path for path in self.remote_files or () if path not in keep))

    def format(self) -> str:
        """The plan as printed by `polner publish`: every file, the commit and the tag."""
        lines = [
            f"publish {DATASET_NAME} {self.version} to https://huggingface.co/datasets/{self.repo_id}",
            f"  from: {self.folder} (built from git commit {self.git_commit}, clean working tree)",
            f"  one commit: {self.commit_message!r}",
            f"  upload {len(self.files)} file(s), {self.total_bytes} bytes:",
        ]
        width = max(len(f.path) for f in self.files)
        lines += [f"    {f.path:<{width}}  {f.bytes:>9} bytes  sha256 {f.sha256}" for f in self.files]
        if self.remote_files is None:
            lines.append("  delete: files on the Hub that this build does not have (Hub not asked)")
        else:
            lines.append(f"  delete: {', '.join(self.files_to_delete) or 'nothing'}")
        lines.append(f"  then tag: {self.tag} ({self.tag_status})")
        lines.append(f'  load it with: load_dataset("{self.repo_id}", "{self.default_config}", '
                     f'revision="{self.tag}")')
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class PublishResult:
    commit: str
    commit_url: str
    tag: str
    deleted: tuple[str, ...]


def git_state(root: Path) -> tuple[str, list[str]]:
    """(HEAD commit, `git status --porcelain` lines) of the repository holding `root`."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise PublishRefused("git is not installed", "a release is made from a git checkout") from None
        if done.returncode != 0:
            raise PublishRefused(f"{root} is not a git checkout with a commit ({done.stderr.strip()})",
                                 "a release is made from committed data: commit it first")
        return done.stdout

    commit = git("rev-parse", "HEAD").strip()
    return commit, [line for line in git("status", "--porcelain", "--untracked-files=all").splitlines() if line]


def remote_tags(api: Any, repo_id: str) -> set[str] | None:
    """The tags of the Hub repo; an empty set when it does not exist yet."""
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        refs = api.list_repo_refs(repo_id, repo_type=REPO_TYPE)
    except RepositoryNotFoundError:
        return set()
    return {ref.name for ref in refs.tags}


def remote_files(api: Any, repo_id: str) -> tuple[str, ...]:
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        return tuple(api.list_repo_files(repo_id, repo_type=REPO_TYPE))
    except RepositoryNotFoundError:
        return ()


def plan_publish(layout: Layout, output_root: Path, repo_id: str, *, api: Any | None = None,
                 require_hub: bool = False) -> PublishPlan:
    """Check that the build in output_root/polner can be released as it is, and say how.

    `api` is asked whether the tag exists; with `require_hub` (a real upload) a Hub that cannot
    be reached is an error, otherwise (a dry run) it is noted in the plan.
    """
    from polner.validate import validate_corpus

    if not _REPO_ID.match(repo_id):
        raise PublishRefused(f"{repo_id!r} is not a Hub repo id", "write it as NAMESPACE/NAME, e.g. my-org/polner")
    report = validate_corpus(layout)
    if not report.ok:
        raise PublishRefused(f"validation failed with {len(report.errors)} error(s)",
                             "fix them (`polner validate`), commit, then `polner build`",
                             [i for i in report.issues if i.level is Level.ERROR])
    commit, dirty = git_state(layout.root)
    if dirty:
        shown = ", ".join(line[3:] for line in dirty[:5]) + (", …" if len(dirty) > 5 else "")
        raise PublishRefused(f"the git working tree has {len(dirty)} uncommitted change(s): {shown}",
                             "commit or stash them, then `polner build`, so the release matches a commit")
    folder = output_root / DATASET_NAME
    if not folder.is_dir():
        raise PublishRefused(f"no build in {folder}", "run `polner build` first")
    manifest = read_manifest(folder)
    changes = input_digests(layout).changes_since(manifest.inputs)
    if changes:
        raise PublishRefused(f"the build in {folder} is stale: {'; '.join(changes)} since it was built",
                             "run `polner build` again")
    problems = check_files(folder, manifest)
    if problems:
        raise PublishRefused(f"the build in {folder} does not match its manifest: {'; '.join(problems[:5])}",
                             "run `polner build` again; never edit the built folder by hand")
    tag = f"v{manifest.version}"
    tag_status, remote, notes = "not checked: no Hub client", None, []
    if api is not None:
        try:
            tags = remote_tags(api, repo_id)
            remote = remote_files(api, repo_id)
        except Exception as exc:  # network errors come in many types (httpx, OSError, HfHubHTTPError)
            if require_hub:
                raise PolnerError(f"cannot reach the Hub to check {repo_id}: {type(exc).__name__}: {exc}") from None
            tag_status = f"not checked: the Hub is unreachable ({type(exc).__name__})"
            notes.append("the tag is checked again before anything is uploaded")
        else:
            if tag in tags:
                raise PublishRefused(f"tag {tag} already exists on {repo_id}",
                                     "a release is never replaced: bump __version__ in polner/__init__.py "
                                     "(see docs/releasing.md), commit, build and publish again")
            tag_status = "new: it does not exist on the Hub yet"
    default_config = next((c for c in _config_names(folder) if c.endswith("_sentences")), "default")
    return PublishPlan(
        repo_id=repo_id, folder=folder, version=manifest.version, tag=tag, files=manifest.files,
        git_commit=commit, commit_message=f"{DATASET_NAME} {tag}",
        commit_description=(f"Release {tag} of {DATASET_NAME}, built by polner {__version__} from git commit "
                            f"{commit}. manifest.json lists every file with its sha256."),
        default_config=default_config, tag_status=tag_status, remote_files=remote, notes=tuple(notes),
    )


def _config_names(folder: Path) -> list[str]:
    from huggingface_hub import DatasetCard

    configs = DatasetCard.load(folder / "README.md").data.to_dict().get("configs") or []
    default = [c["config_name"] for c in configs if c.get("default")]
    return default + [c["config_name"] for c in configs if not c.get("default")]


def publish(plan: PublishPlan, api: Any) -> PublishResult:
    """Upload the planned files in one commit, then tag that commit. `api` is an HfApi."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    problems = check_files(plan.folder, read_manifest(plan.folder))
    if problems:
        raise PublishRefused(f"the build changed since it was planned: {'; '.join(problems[:5])}",
                             "run `polner build` and publish again")
    api.create_repo(plan.repo_id, repo_type=REPO_TYPE, exist_ok=True)
    if plan.tag in (remote_tags(api, plan.repo_id) or set()):
        raise PublishRefused(f"tag {plan.tag} already exists on {plan.repo_id}",
                             "bump __version__ in polner/__init__.py and build again")
    keep = {f.path for f in plan.files} | {".gitattributes"}
    deleted = tuple(sorted(p for p in remote_files(api, plan.repo_id) if p not in keep))
    operations = [CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(plan.folder / f.path))
                  for f in plan.files]
    operations += [CommitOperationDelete(path_in_repo=path) for path in deleted]
    info = api.create_commit(plan.repo_id, operations, commit_message=plan.commit_message,
                             commit_description=plan.commit_description, repo_type=REPO_TYPE)
    api.create_tag(plan.repo_id, tag=plan.tag, revision=info.oid, repo_type=REPO_TYPE,
                   tag_message=f"{DATASET_NAME} {plan.version}")
    return PublishResult(info.oid, info.commit_url, plan.tag, deleted)


def make_api(token: str | None) -> Any:
    """A Hub client; with no token it never sends one (a dry run only reads public refs)."""
    from huggingface_hub import HfApi

    return HfApi(token=token if token else False)
