"""Writing the site folder: a file only when its bytes changed, stale pages removed, a manifest of page inputs.

The manifest (`.trail-site.json`, in the folder) maps each page to a digest of what it was built from, so a
rebuild skips rendering pages whose inputs did not change. Only `index.html`, `stages.html`, `history.html`,
`.nojekyll`, and the `a/`, `api/` and `history/` folders belong to the site: anything else already in the folder is
left alone, and a non-empty folder without a manifest is refused rather than mixed with.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from dvc_trail.errors import TrailError

MANIFEST = ".trail-site.json"
OWNED_DIRS = ("a", "api", "history")


@dataclass(frozen=True)
class BuildReport:
    """What a build did to the folder."""

    out: Path
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    warnings: tuple[str, ...] = field(default=())


class SiteFolder:
    """The output folder of one build."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.keys: dict[str, str] = {}
        self.groups: dict[str, str] = {}
        self.new_groups: dict[str, str] = {}
        self.produced: set[str] = set()
        self.new_keys: dict[str, str] = {}
        self.written: list[str] = []
        self.unchanged = 0
        self.folders: set[str] = set()
        self.listings: dict[str, set[str]] = {}
        manifest = root / MANIFEST
        if root.exists() and not root.is_dir():
            raise TrailError(f"{root} is not a folder")
        if root.is_dir() and any(root.iterdir()) and not manifest.is_file():
            raise TrailError(f"{root} is not empty and holds no trail site ({MANIFEST} missing): choose another folder")
        try:
            data = json.loads(manifest.read_text())
            if isinstance(data, dict) and isinstance(data.get("pages"), dict):
                self.keys = {str(k): str(v) for k, v in data["pages"].items()}
            if isinstance(data, dict) and isinstance(data.get("groups"), dict):
                self.groups = {str(k): str(v) for k, v in data["groups"].items()}
        except (OSError, ValueError):
            pass

    def fresh(self, rel: str, key: str) -> bool:
        """Whether `rel` was built from the same inputs and is still there (then it counts as produced)."""
        if self.is_fresh(rel, key):
            self.produced.add(rel)
            self.new_keys[rel] = key
            self.unchanged += 1
            return True
        return False

    def keep_all(self, rels: list[str]) -> bool:
        """Whether every file in `rels` is still there as the last build made it (then they count as produced)."""
        if not all(rel in self.keys and self._exists(rel) for rel in rels):
            return False
        self.produced.update(rels)
        self.new_keys.update((rel, self.keys[rel]) for rel in rels)
        self.unchanged += len(rels)
        return True

    def same_group(self, name: str, key: str) -> bool:
        """Whether a group of pages (an artifact's version pages) was built from the same inputs last time."""
        return self.groups.get(name) == key

    def set_group(self, name: str, key: str) -> None:
        """Nothing: records the inputs of a group of pages for the next build."""
        self.new_groups[name] = key

    def is_fresh(self, rel: str, key: str) -> bool:
        """Whether `rel` was built from the same inputs and is still there."""
        return self.keys.get(rel) == key and self._exists(rel)

    def _exists(self, rel: str) -> bool:
        """Whether a site file exists, from one listing per folder (cheaper than a stat per page)."""
        folder, _, name = rel.rpartition("/")
        return name in self._listing(folder)

    def _listing(self, folder: str) -> set[str]:
        if folder not in self.listings:
            try:
                self.listings[folder] = set(os.listdir(self.root / folder))
            except OSError:
                self.listings[folder] = set()
        return self.listings[folder]

    def write(self, rel: str, data: bytes, key: str | None = None) -> None:
        """Nothing: writes `rel` unless it already holds exactly these bytes."""
        self.produced.add(rel)
        if key is not None:
            self.new_keys[rel] = key
        folder, _, name = rel.rpartition("/")
        listing = self._listing(folder)
        path = os.path.join(self.root, rel)
        if folder not in self.folders:
            os.makedirs(os.path.join(self.root, folder), exist_ok=True)
            self.folders.add(folder)
        if name not in listing and rel not in self.keys:  # a new page: nothing to compare, no reader to spare
            try:  # a build cut short leaves a page no manifest vouches for: the next build compares it
                _create(path, data)
                listing.add(name)
                self.written.append(rel)
                return
            except FileExistsError:
                pass
        try:
            with open(path, "rb") as handle:
                if handle.read() == data:
                    self.unchanged += 1
                    return
        except OSError:
            pass
        tmp = os.path.join(self.root, folder, f".{name}.tmp")  # one writer per folder: a fixed name is enough
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
        listing.add(name)
        self.written.append(rel)

    def finish(self, warnings: list[str]) -> BuildReport:
        """The build's report, once what it did not produce is removed and the manifest saved."""
        removed = []
        if self.keys:  # a previous build: its manifest lists every page it made
            stale = [rel for rel in self.keys if rel not in self.produced]
            for rel in stale:
                try:
                    os.unlink(self.root / rel)
                    removed.append(rel)
                except FileNotFoundError:
                    pass
                _prune(self.root, (self.root / rel).parent)
        else:  # no manifest: anything in the site's own folders that this build did not make goes
            for top in OWNED_DIRS:
                for folder, _dirs, files in os.walk(self.root / top, topdown=False):
                    for name in files:
                        rel = (Path(folder) / name).relative_to(self.root).as_posix()
                        if rel not in self.produced:
                            os.unlink(Path(folder) / name)
                            removed.append(rel)
                    _prune(self.root, Path(folder))
        groups = dict(sorted(self.new_groups.items()))
        manifest = json.dumps({"format": 1, "groups": groups, "pages": dict(sorted(self.new_keys.items()))}, indent=0)
        self.write(MANIFEST, manifest.encode())
        self.written = [w for w in self.written if w != MANIFEST]
        return BuildReport(self.root, tuple(self.written), tuple(sorted(removed)), self.unchanged, tuple(warnings))


def _create(path: str, data: bytes) -> None:
    """Write a file that must not exist yet (one open, one write: no stat, no temporary name)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _prune(root: Path, folder: Path) -> None:
    """Remove empty folders from `folder` up to (not including) the site root."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
