"""dvc.lock files read in batches: the parsed-edges cache under `.git/trail/`, every pipeline of a commit."""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from pathlib import Path
from typing import Any

from dvc_trail import dvcfiles, gitobjects, lineage, pipelines
from dvc_trail.errors import TrailError
from dvc_trail.lineage import StageLock
from dvc_trail.project import Project

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
        self.path = folder / "trail" / "locks-v1.json"  # same file; its `format` field says what entries mean
        self.entries: dict[str, Any] = {}
        self.dirty = False
        try:
            data = json.loads(self.path.read_text())
            if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except (OSError, ValueError):
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
                    tuple(lineage.FileHash(*_cached_pair(p, m)) for p, m in body["deps"]),
                    tuple(lineage.FileHash(*_cached_pair(p, m)) for p, m in body["outs"]),
                )
                for name, body in raw.items()
            }
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):  # a malformed entry: rebuild it
            del self.entries[key]
            return False

    def put(self, key: str, stages: dict[str, StageLock] | None) -> None:
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
    project: Project, keys: list[tuple[str, str]]
) -> tuple[dict[tuple[str, str], dict[str, StageLock] | None], list[str]]:
    """Deps/outs of dvc.lock at many commits: cache first, the rest in one `git cat-file --batch`.

    Returns the stages per (commit, lockfile) and warnings for malformed files.
    """
    cache = LockCache(project.git.git_dir())
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
    blobs = project.git.read_blobs([f"{c}:{x}" for c, lf in missing for x in (lf, beside[lf])])
    for commit, lockfile in missing:
        raw = blobs[f"{commit}:{lockfile}"]
        try:
            where = f"{lockfile} at {commit[:7]}"
            wdirs = _wdirs(blobs[f"{commit}:{beside[lockfile]}"], beside[lockfile], commit)
            stages = None if raw is None else lineage.fast_edges(raw.decode(errors="replace"), lockfile, where, wdirs)
        except TrailError as err:
            warnings.append(str(err))
            result[(commit, lockfile)] = None
            continue
        result[(commit, lockfile)] = stages
        cache.put(f"{commit}:{lockfile}", stages)
    cache.save()
    return result, warnings


def _wdirs(raw: bytes | None, dvcyaml: str, commit: str) -> dict[str, str]:
    """Stage `wdir`s of a dvc.yaml; parsed only when it has one (most have none)."""
    if raw is None or b"wdir" not in raw:
        return {}
    where = f"{dvcyaml} at {commit[:7]}"
    return dvcfiles.stage_wdirs(dvcfiles.load_yaml(raw, where), dvcyaml, where)


def lockfile_for(name: str) -> str:
    return dvcfiles.lock_beside(dvcfiles.dvcfile_for(name))


def lockfiles(project: Project, commit: str, names: list[str]) -> list[str]:
    """Every dvc.lock in a commit's tree, and those beside the dvc.yaml of each named artifact."""
    found = gitobjects.find_files(project.git, [commit], lambda n: n == "dvc.lock")[commit]
    return sorted({*found, *(lockfile_for(n) for n in names)})


def commit_stages(
    project: Project, commits: list[str], locks: list[str]
) -> tuple[dict[str, dict[str, StageLock]], list[str]]:
    """Each commit's stages from all the given dvc.lock files, in one graph (see `pipelines.merge`)."""
    edges, warnings = lock_edges(project, [(c, lf) for c in dict.fromkeys(commits) for lf in locks])
    return {c: pipelines.merge({lf: edges.get((c, lf)) for lf in locks}) for c in dict.fromkeys(commits)}, warnings


def dvcfile_hashes(project: Project, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(commit, path) -> the hash PATH.dvc records at that commit (`dvc add`, `dvc import`), where there is one."""
    blobs = project.git.read_blobs([f"{c}:{p}.dvc" for c, p in wanted])
    found = {}
    for commit, path in wanted:
        raw = blobs.get(f"{commit}:{path}.dvc")
        if raw is not None:
            out = dvcfiles.dvcfile_output(dvcfiles.load_yaml(raw, f"{path}.dvc at {commit[:7]}"), f"{path}.dvc")
            if out is not None and out.path == path:
                found[(commit, path)] = out.md5
    return found
