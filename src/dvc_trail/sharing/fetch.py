"""Fetching a version from a repository given by path or URL: resolve a reference, get its data, open a file.

Everything read from that repository (tags, dvc.yaml, dvc.lock, .dvc/config, manifests) and its DVC remote
is untrusted: URLs are limited to safe transports, hashes and paths are checked before use, sizes bound
reads, and data lands in a staging folder renamed into place only once every hash matched.
`dvc_trail.api` imports only this module; `resolve` never imports DVC.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from dvc_trail.errors import NotFound, TrailError, UsageError
from dvc_trail.git.repository import Git
from dvc_trail.project import Project
from dvc_trail.registry.references import parse_ref
from dvc_trail.registry.tags import tag_globs
from dvc_trail.shorthand import at
from dvc_trail.store import worktree
from dvc_trail.store.data_address import VersionData, version_data
from dvc_trail.store.objects import check_artifact_path, has_git_part

if TYPE_CHECKING:
    from dvc_trail.dvc.adapter import RemoteStore
    from dvc_trail.render.progress import TransferProgress
    from dvc_trail.store.objects import DataRef

ALLOWED_SCHEMES = ("https", "http", "ssh", "git", "file")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_LIKE = re.compile(r"^(?:[^@/:\s]+@)?[A-Za-z0-9.-]+:(?!:)[^\s]*$")  # user@host:path, git's ssh shorthand


@dataclass(frozen=True)
class Resolved:
    """Where a reference points: the version, its commit and the data address that commit records."""

    name: str
    version: str
    commit: str
    stages: list[str]
    path: str
    md5: str
    hash_name: str
    repo: str

    def to_dict(self) -> dict:
        """The result as plain JSON data."""
        return asdict(self)


@dataclass(frozen=True)
class SourceRepo:
    """The repository a reference is read from: a work tree, a bare repository, or a blob-less copy of a URL."""

    project: Project
    kind: str  # "worktree", "bare" or "copy"
    location: str


def check_repo_url(url: str) -> str:
    """The URL itself when git may fetch it (https, http, ssh, git, file, or `host:path`); else a UsageError."""
    scheme = _SCHEME.match(url)
    if url.startswith("-") or "::" in url.split("/", 1)[0] or any(c in url for c in "\0\n\r"):
        raise UsageError(f"refusing repository URL {url!r}: only {', '.join(ALLOWED_SCHEMES)} URLs are allowed")
    if scheme is None and _SCP_LIKE.match(url) and not re.match(r"^[A-Za-z]:[\\/]", url):
        return url
    if scheme is None and ":" not in url:
        raise NotFound(f"no such repository: {url}")
    if scheme is None or scheme[1].lower() not in ALLOWED_SCHEMES:
        raise UsageError(f"refusing repository URL {url!r}: only {', '.join(ALLOWED_SCHEMES)} URLs are allowed")
    return url


def looks_like_url(location: str) -> bool:
    """Whether `--repo LOCATION` names a remote repository: no such local path, and a URL or `host:path` form."""
    if os.path.exists(location):
        return False
    return bool(_SCHEME.match(location) or "::" in location.split("/", 1)[0] or _SCP_LIKE.match(location))


HEAD_REF = "refs/trail/head"  # the remote's default branch in a registry copy (where its `.gto` is read)


@contextlib.contextmanager
def open_registry(url: str, details: bool = True, history: bool = False) -> Iterator[Project]:
    """The whole registry of a repository URL, read from a blob-less copy in a temp folder removed afterwards.

    The same checks as `get --repo URL`: safe transports only (also for the blobs read later); `history`:
    the commits behind the tags too (lineage's "last changed in"), else only the tagged commits.
    """
    check_repo_url(url)
    with tempfile.TemporaryDirectory(prefix="trail-registry-") as tmp:
        copy = Git.fetch_registry_copy(
            url, Path(tmp) / "registry.git", ["refs/tags/*"], ALLOWED_SCHEMES, history=history, head=HEAD_REF
        )
        yield Project(copy, details, config_rev=HEAD_REF)


@contextlib.contextmanager
def open_source(repo: str | os.PathLike | None, name: str) -> Iterator[SourceRepo]:
    """A repository by path (work tree or bare) or URL (fetched blob-less, depth 1, one artifact's tags)."""
    location = os.fspath(repo) if repo is not None else "."
    kind = Git.repo_kind(Path(location)) if os.path.exists(location) else None
    if kind == "worktree":
        yield SourceRepo(Project.open(location), kind, location)
        return
    if kind == "bare":
        yield SourceRepo(Project(Git(Path(location).resolve())), kind, location)
        return
    if os.path.exists(location):
        raise TrailError(f"not a git repository: {location}")
    check_repo_url(location)
    with tempfile.TemporaryDirectory(prefix="trail-registry-") as tmp:
        copy = Git.fetch_registry_copy(location, Path(tmp) / "registry.git", tag_globs(name), ALLOWED_SCHEMES)
        project = Project(copy)
        if name not in project.state.artifacts:
            raise NotFound(f"artifact {name!r} has no registry tags in {location}")
        yield SourceRepo(project, "copy", location)


def _resolve_in(source: SourceRepo, ref: str) -> tuple[Resolved, VersionData]:
    artifact, version = source.project.lookup(ref)
    target = version_data(source.project, artifact, version)
    check_artifact_path(target.data.path, at("dvc.yaml", version.commit))
    resolved = Resolved(
        artifact.name,
        version.version,
        version.commit,
        artifact.stages_of(version),
        target.data.path,
        target.data.md5,
        target.data.hash_name,
        source.location,
    )
    return resolved, target


def resolve(ref: str, repo: str | os.PathLike | None = None) -> Resolved:
    """What `NAME`, `NAME@vX.Y.Z` or `NAME#STAGE` points at in a repository (never imports DVC)."""
    with open_source(repo, parse_ref(ref).name) as source:
        return _resolve_in(source, ref)[0]


def _remote_for(source: SourceRepo, commit: str, scratch: Path, remote: str | None) -> RemoteStore:
    """A work tree's own DVC config (config.local included, as DVC does); else the commit's `.dvc/config`.

    A `config.local` that git tracks came with the repository (a clone checks it out): it is not the user's.
    """
    from dvc_trail.dvc import adapter

    if source.kind == "worktree":
        git = source.project.git
        worktree.check_dvc_config(git.root)  # DVC reads them itself: never a link out of the repository
        users = not git.tracked([".dvc/config.local"]) if (git.root / ".dvc" / "config.local").exists() else True
        return adapter.open_remote_from_config(git.root / ".dvc", remote, local_is_users=users)
    blob = source.project.git.read_blobs([f"{commit}:.dvc/config"])[f"{commit}:.dvc/config"]
    if blob is None:
        raise TrailError(f"{source.location} has no .dvc/config at {commit[:7]}: not a DVC project")
    if len(blob) > 1 << 20:
        raise TrailError(f".dvc/config at {commit[:7]} in {source.location} is larger than 1 MiB: refused")
    (scratch / ".dvc").mkdir()
    (scratch / ".dvc" / "config").write_bytes(blob)
    store = adapter.open_remote_from_config(scratch / ".dvc", remote)
    if store.url.startswith(str(scratch)):
        raise TrailError(
            f"the DVC remote {store.name!r} of {source.location} is a folder relative to a work tree; "
            "get from a clone's path (--repo PATH) or give the project a shared remote (S3 ...)"
        )
    return store


@dataclass(frozen=True)
class GetResult:
    """A finished download: what was resolved, where it was written, how many files."""

    resolved: Resolved
    out: Path
    files: int


def get(
    ref: str,
    repo: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    remote: str | None = None,
    progress: TransferProgress | None = None,
) -> GetResult:
    """Download a version's data from its repository's DVC remote into `out`, every hash checked; the result."""
    with open_source(repo, parse_ref(ref).name) as source, tempfile.TemporaryDirectory() as scratch:
        resolved, target = _resolve_in(source, ref)
        _check_destination(_destination(resolved.path, out), force)
        store = _remote_for(source, resolved.commit, Path(scratch), remote)
        return download(resolved, target.data, store, out, force, progress)


def download(
    resolved: Resolved,
    data: DataRef,
    store: RemoteStore,
    out: str | os.PathLike | None,
    force: bool = False,
    progress: TransferProgress | None = None,
) -> GetResult:
    """Download `data` from `store` into `out` through a staging folder, every hash checked; the result."""
    dest = _destination(resolved.path, out)
    _check_destination(dest, force)
    anchor = _existing_ancestor(dest.parent)
    staging = Path(tempfile.mkdtemp(prefix=".trail-get-", dir=anchor))
    try:
        staged = staging / dest.name
        files = store.download(data, staged, progress)
        dest.parent.mkdir(parents=True, exist_ok=True)  # only now: a failure leaves no folder behind
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        elif dest.exists() or dest.is_symlink():
            dest.unlink()
        os.replace(staged, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return GetResult(resolved, dest, files)


def _destination(path: str, out: str | os.PathLike | None) -> Path:
    """`-o PATH` as `dvc artifacts get` reads it: an existing folder receives the artifact under its own name."""
    base = PurePosixPath(path).name
    if out is None:
        return Path(base)
    target = Path(out)
    return target / base if target.is_dir() else target


def _check_destination(dest: Path, force: bool) -> None:
    """Refuse a destination inside a `.git` folder, an existing one without --force, and any git repository."""
    if has_git_part(os.path.abspath(dest)):
        raise TrailError(f"refusing to write {dest}: a path with a .git component")
    if Path.cwd().resolve().is_relative_to(dest.resolve()):
        raise TrailError(f"refusing to write {dest}: it is the current folder or holds it")
    if not (dest.exists() or dest.is_symlink()):
        return
    if not force:
        raise TrailError(f"{dest} already exists (use --force to replace it)")
    if dest.is_dir() and not dest.is_symlink() and _holds_git_repo(dest):
        raise TrailError(f"refusing to replace {dest}: it is or contains a git repository")


def _holds_git_repo(folder: Path) -> bool:
    """Whether a folder is, or contains, a git repository (a `.git` entry at any depth, any case)."""
    if (folder / "HEAD").is_file() and (folder / "objects").is_dir() and (folder / "refs").is_dir():
        return True  # a bare repository
    for _, dirs, files in os.walk(folder):
        if any(n.lower() == ".git" for n in (*dirs, *files)):
            return True
    return False


def _existing_ancestor(folder: Path) -> Path:
    """The nearest folder of `folder`'s ancestry that exists (the staging folder goes there)."""
    folder = Path(os.path.abspath(folder))
    while not folder.is_dir():
        if folder.exists() or folder.parent == folder:
            raise TrailError(f"cannot write under {folder}: not a folder")
        folder = folder.parent
    return folder


@contextlib.contextmanager
def open_file(
    ref: str, repo: str | os.PathLike | None = None, mode: str = "rb", remote: str | None = None
) -> Iterator[IO[Any]]:
    """A file artifact opened for reading, downloaded (hash checked) into a temporary folder removed afterwards."""
    with open_download(ref, mode, lambda dest: get(ref, repo, dest, remote=remote)) as fobj:
        yield fobj


@contextlib.contextmanager
def open_download(ref: str, mode: str, download: Callable[[Path], GetResult]) -> Iterator[IO[Any]]:
    """The file `download(dest)` writes (from a repository or a registry site), opened; its folder removed after."""
    if mode not in ("r", "rb", "rt"):
        raise UsageError(f"mode must be 'r' or 'rb', not {mode!r}")
    with tempfile.TemporaryDirectory(prefix="trail-open-") as tmp:
        result = download(Path(tmp) / "artifact")
        if result.out.is_dir():
            raise TrailError(f"{ref} is a directory ({result.resolved.path}): use get() instead of open()")
        with open(result.out, mode) as fobj:
            yield fobj
