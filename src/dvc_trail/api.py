"""Python API for serving code: resolve a reference, open or download the artifact it names.

    from dvc_trail import api

    api.resolve("iris-model#prod", repo="https://github.com/org/models.git").version   # 'v1.1.0'
    with api.open("iris-model#prod", repo=URL) as f:                                 # a file artifact
        model = pickle.load(f)
    api.get("iris-data@v1.0.0", repo=URL, out="data/")                               # file or directory

`registry=URL` reads a published registry site (`trail site`) instead of git: an http(s) URL or a folder;
with it, `timeout=SECONDS` bounds each file read from the site (default 60, plus one second per MiB).
`repo` is a path (work tree or bare repository) or a git URL; remote URLs are read without cloning
their history. Data comes from the repository's DVC remote and every hash is checked.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from dvc_trail.errors import UsageError
from dvc_trail.sharing import fetch
from dvc_trail.sharing.fetch import Resolved

__all__ = ["Resolved", "get", "open", "resolve"]


def _site(repo: object, registry: str | None, timeout: float | None = None) -> Any:
    """The registry-site client when `registry` is given (a published `trail site`: URL or folder), else None."""
    if registry is None:
        if timeout is not None:
            raise UsageError("timeout bounds the reads from a registry site: give it with registry")
        return None
    if repo is not None:
        raise UsageError("give either repo or registry, not both")
    from dvc_trail.site import client

    return client


def resolve(
    ref: str, repo: str | os.PathLike | None = None, registry: str | None = None, timeout: float | None = None
) -> Resolved:
    """The version `NAME`, `NAME@vX.Y.Z` or `NAME#STAGE` points at now, with its commit, path and hash."""
    if site := _site(repo, registry, timeout):
        return site.resolve(ref, registry, timeout)
    return fetch.resolve(ref, repo)


def open(  # shadows the builtin on purpose, as dvc.api.open does
    ref: str,
    repo: str | os.PathLike | None = None,
    mode: str = "rb",
    remote: str | None = None,
    registry: str | None = None,
    timeout: float | None = None,
) -> AbstractContextManager[IO[Any]]:
    """A context manager giving a file artifact opened for reading (`rb` or `r`)."""
    if site := _site(repo, registry, timeout):
        return site.open_file(ref, registry, mode=mode, timeout=timeout)
    return fetch.open_file(ref, repo, mode=mode, remote=remote)


def get(
    ref: str,
    repo: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    remote: str | None = None,
    registry: str | None = None,
    timeout: float | None = None,
) -> Path:
    """Download the artifact to `out` (default: its file or folder name, in the current directory); returns the path."""
    if site := _site(repo, registry, timeout):
        return site.get(ref, registry, out, force=force, timeout=timeout).out
    return fetch.get(ref, repo, out, force=force, remote=remote).out
