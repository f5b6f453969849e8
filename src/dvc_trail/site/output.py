"""Writing the site folder: a file only when its bytes changed, whatever the build did not make removed.

The folder is untrusted input (a clone may carry a built `site/`): every access goes through `safefs`
(directory fds, no link ever followed). What each page was built from, and which file the build left there,
is recorded outside the folder's reach, under the repository's `.git/trail/site-folders/`, keyed by the folder's
real path. A rebuild skips rendering a page only when its inputs are unchanged, its folder was not changed since
(device, inode, mtime and ctime of the folder: one fstat per folder) and the name is still the file the build
wrote (its inode, from the folder's listing): no stat and no read per kept page. A folder without a matching
record (a clone's, a copy, an older trail's, one changed by `git pull`) is foreign: its pages are all rendered
and compared byte for byte. Only `index.html`, `stages.html`, `history.html`, `.nojekyll`, the marker and the
`a/`, `api/` and `history/` folders belong to the site: anything in those folders the build did not make is
removed, anything else in the folder is left alone. `.trail-site.json` in the folder only marks it as a site:
a non-empty folder with neither it nor a record of its own is refused rather than mixed with.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from dvc_trail.errors import TrailError
from dvc_trail.site import safefs

MANIFEST = ".trail-site.json"  # the marker: written first, so a build cut short leaves a folder still recognised
MARKER = b'{"format": 2, "generator": "trail site"}\n'
OWNED_DIRS = ("a", "api", "history")
OLD_TEMPORARY = {f".{n}.tmp" for n in ("index.html", "stages.html", "history.html", ".nojekyll", MANIFEST)}
MAX_OPEN = 128  # folder fds kept open at once (a registry of thousands of artifacts has more folders)


P = ParamSpec("P")
R = TypeVar("R")


def _one_line(method: Callable[Concatenate[SiteFolder, P], R]) -> Callable[Concatenate[SiteFolder, P], R]:
    """The method, with an OSError of the folder (EACCES, ENOSPC, EROFS, ...) as one TrailError line."""

    @functools.wraps(method)
    def wrapper(self: SiteFolder, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except OSError as err:
            where = f" ({err.filename})" if isinstance(err.filename, str) else ""
            raise TrailError(f"cannot write the site into {self.root}: {err.strerror or err}{where}") from None

    return wrapper


@dataclass(frozen=True)
class BuildReport:
    """What a build did to the folder."""

    out: Path
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    warnings: tuple[str, ...] = field(default=())


class SiteFolder:
    """The output folder of one build; `close` (or `finish`, or `abort`) releases its folder fds."""

    def __init__(self, root: Path, cache: Path, inside: Path | None = None) -> None:
        self.root = root
        self.written: list[str] = []
        self.unchanged = 0
        self.produced: set[str] = set()
        self.new: dict[str, list] = {}  # rel -> [key, inode] of every file this build made or verified
        self.new_groups: dict[str, str] = {}
        self.fds: dict[str, int] = {}
        self.lists: dict[str, safefs.Listing] = {}
        self.opened: dict[str, list[int]] = {}  # folder -> its fingerprint when first opened
        self.closed: dict[str, list[int]] = {}  # folder -> its fingerprint when closed after a change
        self.trusted: set[str] = set()  # folders unchanged since the record
        self.dirty: set[str] = set()
        path = os.path.abspath(root)
        self.fds[""] = _open_root(path, root, inside)
        try:
            self.real = os.path.realpath(path)
            self.record = cache / "site-folders" / f"{hashlib.sha256(self.real.encode()).hexdigest()[:32]}.json"
            old = _load(self.record, self.real)
            self.old: dict[str, list] = old["pages"]  # as `new`, from the last build (shape checked in use)
            self.old_dirs: dict[str, list[int]] = old["dirs"]
            self.groups: dict[str, str] = old["groups"]
            self._init_dir("", self.fds[""])
            top = self.lists[""]
            mine = isinstance(was := self.old_dirs.get(""), list) and was[:2] == self.opened[""][:2]
            if ".git" in top:  # a work tree (a clone may commit a marker at its top): never swept
                raise TrailError(f"refusing {root}: it holds a git repository (.git); choose a folder of its own")
            if top and not _is_file(self.fds[""], MANIFEST) and not mine:
                why = f"is not empty and holds no trail site ({MANIFEST} missing)"
                raise TrailError(f"{root} {why}: choose another folder")
            self.write(MANIFEST, MARKER)
        except BaseException:
            self.close()
            raise

    @_one_line
    def fresh(self, rel: str, key: str) -> bool:
        """Whether `rel` was built from the same inputs and is still there (then it counts as produced)."""
        if self.is_fresh(rel, key):
            self.produced.add(rel)
            self.new[rel] = self.old[rel]
            self.unchanged += 1
            return True
        return False

    @_one_line
    def keep_all(self, rels: list[str]) -> bool:
        """Whether every file in `rels` is still there as the last build made it (then they count as produced)."""
        if not all(self._kept(rel) for rel in rels):
            return False
        self.produced.update(rels)
        self.new.update((rel, self.old[rel]) for rel in rels)
        self.unchanged += len(rels)
        return True

    def same_group(self, name: str, key: str) -> bool:
        """Whether a group of pages (an artifact's version pages) was built from the same inputs last time."""
        return self.groups.get(name) == key

    def set_group(self, name: str, key: str) -> None:
        """Nothing: records the inputs of a group of pages for the next build."""
        self.new_groups[name] = key

    @_one_line
    def is_fresh(self, rel: str, key: str) -> bool:
        """Whether `rel` was built from the same inputs and is still the file the build wrote."""
        return self._kept(rel) and self.old[rel][0] == key

    def recorded(self, prefix: str) -> dict[str, str]:
        """Each recorded page under `prefix` with the key of its inputs."""
        return {rel: e[0] for rel, e in self.old.items() if rel.startswith(prefix) and isinstance(e, list) and e}

    def _kept(self, rel: str) -> bool:
        """Whether `rel` is still the file the last build left: its folder unchanged since, the same inode."""
        folder, _, name = rel.rpartition("/")
        if folder not in self.lists:
            self._fd(folder, create=False)
        recorded = self.old.get(rel)
        return folder in self.trusted and type(recorded) is list and self.lists[folder].get(name) == recorded[1]

    @_one_line
    def write(self, rel: str, data: bytes, key: str | None = None) -> None:
        """Nothing: writes `rel` unless it already holds exactly these bytes (never through a link)."""
        self.produced.add(rel)
        folder, _, name = rel.rpartition("/")
        fd = self._fd(folder, create=True)
        assert fd is not None
        entries = self.lists[folder]
        inode = None
        if name not in entries:  # a new page: nothing to compare, no temporary name
            try:
                inode = safefs.create(fd, name, data)
            except FileExistsError:
                pass
        else:  # compared only when it is a regular file (never a link, never a FIFO)
            inode = safefs.same_bytes(fd, name, data)
            if inode is not None:
                self.unchanged += 1
                self.new[rel] = [key or "", inode]
                return
        if inode is None:
            inode = safefs.replace(fd, name, data)
        entries[name] = inode
        self.dirty.add(folder)
        self.written.append(rel)
        self.new[rel] = [key or "", inode]

    @_one_line
    def finish(self, warnings: list[str]) -> BuildReport:
        """The build's report, once what it did not produce is removed and the record saved."""
        removed: list[str] = []
        try:
            folders = self._sweep(removed)
            self.close()
            try:
                self._save(self.new, {d: self._print(d) for d in ("", *folders)})
            except OSError:
                pass  # no record: the next build treats the folder as foreign (slower, as safe)
        finally:
            self.close()
        written = tuple(w for w in self.written if w != MANIFEST)
        return BuildReport(self.root, written, tuple(sorted(removed)), self.unchanged, tuple(warnings))

    def abort(self) -> None:
        """Nothing: after a build cut short, records what is verified so far (the next build keeps it)."""
        self.close()
        old = self.old_dirs
        dirs = {d: fp for d, fp in old.items() if d not in self.opened} | {d: self._print(d) for d in self.opened}
        kept = {
            rel: e
            for rel, e in self.old.items()
            if (folder := rel.rpartition("/")[0]) in self.trusted or folder not in self.opened
        }
        try:
            self._save(kept | self.new, dirs)
        except OSError:
            pass

    def close(self) -> None:
        """Nothing: closes every folder fd (a changed folder's fingerprint is taken first)."""
        for folder in list(self.fds):
            self._close(folder)

    def _print(self, folder: str) -> list[int]:
        return self.closed.get(folder) or self.opened[folder]

    def _close(self, folder: str) -> None:
        fd = self.fds.pop(folder)
        try:
            if folder in self.dirty:
                self.closed[folder] = safefs.fingerprint(fd)
                self.dirty.discard(folder)
        finally:
            os.close(fd)

    def _fd(self, folder: str, create: bool) -> int | None:
        """The fd of a site folder (opened without following links; made, replacing a link, when `create`)."""
        if folder in self.fds or not folder:
            return self.fds.get(folder)
        up, _, name = folder.rpartition("/")
        parent = self._fd(up, create)
        if parent is None or name in ("", ".", "..") or "\0" in name:
            self.lists.setdefault(folder, {})
            return None
        try:
            fd = safefs.make_dir(parent, name) if create else safefs.open_dir(name, parent)
        except OSError as err:
            if create or not (isinstance(err, FileNotFoundError) or err.errno in safefs.NOT_A_FOLDER):
                raise
            self.lists.setdefault(folder, {})
            return None
        if create and self.lists[up].get(name) != (inode := os.fstat(fd).st_ino):
            self.lists[up][name] = inode  # made here (a link or file there was removed first)
            self.dirty.add(up)
        if len(self.fds) >= MAX_OPEN:
            for other in [f for f in self.fds if f and not folder.startswith(f + "/")]:
                self._close(other)
        self.fds[folder] = fd
        if folder not in self.opened:
            self._init_dir(folder, fd)
        return fd

    def _init_dir(self, folder: str, fd: int) -> None:
        self.opened[folder] = safefs.fingerprint(fd)
        if self.old_dirs.get(folder) == self.opened[folder]:
            self.trusted.add(folder)
        self.lists[folder] = safefs.listing(fd)

    def _sweep(self, removed: list[str]) -> set[str]:
        """Removes from the site's own folders everything this build did not produce (links as links); the folders
        holding what it produced."""
        folders: set[str] = set()
        for rel in self.produced:
            folder = rel.rpartition("/")[0]
            while folder and folder not in folders:
                folders.add(folder)
                folder = folder.rpartition("/")[0]
        top = self.lists[""]
        for name in [n for n in top if safefs.is_temporary(n) or n in OLD_TEMPORARY]:  # left by a killed build
            safefs.unlink_quietly(self.fds[""], name)
            del top[name]
            self.dirty.add("")
        pending = [name for name in OWNED_DIRS if name in top]
        while pending:
            folder = pending.pop()
            up, _, name = folder.rpartition("/")
            if folder not in folders:
                parent = self._fd(up, create=True)
                assert parent is not None
                safefs.remove(parent, name, removed, folder)
                self.lists[up].pop(name, None)
                self.dirty.add(up)
                continue
            fd = self._fd(folder, create=True)
            assert fd is not None
            for child in list(self.lists[folder]):
                rel = f"{folder}/{child}"
                if rel in self.produced:
                    continue
                if rel in folders:
                    pending.append(rel)
                    continue
                safefs.remove(fd, child, removed, rel)
                del self.lists[folder][child]
                self.dirty.add(folder)
        return folders

    def _save(self, pages: dict[str, list], dirs: dict[str, list[int]]) -> None:
        """Nothing: writes the record (in the repository's own folder, never in the site folder)."""
        record = {"format": 1, "folder": self.real, "dirs": dirs, "groups": self.new_groups, "pages": pages}
        self.record.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.record.with_name(f"{self.record.name}.{os.urandom(8).hex()}.tmp")
        try:
            tmp.write_text(json.dumps(record, separators=(",", ":")))
            os.replace(tmp, self.record)
        finally:
            tmp.unlink(missing_ok=True)


def _is_file(parent: int, name: str) -> bool:
    """Whether `name` is a regular file (a link is not)."""
    try:
        return stat.S_ISREG(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _open_root(path: str, shown: Path, inside: Path | None) -> int:
    """The output folder's fd, made when missing; refused when it, or a repository folder on its way, is a link."""
    if inside is not None:
        _check_parents(path, shown, os.path.realpath(inside))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        try:
            os.makedirs(path)
        except OSError as err:
            raise TrailError(f"cannot create {shown}: {err.strerror}") from None
    else:
        if stat.S_ISLNK(st.st_mode):
            raise TrailError(f"refusing {shown}: it is a symbolic link (give the folder itself)")
        if not stat.S_ISDIR(st.st_mode):
            raise TrailError(f"{shown} is not a folder")
    try:
        return safefs.open_dir(path)
    except OSError as err:
        raise TrailError(f"cannot open {shown}: {err.strerror}") from None


def _check_parents(path: str, shown: Path, top: str) -> None:
    """Nothing: refuses a path through a link that lies inside the repository (a clone may carry one)."""
    parts = path.split(os.sep)
    for i in range(2, len(parts)):
        prefix = os.sep.join(parts[:i])
        if os.path.islink(prefix):
            where = os.path.realpath(os.path.dirname(prefix))
            if where == top or where.startswith(top.rstrip(os.sep) + os.sep):
                raise TrailError(f"refusing {shown}: {prefix} is a symbolic link in the repository")


def _load(path: Path, real: str) -> dict:
    """The record of the last build into the folder at `real` (empty when missing or malformed).

    Only its shape is checked: names are looked up, never opened from it (`_fd` refuses `..` and empty parts).
    """
    empty: dict = {"pages": {}, "dirs": {}, "groups": {}}
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return empty
    if not isinstance(data, dict) or data.get("format") != 1 or data.get("folder") != real:
        return empty
    if not all(isinstance(data.get(part), dict) for part in empty):
        return empty
    return {part: data[part] for part in empty}
