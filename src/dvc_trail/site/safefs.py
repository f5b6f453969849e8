"""A folder that is untrusted input: every call relative to a directory fd, never following a link.

A site folder may come with a clone (a committed `site/` or `docs/`), so any name in it may be a symbolic link,
a FIFO or a folder where a page belongs. Folders are opened with `O_NOFOLLOW | O_DIRECTORY`, files are created
with `O_EXCL | O_NOFOLLOW` (temporary names are random), replaced by `rename` (which replaces a link, never
its target) and removed by `unlink`/`rmdir` relative to their folder's fd, so nothing outside the folder is
ever opened, written or removed.
"""

from __future__ import annotations

import errno
import os
import re
import stat

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
NOT_A_FOLDER = (errno.ENOTDIR, errno.ELOOP)

_TEMPORARY = re.compile(r"^\..*\.[0-9a-f]{16}\.tmp$", re.DOTALL)
Listing = dict[str, int]  # name -> inode, from one scandir (no stat)


def open_dir(name: str, dir_fd: int | None = None) -> int:
    """A folder's fd; OSError (ENOTDIR or ELOOP) when `name` is a link, a file or anything but a folder."""
    return os.open(name, DIR_FLAGS, dir_fd=dir_fd)


def make_dir(parent: int, name: str) -> int:
    """The fd of folder `name` in `parent`, made when missing; a link, file or FIFO there is removed first."""
    try:
        return open_dir(name, parent)
    except FileNotFoundError:
        pass
    except OSError as err:
        if err.errno not in NOT_A_FOLDER:
            raise
        remove(parent, name, [], "")
    os.mkdir(name, 0o777, dir_fd=parent)
    return open_dir(name, parent)


def listing(fd: int) -> Listing:
    """Every name in a folder with its inode (from the folder's entries: no stat)."""
    with os.scandir(fd) as entries:
        return {e.name: e.inode() for e in entries}


def fingerprint(fd: int) -> list[int]:
    """What changes whenever a name in the folder is added, removed or replaced (ctime cannot be set back)."""
    st = os.fstat(fd)
    return [st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


def create(parent: int, name: str, data: bytes) -> int:
    """Write a file that must not exist yet (FileExistsError if anything, a link included, is there); its inode."""
    fd = os.open(name, _CREATE, 0o666, dir_fd=parent)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return os.fstat(fd).st_ino
    finally:
        os.close(fd)


def same_bytes(parent: int, name: str, data: bytes) -> int | None:
    """The inode of `name` when it is a regular file holding exactly `data` (never a link or a FIFO), else None."""
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=parent)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
            return None
        chunks, left = [], len(data) + 1
        while left > 0 and (chunk := os.read(fd, left)):
            chunks.append(chunk)
            left -= len(chunk)
        return st.st_ino if b"".join(chunks) == data else None
    finally:
        os.close(fd)


def replace(parent: int, name: str, data: bytes) -> int:
    """Write `name` through a random temporary name and a rename (whatever `name` was is replaced); its inode."""
    tmp = f".{name[:200]}.{os.urandom(8).hex()}.tmp"
    ino = create(parent, tmp, data)
    try:
        try:
            os.rename(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
        except OSError as err:  # a folder (or a FIFO a rename cannot replace) where the file belongs
            if err.errno not in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
            remove(parent, name, [], "")
            os.rename(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
    except BaseException:
        unlink_quietly(parent, tmp)
        raise
    return ino


def remove(parent: int, name: str, removed: list[str], rel: str) -> None:
    """Remove `name` from `parent`: a link or file by `unlink` (never followed), a folder with all it holds.

    Each file removed is added to `removed` as `rel` plus its path below `name`. Folders are walked depth first
    without recursion and with one fd at a time, so no nesting depth exhausts the stack or the fds.
    """
    if _unlinked(parent, name):
        removed.append(rel)
        return
    below: list[str] = []  # names from `name` down to the folder `fd` is open on
    inodes: list[int] = []  # the inodes of the folders above it, to check each way up
    fd = open_dir(name, parent)
    try:
        while True:
            for child in listing(fd):
                if _unlinked(fd, child):
                    removed.append("/".join([rel, *below, child]))
                else:  # a folder: go down into it
                    deeper = open_dir(child, fd)
                    inodes.append(os.fstat(fd).st_ino)
                    os.close(fd)
                    fd = deeper
                    below.append(child)
                    break
            else:  # empty now: go up and remove it
                if not below:
                    break
                up = open_dir("..", fd)
                os.close(fd)
                fd = up
                if os.fstat(fd).st_ino != inodes.pop():  # the tree was moved meanwhile: stop rather than guess
                    raise OSError(errno.ESTALE, "a folder moved while it was removed", below[-1])
                os.rmdir(below.pop(), dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent)


def _unlinked(parent: int, name: str) -> bool:
    """Whether `name` was unlinked (or is gone); False for a real folder, which `unlink` refuses."""
    try:
        os.unlink(name, dir_fd=parent)
    except FileNotFoundError:
        pass
    except OSError as err:
        if err.errno in (errno.EISDIR, errno.EPERM):
            return False
        raise
    return True


def unlink_quietly(parent: int, name: str) -> None:
    """Nothing: removes `name` when it is still there."""
    try:
        os.unlink(name, dir_fd=parent)
    except OSError:
        pass


def is_temporary(name: str) -> bool:
    """Whether `name` is one of `replace`'s temporary names (left by a build that was killed)."""
    return _TEMPORARY.match(name) is not None
