"""Where each commit keeps its DVC files, found by a tree walk once and cached under `.git/trail/`."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from dvc_trail import gitobjects

if TYPE_CHECKING:
    from dvc_trail.git import Git

CACHE_FORMAT = 1
MAX_ENTRIES = 200_000  # commits; past that the cache starts again


def is_dvc_file(name: str) -> bool:
    """Whether a file name is one DVC reads: dvc.yaml, dvc.lock or a `.dvc` file."""
    return name in ("dvc.yaml", "dvc.lock") or (name.endswith(".dvc") and name != ".dvc")


def dvc_files(git: Git, commits: list[str]) -> dict[str, list[str]]:
    """The DVC files in each commit's tree: from the cache, the rest by one batched tree walk.

    A missing, unreadable or foreign cache file is rebuilt; a read-only repository goes without.
    """
    path = _git_dir(git) / "trail" / f"dvcfiles-v{CACHE_FORMAT}.json"
    entries: dict[str, list[str]] = {}
    try:
        data = json.loads(path.read_text())
        if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(data.get("entries"), dict):
            entries = data["entries"]
    except (OSError, ValueError):
        pass
    found = {c: entries[c] for c in commits if _valid(entries.get(c))}
    missing = [c for c in dict.fromkeys(commits) if c not in found]
    if not missing:
        return found
    walked = gitobjects.find_files(git, missing, is_dvc_file)
    found.update(walked)
    entries = {} if len(entries) > MAX_ENTRIES else entries
    entries.update(walked)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".dvcfiles-")
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps({"format": CACHE_FORMAT, "entries": entries}, separators=(",", ":")))
        os.replace(tmp, path)
    except OSError:
        pass
    return found


def _git_dir(git: Git) -> Path:
    """The `.git` folder found by looking up from where trail runs (no git process); else git's answer."""
    folder = git.cwd.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").is_dir() and (candidate / ".git" / "HEAD").is_file():
            return candidate / ".git"
        if (candidate / ".git").exists():
            break  # a worktree or submodule (`.git` is a file): ask git for the common folder
    return git.git_dir()


def _valid(paths: object) -> bool:
    return isinstance(paths, list) and all(isinstance(p, str) and is_dvc_file(p.rsplit("/", 1)[-1]) for p in paths)
