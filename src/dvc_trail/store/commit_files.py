"""What each commit holds that DVC reads: its DVC files (found by a tree walk) and the metrics files its dvc.yaml
files declare, each worked out once and cached under `.git/trail/` (commits never change)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from dvc_trail.git import trees

if TYPE_CHECKING:
    from collections.abc import Callable

    from dvc_trail.git.reader import GitReader

CACHE_FORMAT = 1
MAX_ENTRIES = 200_000  # commits; past that the cache starts again


def is_dvc_file(name: str) -> bool:
    """Whether a file name is one DVC reads: dvc.yaml, dvc.lock or a `.dvc` file."""
    return name in ("dvc.yaml", "dvc.lock") or (name.endswith(".dvc") and name != ".dvc")


def dvc_files(git: GitReader, commits: list[str]) -> dict[str, list[str]]:
    """The DVC files in each commit's tree: from the cache, the rest by one batched tree walk."""
    entries = _load(git, "dvcfiles")
    found = {c: entries[c] for c in commits if _valid(entries.get(c), is_dvc_file)}
    missing = [c for c in dict.fromkeys(commits) if c not in found]
    if missing:
        walked = trees.find_files(git, missing, is_dvc_file)
        found.update(walked)
        _save(git, "dvcfiles", entries, walked)
    return found


def declared_metrics(git: GitReader, commits: list[str]) -> dict[str, dict[str, list[str]]]:
    """dvc.yaml -> the metrics files it declares, at each commit already seen (no YAML parse)."""
    entries: dict = _load(git, "declared")
    return {
        c: found
        for c in commits
        if isinstance(found := entries.get(c), dict)
        and all(isinstance(d, str) and _valid(ms, lambda name: True) for d, ms in found.items())
    }


def remember_metrics(git: GitReader, declared: dict[str, dict[str, list[str]]]) -> None:
    """Keep the metrics files declared at these commits (commits never change, so neither does the answer)."""
    entries: dict = _load(git, "declared")
    new = {c: paths for c, paths in declared.items() if entries.get(c) != paths}
    if new:
        _save(git, "declared", entries, new)


def _load(git: GitReader, name: str) -> dict:
    """A cache file's entries; a missing, unreadable or foreign file is empty (and rebuilt)."""
    try:
        data = json.loads((_git_dir(git) / "trail" / f"{name}-v{CACHE_FORMAT}.json").read_text())
    except (OSError, ValueError, RecursionError):  # RecursionError: a hand-made, deeply nested file
        return {}
    ok = isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(data.get("entries"), dict)
    return data["entries"] if ok else {}


def _save(git: GitReader, name: str, entries: dict, new: dict) -> None:
    """Write the entries plus the new ones atomically; a read-only repository goes without."""
    entries = {**({} if len(entries) > MAX_ENTRIES else entries), **new}
    path = _git_dir(git) / "trail" / f"{name}-v{CACHE_FORMAT}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # here: a read that hits the cache never writes, nor imports random for a name

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-")
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps({"format": CACHE_FORMAT, "entries": entries}, separators=(",", ":")))
        os.replace(tmp, path)
    except OSError:
        pass


def _git_dir(git: GitReader) -> Path:
    """The `.git` folder found by looking up from where trail runs (no git process); else git's answer."""
    folder = git.cwd.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").is_dir() and (candidate / ".git" / "HEAD").is_file():
            return candidate / ".git"
        if (candidate / ".git").exists():
            break  # a worktree or submodule (`.git` is a file): ask git for the common folder
    return git.git_dir()


def _valid(paths: object, named: Callable[[str], bool]) -> bool:
    return isinstance(paths, list) and all(isinstance(p, str) and named(p.rsplit("/", 1)[-1]) for p in paths)
