"""The only module that imports DVC, lazily: data operations (repro, push) on a workspace."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from dvc_trail.errors import TrailError


@contextlib.contextmanager
def _repo(root: Path) -> Iterator:
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

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


def push(root: Path, remote: str | None = None) -> int:
    """Upload cached outputs to the DVC remote (`dvc push`); returns how many objects were sent."""
    with _repo(root) as repo:
        return int(repo.push(remote=remote))


def read_cached(root: Path, md5: str) -> bytes | None:
    """A file's bytes from the DVC cache by hash, fetched from the default remote if missing."""
    with _repo(root) as repo:
        path = repo.cache.local.oid_to_path(md5)
        if not os.path.exists(path):
            from dvc_data.hashfile.hash_info import HashInfo

            try:
                repo.cloud.pull([HashInfo("md5", md5)])
            except Exception as err:  # noqa: BLE001 - any remote failure means "not available"
                raise TrailError(f"cannot fetch {md5} from the DVC remote: {err}") from None
        if not os.path.exists(path):
            return None
        with open(path, "rb") as handle:
            return handle.read()
