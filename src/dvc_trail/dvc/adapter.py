"""The DVC adapter, imported lazily: repro, single-object fetches, and remotes opened under trail's trust rules.

With `remote.py` (one remote's object store) the only modules that import DVC; the storage backends'
exceptions become a TrailError in one place, `remote.remote_io`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dvc_trail.dvc import remotetrust
from dvc_trail.dvc.remote import MissingManifest, RemoteStore, UploadReport, describe_error, hash_file, remote_io
from dvc_trail.errors import TrailError
from dvc_trail.store import objects, worktree
from dvc_trail.store.objects import MANIFEST_LIMIT, DataObject, DataRef, check_oid

__all__ = [
    "DataObject",
    "DataRef",
    "MissingManifest",
    "RemoteStore",
    "UploadReport",
    "open_remote",
    "open_remote_from_config",
]


@contextlib.contextmanager
def _repo(root: Path) -> Iterator:
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    worktree.check_dvc_config(root)  # DVC would follow a link out of the repository, or read /dev/zero
    try:
        with contextlib.chdir(root), _venv_on_path(), Repo(str(root)) as repo:
            yield repo
    except DvcException as err:
        raise TrailError(f"dvc: {err}") from None


@contextlib.contextmanager
def _venv_on_path() -> Iterator[None]:
    """Stage commands (`python src/...`) must find this interpreter, venv activated or not.

    DVC's Python API also expects to run from the repository root, hence the chdir above.
    """
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old])
    try:
        yield
    finally:
        os.environ["PATH"] = old


def repro(root: Path) -> list[str]:
    """Run the pipeline (`dvc repro`); returns the names of the stages that ran."""
    with _repo(root) as repo:
        return [stage.addressing for stage in repo.reproduce()]


def fetch_objects(root: Path, md5s: list[str], remote: str | None = None) -> list[str]:
    """Download single objects (files or `.dir` manifests, by md5) from the DVC remote into the local cache.

    Each is hash-checked before it is moved into place; returns the ones the remote does not have.
    """
    for md5 in md5s:
        check_oid(md5, "a metrics file's hash")
    missing = []
    with open_remote(root, remote) as store:
        odb, cache = store.odb("md5"), store.cache_odb("md5")
        with remote_io(store.label, "download"):
            for md5 in md5s:
                dest = Path(cache.oid_to_path(md5))
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp, src = objects.fresh_file(dest.parent, f".{dest.name}."), odb.oid_to_path(md5)
                try:
                    if (odb.fs.size(src) or 0) > MANIFEST_LIMIT:
                        raise TrailError(f"object {md5} on DVC remote {store.label} is too large for a metrics file")
                    odb.fs.get_file(src, str(tmp))
                    if hash_file(tmp, "md5") != md5.removesuffix(".dir"):
                        raise TrailError(f"corrupt download of object {md5} from DVC remote {store.label}")
                    os.replace(tmp, dest)
                except FileNotFoundError:
                    missing.append(md5)
                finally:
                    tmp.unlink(missing_ok=True)
    return missing


@contextlib.contextmanager
def open_remote(root: Path, remote: str | None = None) -> Iterator[RemoteStore]:
    """The DVC remote of the user's work tree, with its cache; its `.dvc/config` is as untrusted as a clone's.

    A pull can bring a `.dvc/config` that points the user's remote elsewhere: the remote is configured as in
    `open_remote_from_config`, `config.local` counting as the user's only when git does not track it.
    """
    from dvc_trail.git.repository import Git

    local = root / ".dvc" / "config.local"
    users = not local.exists() or not Git(root).tracked([".dvc/config.local"])
    with _repo(root) as repo:
        yield RemoteStore(_untrusted_config(Path(repo.dvc_dir), users, remote), remote, cache=repo.cache)


def open_remote_from_config(dvc_dir: Path, remote: str | None = None, local_is_users: bool = False) -> RemoteStore:
    """A DVC remote from a repository's `.dvc/config` that trail does not trust, without a cache."""
    return RemoteStore(_untrusted_config(dvc_dir, local_is_users, remote), remote)


def _untrusted_config(dvc_dir: Path, local_is_users: bool, remote: str | None) -> Any:
    """DVC's config for a repository trail does not trust: the one place every remote's config is built.

    The user's system and global config (and, for a work tree of theirs, `config.local`) complete it as
    `remotetrust.remotes_for_untrusted` decides; a remote it refuses is refused here, before any request.
    """
    from dvc.config import Config
    from dvc.exceptions import DvcException

    try:
        config = Config(dvc_dir=str(dvc_dir), validate=False)
        levels = {level: config.load_one(level) for level in Config.LEVELS if level in config.files}
        if not local_is_users:
            levels.pop("local", None)
        merged: dict[str, Any] = {}
        for conf in levels.values():  # in DVC's order: system, global, repo, local
            for section, values in conf.items():
                if section != "remote" and isinstance(values, dict):
                    merged.setdefault(section, {}).update(values)
        user = [levels.get(level, {}).get("remote", {}) for level in ("system", "global")]
        repo = levels.get("repo", {}).get("remote", {})
        trust = remotetrust.remotes_for_untrusted(user, repo, levels.get("local", {}).get("remote", {}))
        if (name := remote or merged.get("core", {}).get("remote")) in trust.refused:
            raise TrailError(trust.refused[name])
        merged["remote"] = trust.remotes
        return Config.validate(merged)
    except DvcException as err:
        raise TrailError(f"dvc config: {describe_error(err)}") from None


def dvc_version() -> str:
    """The installed DVC's version."""
    from dvc import __version__

    return __version__
