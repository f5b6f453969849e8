"""Files of the work tree, read as the untrusted input they are: regular files inside it, bounded, never blocking.

A clone can commit symlinks: `metrics.yaml -> ~/.config/gh/hosts.yml` would print the user's token into a PR
comment, `metrics.json -> /dev/zero` would never end, `params.yaml -> /dev/tty` would wait for the terminal.
Every read of a work-tree file goes through `read_workspace_file`; every read of a local DVC cache object
through `read_regular` (its hash is checked by the caller); every file the user names with `-o` is written by
`write_output`, never through a link (`report.md -> ~/.bashrc`).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO

from dvc_trail.errors import TrailError
from dvc_trail.git.process import MAX_BLOB, MAX_BLOBS

MAX_FILE = MAX_BLOB  # the bound of a file read from git, for the same file read from the work tree
MAX_TOTAL = MAX_BLOBS  # and of all the files one command reads (`RevisionReader`)
_OPEN = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_CACHE_OBJECT = re.compile(r"(?:files/md5/)?([0-9a-f]{2})/([0-9a-f]{30})")  # DVC 3's layout, or DVC 2's


class Refused(TrailError):
    """A file that is there but is not read: a link leaving the repository, not a regular file, too large."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"could not read {name}: {reason}")
        self.reason = reason


class _Folder(Refused):
    """A directory where a file was expected."""


def read_workspace_file(
    root: Path,
    rel: str,
    limit: int = MAX_FILE,
    cache_dir: Callable[[], Path] | None = None,
    dvc_config: bool = False,
) -> bytes | None:
    """The bytes of the work-tree file `rel` (None when there is none); `Refused` when it is not to be read.

    Read only when it is a regular file of at most `limit` bytes whose real path (that of the open file, so a
    link swapped in meanwhile is caught) is inside the repository and outside `.git`, or is an object of the
    DVC cache `cache_dir()` (DVC's `symlink` link type) whose bytes match the hash its name gives. Nothing in
    DVC's own folder `.dvc/` is read (its untracked `config.local` and `tmp/` hold the user's credentials) but
    such cache objects, and `.dvc/config` and `config.local` when `dvc_config` (trail's own checks). A folder
    inside the repository is no file (None); one outside it is refused.
    """
    if _has_git_part(rel):
        raise Refused(rel, "it is inside .git")
    path, top = os.path.join(root, rel), _real_root(os.fspath(root))
    try:
        fd = _open_regular(path, rel)
    except _Folder:
        if os.path.realpath(path).startswith(top):
            return None  # a folder of the repository is no file, as at a commit (a folder of metrics is not read)
        raise
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as handle:
        real = _real_path(fd, path)
        md5, inside = None, real.startswith(top)
        private = inside and _in_dvc_folder(real[len(top) :], rel if dvc_config else None)
        if not inside or private or _has_git_part(real[len(top) :]):
            md5 = _cache_object(real, cache_dir)
            if md5 is None and private:
                raise Refused(rel, "it is in DVC's own folder .dvc (the user's config.local and tokens)")
            if md5 is None:
                raise Refused(rel, "it is a link into .git" if inside else "it is a link out of the repository")
        data = _read(handle, limit, rel)
    if md5 is not None and md5 not in _md5s(data):
        raise Refused(rel, "it is a link into the DVC cache to an object that does not match its hash")
    return data


def check_dvc_config(root: Path) -> None:
    """Refuse (`Refused`) a `.dvc/config` or `config.local` that DVC, which reads them itself, must not read."""
    for name in (".dvc/config", ".dvc/config.local"):
        read_workspace_file(root, name, dvc_config=True)


def read_regular(path: str, limit: int, name: str | None = None) -> bytes | None:
    """A regular file's bytes, at most `limit` (None when there is none); `Refused` for anything else."""
    fd = _open_regular(path, name or path)
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as handle:
        return _read(handle, limit, name or path)


def write_output(path: Path, text: str) -> None:
    """Write the file the user named (`-o`): a link there (a clone can commit one) is refused, never written through."""
    write_outputs({path: text})


def write_outputs(files: dict[Path, str]) -> None:
    """Write several such files (a plot's .svg and .html): a link at any of them is refused before any is written."""
    for path in files:
        if os.path.islink(path):
            raise TrailError(f"refusing to write {path}: it is a link (remove it, or name another file)")
    for path, text in files.items():
        try:  # O_NOFOLLOW: a link planted since the check above is refused too
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except OSError as err:
            why = "it is a link" if err.errno == errno.ELOOP else (err.strerror or "failed").lower()
            raise TrailError(f"refusing to write {path}: {why}") from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)


def _open_regular(path: str, name: str) -> int | None:
    """An fd of the regular file at `path`, opened without blocking (a FIFO) and never a device; None if absent."""
    try:
        before = os.stat(path)  # a device is never opened: opening some has effects (a tape rewinds)
        if stat.S_ISDIR(before.st_mode):
            raise _Folder(name, "it is not a regular file")
        if not stat.S_ISREG(before.st_mode):
            raise Refused(name, "it is not a regular file")
        fd = os.open(path, _OPEN)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:  # a link loop, no permission, a socket (ENXIO), a name too long
        raise Refused(name, (err.strerror or "unreadable").lower()) from None
    except ValueError:  # a NUL in a path from dvc.yaml
        raise Refused(name, "it is not a file name") from None
    now = os.fstat(fd)
    if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
        os.close(fd)
        raise Refused(name, "it changed while being opened")
    return fd


def _read(handle: IO[bytes], limit: int, name: str) -> bytes:
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise Refused(name, f"it is larger than {limit >> 20} MiB")
    return data


def _real_path(fd: int, path: str) -> str:
    """The real path of the open file (Linux's /proc names it exactly), else of the path as it is now."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(path)


def _real_root(root: str) -> str:
    return os.path.join(os.path.realpath(root), "")  # with its trailing separator


def _cache_object(real: str, cache_dir: Callable[[], Path] | None) -> str | None:
    """The md5 a DVC cache object's path gives, when `real` is one (in the project's configured cache)."""
    if cache_dir is None:
        return None
    top = os.path.join(os.path.realpath(cache_dir()), "")
    found = _CACHE_OBJECT.fullmatch(real[len(top) :]) if real.startswith(top) else None
    return found[1] + found[2] if found else None


def _md5s(data: bytes) -> tuple[str, str]:
    import hashlib

    raw = hashlib.md5(data).hexdigest()  # noqa: S324 - DVC's content address, not a security measure
    return raw, hashlib.md5(data.replace(b"\r\n", b"\n")).hexdigest()  # noqa: S324 - DVC 2 hashed as dos2unix


def _in_dvc_folder(real_rel: str, config: str | None) -> bool:
    """Whether a path of the repository is in `.dvc/` (any case), unless it is the DVC config file `config` names."""
    path = real_rel.replace(os.sep, "/")
    if not path.lower().startswith(".dvc/"):
        return False
    return not (config == path and config in (".dvc/config", ".dvc/config.local"))


def _has_git_part(path: str) -> bool:
    """As `objects.has_git_part`, without that module's imports (`trail ls` reads `.gto` through here)."""
    return any(part.lower() == ".git" for part in re.split(r"[/\\]", path))
