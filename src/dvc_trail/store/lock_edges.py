"""The dvc.lock cache under `.git/trail/`: parsed deps and outs by commit (commits never change)."""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvc_trail.dvcfiles import documents, locks
from dvc_trail.dvcfiles.locks import StageLock
from dvc_trail.errors import TrailError
from dvc_trail.shorthand import at

if TYPE_CHECKING:
    from dvc_trail.git.reader import GitReader

CACHE_FORMAT = 2  # 2: paths of stages with a `wdir` are relative to it


def _cached_pair(path: Any, md5: Any) -> tuple[str, str | None]:
    if not isinstance(path, str) or not (md5 is None or isinstance(md5, str)):
        raise TypeError("malformed cache entry")
    return path, md5


class LockCache:
    """Parsed dvc.lock edges by `commit:lockfile`, kept under `.git/trail/` (commits never change).

    A missing, unreadable or foreign cache file is simply rebuilt; writes are atomic.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / "trail" / "locks-v1.json"  # one file; its `format` field says what entries mean
        self.entries: dict[str, Any] = {}
        self.dirty = False
        try:
            data = json.loads(self.path.read_text())
            if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except (OSError, ValueError, RecursionError):
            pass

    def get(self, key: str) -> dict[str, StageLock] | None | bool:
        """Stages for a key, None for a commit without that lock file, False when not cached."""
        if key not in self.entries:
            return False
        raw = self.entries[key]
        if raw is None:
            return None
        try:
            lockfile = key.split(":", 1)[1]
            return {
                name: StageLock(
                    name,
                    lockfile,
                    tuple(locks.FileHash(*_cached_pair(p, m)) for p, m in body["deps"]),
                    tuple(locks.FileHash(*_cached_pair(p, m)) for p, m in body["outs"]),
                )
                for name, body in raw.items()
            }
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):  # a malformed entry: rebuild it
            del self.entries[key]
            return False

    def put(self, key: str, stages: dict[str, StageLock] | None) -> None:
        """Remember the stages of a key (None: the commit has no such lock file); saved by `save`."""
        self.dirty = True
        self.entries[key] = (
            None
            if stages is None
            else {
                name: {"deps": [[d.path, d.md5] for d in s.deps], "outs": [[o.path, o.md5] for o in s.outs]}
                for name, s in stages.items()
            }
        )

    def save(self) -> None:
        """Write the cache atomically if it changed; a read-only repository just goes without."""
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".locks-")
            with os.fdopen(fd, "w") as handle:  # dumps, not dump: only dumps uses the C encoder
                handle.write(json.dumps({"format": CACHE_FORMAT, "entries": self.entries}, separators=(",", ":")))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only repository still answers, just without the cache


def lock_edges(
    git: GitReader, keys: list[tuple[str, str]]
) -> tuple[dict[tuple[str, str], dict[str, StageLock] | None], list[str]]:
    """Deps/outs of dvc.lock at many commits: cache first, the rest in one batched git read (each text parsed once).

    Returns the stages per (commit, lockfile) and warnings for malformed files.
    """
    cache = LockCache(git.git_dir())
    result: dict[tuple[str, str], dict[str, StageLock] | None] = {}
    missing = []
    for commit, lockfile in dict.fromkeys(keys):
        cached = cache.get(f"{commit}:{lockfile}")
        if cached is False:
            missing.append((commit, lockfile))
        else:
            result[(commit, lockfile)] = cached  # type: ignore[assignment]
    warnings = []
    beside = {lf: posixpath.join(posixpath.dirname(lf), "dvc.yaml") for _, lf in missing}
    blobs = git.read_objects([f"{c}:{x}" for c, lf in missing for x in (lf, beside[lf])])
    parsed: dict[tuple[str, str, str | None], dict[str, StageLock]] = {}  # most commits share their lock's text
    for commit, lockfile in missing:
        lock, dvcyaml = blobs[f"{commit}:{lockfile}"], blobs[f"{commit}:{beside[lockfile]}"]
        if lock is None or lock[1] != "blob":
            result[(commit, lockfile)] = None
            cache.put(f"{commit}:{lockfile}", None)
            continue
        texts = (lockfile, lock[0], dvcyaml[0] if dvcyaml else None)
        try:
            if texts not in parsed:
                wdirs = _wdirs(dvcyaml[2] if dvcyaml and dvcyaml[1] == "blob" else None, beside[lockfile], commit)
                parsed[texts] = locks.fast_edges(
                    lock[2].decode(errors="replace"), lockfile, at(lockfile, commit), wdirs
                )
        except TrailError as err:
            warnings.append(str(err))
            result[(commit, lockfile)] = None
            continue
        result[(commit, lockfile)] = parsed[texts]
        cache.put(f"{commit}:{lockfile}", parsed[texts])
    cache.save()
    return result, warnings


def _wdirs(raw: bytes | None, dvcyaml: str, commit: str) -> dict[str, str]:
    """Stage `wdir`s of a dvc.yaml; parsed only when it has one (most have none)."""
    if raw is None or b"wdir" not in raw:
        return {}
    return documents.stage_wdirs(documents.load_blob(raw, dvcyaml, commit), dvcyaml, at(dvcyaml, commit))
