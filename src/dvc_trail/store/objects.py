"""Content addresses from untrusted files, checked before use: hashes, relative paths, sizes, bounded copies.

Every hash is validated before a path is built from it, every manifest entry before a file is written,
and every recorded size bounds the bytes read for that object (pure; no DVC).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from dvc_trail.dvcfiles.documents import is_size
from dvc_trail.errors import TrailError

if TYPE_CHECKING:
    from dvc_trail.render.progress import TransferProgress

_OID = re.compile(r"[0-9a-f]{32}(\.dir)?")
MANIFEST_LIMIT = 64 << 20  # bytes of one `.dir` manifest (about half a million entries)
CHUNK = 1 << 20


class Oversized(TrailError):
    """An object holds more bytes than recorded for it."""


def check_oid(oid: str, where: str) -> str:
    """The hash itself when it is DVC's md5 (`^[0-9a-f]{32}(\\.dir)?$`); else a TrailError naming `where`."""
    if not isinstance(oid, str) or not _OID.fullmatch(oid):
        raise TrailError(f"refusing invalid hash {str(oid)[:80]!r} in {where}")
    return oid


def check_size(size: object, where: str) -> int | None:
    """A recorded size: None, or a non-negative int; else a TrailError naming `where` (never `read(-1)` later)."""
    if size is not None and not is_size(size):
        raise TrailError(f"refusing size {str(size)[:40]!r} in {where}: not a non-negative integer")
    return size  # type: ignore[return-value]


def has_git_part(path: str) -> bool:
    """Whether any component of a path is `.git`, in any case (git itself folds case on some systems)."""
    return any(part.lower() == ".git" for part in re.split(r"[/\\]", path))


def check_relpath(relpath: str, where: str) -> str:
    """A relative path inside the artifact: no absolute path, `..`, backslash, control character or `.git` part."""
    parts = PurePosixPath(relpath).parts if isinstance(relpath, str) else ()
    if not parts or relpath.startswith("/") or ".." in parts or "\\" in relpath or has_git_part(relpath):
        raise TrailError(f"refusing unsafe path {str(relpath)[:200]!r} in {where}")
    if not relpath.isprintable():  # a file name that would retitle or rewrite the terminal of whoever lists it
        raise TrailError(f"refusing unsafe path {relpath[:200]!r} in {where}")
    return relpath


def check_artifact_path(path: str, where: str) -> str:
    """The path itself when a download may be named after it: relative, every part a name (no empty, `.`,
    `..` or `.git` part, so its last part is never the current folder), no backslash or control character."""
    parts = path.split("/") if isinstance(path, str) else [""]
    if path.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\\" in path:
        raise TrailError(f"refusing artifact path {str(path)[:200]!r} in {where}")
    if has_git_part(path) or not path.isprintable():
        raise TrailError(f"refusing artifact path {path[:200]!r} in {where}: a .git part or a control character")
    return path


@dataclass(frozen=True)
class DataRef:
    """An artifact's content address, as dvc.lock or a .dvc file records it (hash checked on creation)."""

    md5: str
    hash_name: str = "md5"
    path: str = ""
    size: int | None = None  # bytes of a file output, as recorded; bounds what a download reads

    def __post_init__(self) -> None:
        check_oid(self.md5, self.path or "a data reference")
        check_size(self.size, self.path or "a data reference")

    @property
    def is_dir(self) -> bool:
        """Whether the address is a directory's `.dir` manifest."""
        return self.md5.endswith(".dir")


@dataclass(frozen=True)
class DataObject:
    """One object in a DVC cache or remote; `relpath` names the file of the artifact it holds."""

    oid: str
    relpath: str
    size: int | None = None

    def __post_init__(self) -> None:
        check_size(self.size, self.relpath or "a data object")


def parse_manifest(data: bytes, ref: DataRef) -> list[DataObject]:
    """The files a `.dir` manifest lists, every hash and path checked; a TrailError if it is corrupt."""
    import hashlib  # here: OpenSSL costs 3 ms, and `diff` and `metrics` read sizes but hash nothing

    if hashlib.md5(data).hexdigest() != ref.md5.removesuffix(".dir"):  # noqa: S324 - content address
        raise TrailError(f"the manifest of {ref.path} ({ref.md5}) is corrupt")
    where = f"the manifest of {ref.path} ({ref.md5})"
    try:
        entries = json.loads(data)
        objects = []
        for entry in entries:
            objects.append(
                DataObject(
                    check_oid(entry["md5"], where),
                    check_relpath(entry["relpath"], where),
                    check_size(entry.get("size"), where),
                )
            )
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        raise TrailError(f"{where} is malformed") from None
    if len({o.relpath for o in objects}) != len(objects) or any(o.oid.endswith(".dir") for o in objects):
        raise TrailError(f"{where} is malformed")
    return objects


def read_bounded(src: IO[bytes], limit: int, what: str) -> bytes:
    """At most `limit` bytes of a stream; a TrailError if it holds more."""
    check_size(limit, what)  # `read(-1)` would read it all
    data = src.read(limit + 1)
    if len(data) > limit:
        raise TrailError(f"{what} is larger than {limit} bytes: refused")
    return data


def fresh_file(folder: Path, prefix: str) -> Path:
    """A new empty file with an unpredictable name (`O_EXCL`): never a link a repository planted at a fixed name."""
    import os
    import tempfile

    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".trail-tmp", dir=folder)
    os.close(fd)
    return Path(name)


def copy_bounded(
    src: IO[bytes], dest: Path, limit: int | None, what: str, progress: TransferProgress | None = None
) -> str:
    """Copy a stream to `dest`, reading at most `limit` bytes (+1 to detect more); the md5 of what was copied."""
    check_size(limit, what)  # a negative limit would make `read(-1)` read it all
    import hashlib

    digest = hashlib.md5()  # noqa: S324 - DVC's content address, not a security measure
    total = 0
    with open(dest, "wb") as out:
        while chunk := src.read(CHUNK if limit is None else min(CHUNK, limit + 1 - total)):
            total += len(chunk)
            if limit is not None and total > limit:
                raise Oversized(f"{what} is larger than the {limit} bytes recorded for it: refused")
            digest.update(chunk)
            out.write(chunk)
            if progress is not None:
                progress.advance(nbytes=len(chunk))
    return digest.hexdigest()
