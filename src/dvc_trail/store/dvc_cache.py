"""The local DVC cache read without DVC: its folder, object paths from validated hashes, bounded reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dvc_trail.dvcfiles.documents import valid_hash
from dvc_trail.errors import TrailError
from dvc_trail.store.worktree import read_regular, read_workspace_file

MAX_FILE = 16 * 2**20  # a metrics or params file larger than this is not a metrics file
MAX_MANIFEST = 64 * 2**20  # a `.dir` manifest of about half a million files


@dataclass(frozen=True)
class CacheRead:
    """A file inside a cached output: its bytes, or the object the local cache lacks (both None: no such file)."""

    data: bytes | None = None
    missing: str | None = None


def cache_dir(root: Path) -> Path:
    """The cache folder DVC uses for the project at `root`: `cache.dir` from its config, else `.dvc/cache`."""
    import configparser  # here: most reads never reach the cache

    dvc_dir = root / ".dvc"
    found = dvc_dir / "cache"
    for name in ("config", "config.local"):  # config.local wins, as in DVC
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        raw = read_workspace_file(root, f".dvc/{name}", dvc_config=True)  # a link out of the repository is refused
        try:
            parser.read_string((raw or b"").decode(errors="replace"))
        except configparser.Error:
            continue
        value = next((parser[s].get("dir") for s in parser.sections() if s.strip().strip("'\"") == "cache"), None)
        if value:
            found = dvc_dir / value.strip().strip("'\"")
    return found


class LocalCache:
    """Objects of one project's local DVC cache (DVC 3's `files/md5` layout, and DVC 2's beside it)."""

    def __init__(self, root: Path) -> None:
        self.dir = cache_dir(root)
        self._prefixes = (f"{self.dir}/files/md5/", f"{self.dir}/")  # plain strings: one join per object
        self._manifests: dict[str, dict[str, str]] = {}

    def paths(self, md5: str) -> list[str]:
        """Where an object can be: DVC 3's layout, then DVC 2's. Refuses anything but a DVC hash."""
        if not valid_hash(md5):
            raise TrailError(f"malformed DVC hash {md5[:80]!r} in the repository")
        return [f"{prefix}{md5[:2]}/{md5[2:]}" for prefix in self._prefixes]

    def read(self, md5: str, limit: int = MAX_FILE) -> bytes | None:
        """An object's bytes, checked against its hash; None when the local cache does not have it."""
        for path in self.paths(md5):
            data = read_regular(path, limit)  # never a FIFO or a device (a clone can commit `.dvc/cache`)
            if data is None:
                continue
            want = md5.removesuffix(".dir")
            if want not in (_md5(data), _md5(data.replace(b"\r\n", b"\n"))):  # DVC 2 hashed text as dos2unix
                raise TrailError(f"corrupt object in the DVC cache: {path} does not match its hash (run `dvc pull`)")
            return data
        return None

    def manifest(self, md5: str) -> dict[str, str] | None:
        """A directory's {relpath: md5} from its `.dir` object; None when the local cache does not have it."""
        if md5 not in self._manifests:  # only found ones are kept: a fetch may bring the others
            data = self.read(md5, MAX_MANIFEST)
            if data is None:
                return None
            self._manifests[md5] = _entries(data, md5)
        return self._manifests[md5]

    def lookup(self, out_path: str, out_md5: str, path: str) -> CacheRead:
        """The file `path` from the output `out_path` (a file, or a folder holding it) with hash `out_md5`."""
        self.paths(out_md5)  # a malformed hash is refused whatever is asked
        if not out_md5.endswith(".dir"):
            if path != out_path:
                return CacheRead()
            data = self.read(out_md5)
            return CacheRead(data, None if data is not None else out_md5)
        entries = self.manifest(out_md5)
        if entries is None:
            return CacheRead(missing=out_md5)
        md5 = entries.get(path[len(out_path) + 1 :]) if path.startswith(out_path + "/") else None
        if md5 is None:
            return CacheRead()
        data = self.read(md5)
        return CacheRead(data, None if data is not None else md5)


def _md5(data: bytes) -> str:
    import hashlib

    return hashlib.md5(data).hexdigest()  # noqa: S324 - DVC's content address, not a security measure


def _entries(data: bytes, md5: str) -> dict[str, str]:
    import json

    try:
        doc = json.loads(data)
        entries = {str(e["relpath"]): str(e["md5"]) for e in doc}
    except (ValueError, TypeError, KeyError, RecursionError):
        raise TrailError(f"malformed directory manifest {md5} in the DVC cache") from None
    return {rel: h for rel, h in entries.items() if valid_hash(h)}
