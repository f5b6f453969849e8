"""The only module that imports DVC, lazily: data operations (repro, push) and remote object stores."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import posixpath
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dvc_trail.errors import TrailError, mask_secrets


@contextlib.contextmanager
def _repo(root: Path) -> Iterator:
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with contextlib.chdir(root), _venv_on_path(), Repo(str(root)) as repo:
            yield repo
    except DvcException as err:
        raise TrailError(f"dvc: {err}") from None


@contextlib.contextmanager
def _venv_on_path() -> Iterator[None]:
    """Stage commands (`python src/...`) must find this interpreter, venv activated or not.

    DVC's Python API also expects to run from the repository root, hence the chdir above.
    """
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old])
    try:
        yield
    finally:
        os.environ["PATH"] = old


def repro(root: Path) -> list[str]:
    """Run the pipeline (`dvc repro`); returns the names of the stages that ran."""
    with _repo(root) as repo:
        return [stage.addressing for stage in repo.reproduce()]


def push(root: Path, remote: str | None = None) -> int:
    """Upload cached outputs to the DVC remote (`dvc push`); returns how many objects were sent."""
    with _repo(root) as repo:
        return int(repo.push(remote=remote))


def fetch_objects(root: Path, md5s: list[str], remote: str | None = None) -> list[str]:
    """Download single objects (files or `.dir` manifests, by md5) from the DVC remote into the local cache.

    Each is hash-checked before it is moved into place; returns the ones the remote does not have.
    """
    from dvc_trail.dvcfiles import valid_hash

    bad = [m for m in md5s if not valid_hash(m)]
    if bad:
        raise TrailError(f"malformed DVC hash {bad[0][:80]!r}")
    missing = []
    with open_remote(root, remote) as store:
        odb, cache = store.odb("md5"), store.cache_odb("md5")
        with _remote_io(store.label, "download"):
            for md5 in md5s:
                dest = Path(cache.oid_to_path(md5))
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(f".{dest.name}.trail-tmp")
                try:
                    odb.fs.get_file(odb.oid_to_path(md5), str(tmp))
                except FileNotFoundError:
                    missing.append(md5)
                    continue
                if hash_file(tmp) != md5.removesuffix(".dir"):
                    tmp.unlink(missing_ok=True)
                    raise TrailError(f"corrupt download of object {md5} from DVC remote {store.label}")
                os.replace(tmp, dest)
    return missing


# --- remotes: an artifact's objects, upload and check, download and re-hash ----------------------


@dataclass(frozen=True)
class DataRef:
    """An artifact's content address, as dvc.lock or a .dvc file records it."""

    md5: str
    hash_name: str = "md5"
    path: str = ""

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")


@dataclass(frozen=True)
class DataObject:
    """One object in a DVC cache or remote; `relpath` names the file of the artifact it holds."""

    oid: str
    relpath: str


@dataclass(frozen=True)
class UploadReport:
    objects: list[DataObject]
    uploaded: int
    missing: list[DataObject]  # still not on the remote
    not_cached: list[DataObject]  # neither in the local cache nor on the remote
    error: str | None  # the first upload error, if any


class MissingManifest(TrailError):
    """A directory's `.dir` manifest is neither in the local cache nor on the remote."""


def _describe(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    detail = text[0] if text else ""
    return mask_secrets(f"{type(err).__name__}: {detail}" if detail else type(err).__name__)[:300]


@contextlib.contextmanager
def _remote_io(label: str, doing: str) -> Iterator[None]:
    """The remote's own errors (botocore, aiohttp, OSError, DVC's) become one TrailError line."""
    try:
        yield
    except (TrailError, AssertionError, AttributeError, NameError):  # ours, or a bug: not the remote's fault
        raise
    except Exception as err:  # noqa: BLE001 - the boundary to any storage backend (botocore, aiohttp, OSError)
        raise TrailError(f"DVC remote {label}: {doing} failed: {_describe(err)}") from err


class _ErrorLog(logging.Handler):
    """Collects the errors dvc-data logs (it logs failed transfers instead of raising) and keeps them off stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        self.errors.append(_describe(exc) if exc else mask_secrets(record.getMessage()))


@contextlib.contextmanager
def _quiet_dvc_logs() -> Iterator[_ErrorLog]:
    handler = _ErrorLog()
    loggers = [logging.getLogger(name) for name in ("dvc", "dvc_data", "dvc_objects")]
    for log in loggers:
        log.addHandler(handler)
    try:
        yield handler
    finally:
        for log in loggers:
            log.removeHandler(handler)


def hash_file(path: Path, hash_name: str = "md5") -> str:
    """DVC's content hash of a local file (plain md5, or DVC 2's dos2unix md5)."""
    if hash_name == "md5":
        digest = hashlib.md5()  # noqa: S324 - DVC's content address, not a security measure
        with open(path, "rb") as fobj:
            while chunk := fobj.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()
    from dvc_data.hashfile.hash import file_md5

    return file_md5(str(path), name=hash_name)


def _safe_relpath(relpath: str, where: str) -> str:
    parts = PurePosixPath(relpath).parts
    if not parts or relpath.startswith("/") or ".." in parts:
        raise TrailError(f"refusing unsafe path {relpath!r} in {where}")
    return relpath


class RemoteStore:
    """One DVC remote's object store, plus the workspace's cache when there is one. Opened by `open_remote`."""

    def __init__(self, config: Any, name: str | None, cache: Any = None, jobs: int | None = None) -> None:
        remotes = config.get("remote", {})
        name = name or config.get("core", {}).get("remote")
        if not name:
            raise TrailError("no DVC remote configured: add one with `dvc remote add -d NAME URL`")
        if name not in remotes:
            known = ", ".join(sorted(remotes)) or "none"
            raise TrailError(f"no DVC remote named {name!r} (configured: {known}); see `dvc remote list`")
        self.name = name
        self.url = str(remotes[name].get("url", ""))
        self.label = f"{name!r} ({mask_secrets(self.url)})"
        configured = remotes[name].get("jobs")  # DVC's own `dvc remote modify NAME jobs N`
        self.jobs = jobs or (int(configured) if str(configured or "").isdigit() else None)
        self._config = config
        self._cache = cache
        self._odbs: dict[str, Any] = {}

    def odb(self, hash_name: str) -> Any:
        if hash_name not in self._odbs:
            from dvc.fs import get_cloud_fs
            from dvc_data.hashfile.db import get_odb

            with _remote_io(self.label, "opening"):
                cls, fs_config, fs_path = get_cloud_fs(self._config, name=self.name)
                if fs_config.pop("worktree", False) or fs_config.get("version_aware"):
                    raise TrailError(f"DVC remote {self.label} is cloud-versioned: trail needs a content-addressed one")
                fs = cls(**fs_config)
            path = fs.join(fs_path, "files", "md5") if hash_name == "md5" else fs_path
            self._odbs[hash_name] = get_odb(fs, path, hash_name=hash_name, **fs_config)
        return self._odbs[hash_name]

    def cache_odb(self, hash_name: str) -> Any:
        if self._cache is None:
            return None
        return self._cache.local if hash_name == "md5" else self._cache.legacy

    # --- listing -----------------------------------------------------------------------------

    def objects(self, ref: DataRef) -> list[DataObject]:
        """Every object of an artifact: its file, or a directory's files and then its `.dir` manifest."""
        if not ref.is_dir:
            return [DataObject(ref.md5, ref.path)]
        entries = self._manifest(ref)
        files = [DataObject(md5, posixpath.join(ref.path, rel)) for rel, md5 in entries]
        return [*files, DataObject(ref.md5, f"{ref.path}/ (directory manifest)")]

    def _manifest(self, ref: DataRef, from_remote: bool = False) -> list[tuple[str, str]]:
        """A directory's (relpath, md5) entries, read from the cache (unless told otherwise) or the remote."""
        data = None
        cache = None if from_remote else self.cache_odb(ref.hash_name)
        if cache is not None and cache.exists(ref.md5):
            data = Path(cache.oid_to_path(ref.md5)).read_bytes()
        if data is None:
            odb = self.odb(ref.hash_name)
            with _remote_io(self.label, "reading the directory manifest"):
                try:
                    data = odb.fs.cat_file(odb.oid_to_path(ref.md5))
                except FileNotFoundError:
                    where = "on the remote" if from_remote else "in the local cache or on the remote"
                    raise MissingManifest(f"the manifest of {ref.path} ({ref.md5}) is not {where}") from None
        if hashlib.md5(data).hexdigest() != ref.md5.removesuffix(".dir"):  # noqa: S324 - content address
            raise TrailError(f"the manifest of {ref.path} ({ref.md5}) is corrupt")
        try:
            entries = json.loads(data)
            return [(_safe_relpath(e["relpath"], ref.md5), str(e["md5"])) for e in entries]
        except (ValueError, TypeError, KeyError):
            raise TrailError(f"the manifest of {ref.path} ({ref.md5}) is malformed") from None

    def missing(self, objects: list[DataObject], hash_name: str = "md5") -> list[DataObject]:
        """The objects the remote does not have (asks the remote, never DVC's local index of it)."""
        if not objects:
            return []
        odb = self.odb(hash_name)
        with _remote_io(self.label, "checking objects"):
            present = set(odb.oids_exist({o.oid for o in objects}, jobs=self.jobs))
        return [o for o in objects if o.oid not in present]

    # --- upload ------------------------------------------------------------------------------

    def upload(self, ref: DataRef) -> UploadReport:
        """Send the objects the remote lacks from the local cache, then ask the remote again."""
        from dvc_data.hashfile.hash_info import HashInfo
        from dvc_data.hashfile.transfer import transfer

        objects = self.objects(ref)
        missing = self.missing(objects, ref.hash_name)
        if not missing:
            return UploadReport(objects, 0, [], [], None)
        cache = self.cache_odb(ref.hash_name)
        if cache is None:
            raise TrailError("no local DVC cache to upload from")
        not_cached = [o for o in missing if not cache.exists(o.oid)]
        sendable = [HashInfo(ref.hash_name, o.oid) for o in missing if o not in not_cached]
        with _quiet_dvc_logs() as log, _remote_io(self.label, "upload"):
            transfer(cache, self.odb(ref.hash_name), sendable, jobs=self.jobs, cache_odb=cache)
        still = self.missing(objects, ref.hash_name)
        first_error = next(
            (e for e in log.errors if "failed to transfer" not in e), log.errors[0] if log.errors else None
        )
        return UploadReport(
            objects, len(missing) - len(still), still, [o for o in not_cached if o in still], first_error
        )

    # --- download and deep checks ------------------------------------------------------------

    def download(self, ref: DataRef, dest: Path) -> int:
        """Write the artifact to `dest` (a file, or a folder for a directory), checking every hash; file count."""
        odb = self.odb(ref.hash_name)
        if ref.is_dir:
            pairs = [(md5, rel, dest / rel) for rel, md5 in self._manifest(ref, from_remote=True)]
            dest.mkdir(parents=True, exist_ok=True)
        else:
            pairs = [(ref.md5, PurePosixPath(ref.path).name, dest)]
        if not pairs:
            return 0
        with _remote_io(self.label, "download"):
            try:
                odb.fs.get(
                    [odb.oid_to_path(md5) for md5, _, _ in pairs], [str(p) for *_, p in pairs], batch_size=self.jobs
                )
            except FileNotFoundError:
                gone = self.missing([DataObject(md5, rel) for md5, rel, _ in pairs], ref.hash_name)
                names = ", ".join(o.relpath for o in gone[:5]) + (" ..." if len(gone) > 5 else "")
                raise TrailError(
                    f"{len(gone) or 'some'} object(s) of {ref.path} missing from the remote: {names}"
                ) from None
        bad = [rel for md5, rel, path in pairs if hash_file(path, ref.hash_name) != md5]
        if bad:
            names = ", ".join(bad[:5]) + (" ..." if len(bad) > 5 else "")
            raise TrailError(f"corrupt download of {ref.path} from DVC remote {self.label}: hash mismatch for {names}")
        return len(pairs)

    def corrupt(self, objects: list[DataObject], hash_name: str, scratch: Path) -> list[DataObject]:
        """Download objects into `scratch` and re-hash them; those whose content does not match their id."""
        odb = self.odb(hash_name)
        unique = list({o.oid: o for o in objects}.values())
        paths = [scratch / f"{i}" for i in range(len(unique))]
        with _remote_io(self.label, "download"):
            odb.fs.get([odb.oid_to_path(o.oid) for o in unique], [str(p) for p in paths], batch_size=self.jobs)
        bad_oids = {
            o.oid for o, p in zip(unique, paths, strict=True) if hash_file(p, hash_name) != o.oid.removesuffix(".dir")
        }
        return [o for o in objects if o.oid in bad_oids]

    def probe(self) -> str:
        """Reach the remote once (raises a TrailError if it cannot); says whether its storage exists yet."""
        odb = self.odb("md5")
        fs = odb.fs
        with _remote_io(self.label, "connecting"):
            fs.exists(odb.oid_to_path("0" * 32))  # a key lookup: raises on network and credential errors
            if fs.exists(odb.path):
                return "reachable"
            if fs.protocol == "s3":
                bucket = odb.path.split("/", 1)[0]
                if not fs.exists(bucket):
                    raise TrailError(f"DVC remote {self.label}: bucket {bucket!r} does not exist (create it first)")
        return "reachable, empty (nothing uploaded yet)"


@contextlib.contextmanager
def open_remote(root: Path, remote: str | None = None) -> Iterator[RemoteStore]:
    """The DVC remote of a workspace (its config, config.local included) with the workspace's cache."""
    with _repo(root) as repo:
        yield RemoteStore(repo.config, remote, cache=repo.cache)


def open_remote_from_config(dvc_dir: Path, remote: str | None = None) -> RemoteStore:
    """A DVC remote from a `.dvc` folder's config (plus the user's global and system config), no cache.

    Used by `trail get`: no Repo, no workspace, just enough DVC to reach the remote.
    """
    from dvc.config import Config
    from dvc.exceptions import DvcException

    try:
        config = Config(dvc_dir=str(dvc_dir))
    except DvcException as err:
        raise TrailError(f"dvc config: {_describe(err)}") from None
    return RemoteStore(config, remote)


def dvc_version() -> str:
    from dvc import __version__

    return __version__
