"""One DVC remote's object store, through DVC's filesystems and dvc-data: list, upload and check, download and re-hash.

Part of the DVC adapter (with `adapter.py`, which opens it): the storage backends' exceptions become a TrailError in
one place, `remote_io`.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from dvc_trail.errors import TrailError
from dvc_trail.secrets import mask_secrets
from dvc_trail.store import objects
from dvc_trail.store.objects import MANIFEST_LIMIT, DataObject, DataRef

if TYPE_CHECKING:
    from dvc_trail.render.progress import TransferProgress


@dataclass(frozen=True)
class UploadReport:
    """What an upload left: every object, how many were sent, and those still missing on the remote."""

    objects: list[DataObject]
    uploaded: int
    missing: list[DataObject]  # still not on the remote
    not_cached: list[DataObject]  # neither in the local cache nor on the remote
    error: str | None  # the first upload error, if any


class MissingManifest(TrailError):
    """A directory's `.dir` manifest is neither in the local cache nor on the remote."""


def describe_error(err: BaseException) -> str:
    """A backend exception as one short masked line (its first line, with its type)."""
    text = str(err).strip().splitlines()
    detail = text[0] if text else ""
    return mask_secrets(f"{type(err).__name__}: {detail}" if detail else type(err).__name__)[:300]


@contextlib.contextmanager
def remote_io(label: str, doing: str) -> Iterator[None]:
    """The remote's own errors (botocore, aiohttp, OSError, DVC's) become one TrailError line."""
    try:
        yield
    except (TrailError, AssertionError, AttributeError, NameError):  # ours, or a bug: not the remote's fault
        raise
    except Exception as err:  # noqa: BLE001 - the one boundary to DVC and any storage backend
        # no chain: the backend's own message may hold secrets, and API callers log exception chains
        raise TrailError(f"DVC remote {label}: {doing} failed: {describe_error(err)}") from None


class _ErrorLog(logging.Handler):
    """Collects the errors dvc-data logs (it logs failed transfers instead of raising) and keeps them off stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        self.errors.append(describe_error(exc) if exc else mask_secrets(record.getMessage()))


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


class RemoteStore:
    """One DVC remote's object store, plus the workspace's cache when there is one. Opened by `open_remote`."""

    def __init__(self, config: Any, name: str | None, cache: Any = None) -> None:
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
        self.jobs = int(configured) if str(configured or "").isdigit() else None
        self._config = config
        self._cache = cache
        self._odbs: dict[str, Any] = {}

    def odb(self, hash_name: str) -> Any:
        """DVC's object database on the remote for one hash kind (opened once)."""
        if hash_name not in self._odbs:
            from dvc.fs import get_cloud_fs
            from dvc_data.hashfile.db import get_odb

            with remote_io(self.label, "opening"):
                cls, fs_config, fs_path = get_cloud_fs(self._config, name=self.name)
                if fs_config.pop("worktree", False) or fs_config.get("version_aware"):
                    raise TrailError(f"DVC remote {self.label} is cloud-versioned: trail needs a content-addressed one")
                fs = cls(**fs_config)
            path = fs.join(fs_path, "files", "md5") if hash_name == "md5" else fs_path
            self._odbs[hash_name] = get_odb(fs, path, hash_name=hash_name, **fs_config)
        return self._odbs[hash_name]

    def cache_odb(self, hash_name: str) -> Any:
        """The workspace's DVC cache for one hash kind, or None without a workspace."""
        if self._cache is None:
            return None
        return self._cache.local if hash_name == "md5" else self._cache.legacy

    # --- listing -----------------------------------------------------------------------------

    def objects(self, ref: DataRef) -> list[DataObject]:
        """Every object of an artifact: its file, or a directory's files and then its `.dir` manifest."""
        if not ref.is_dir:
            return [DataObject(ref.md5, ref.path, ref.size)]
        files = [DataObject(o.oid, f"{ref.path}/{o.relpath}", o.size) for o in self._manifest(ref)]
        return [*files, DataObject(ref.md5, f"{ref.path}/ (directory manifest)")]

    def _manifest(self, ref: DataRef, from_remote: bool = False) -> list[DataObject]:
        """A directory's files (relpath inside it, md5, size), from the cache (unless told otherwise) or the remote."""
        data = None
        cache = None if from_remote else self.cache_odb(ref.hash_name)
        what = f"the manifest of {ref.path} ({ref.md5})"
        if cache is not None and cache.exists(ref.md5):
            with open(cache.oid_to_path(ref.md5), "rb") as fobj:
                data = objects.read_bounded(fobj, MANIFEST_LIMIT, what)
        if data is None:
            odb = self.odb(ref.hash_name)
            with remote_io(self.label, "reading the directory manifest"):
                try:
                    with odb.fs.open(odb.oid_to_path(ref.md5), "rb") as fobj:
                        data = objects.read_bounded(fobj, MANIFEST_LIMIT, what)
                except FileNotFoundError:
                    where = "on the remote" if from_remote else "in the local cache or on the remote"
                    raise MissingManifest(f"{what} is not {where}") from None
        return objects.parse_manifest(data, ref)

    def missing(self, objs: list[DataObject], hash_name: str = "md5") -> list[DataObject]:
        """The objects the remote does not have (asks the remote, never DVC's local index of it)."""
        if not objs:
            return []
        odb = self.odb(hash_name)
        with remote_io(self.label, "checking objects"):
            present = set(odb.oids_exist({o.oid for o in objs}, jobs=self.jobs))
        return [o for o in objs if o.oid not in present]

    # --- upload ------------------------------------------------------------------------------

    def upload(self, ref: DataRef, progress: TransferProgress | None = None) -> UploadReport:
        """Send the objects the remote lacks from the local cache, then ask the remote again."""
        from dvc_data.hashfile.hash_info import HashInfo
        from dvc_data.hashfile.transfer import transfer

        objs = self.objects(ref)
        missing = self.missing(objs, ref.hash_name)
        if not missing:
            return UploadReport(objs, 0, [], [], None)
        cache = self.cache_odb(ref.hash_name)
        if cache is None:
            raise TrailError("no local DVC cache to upload from")
        not_cached = [o for o in missing if not cache.exists(o.oid)]
        sendable = [HashInfo(ref.hash_name, o.oid) for o in missing if o not in not_cached]
        callback = progress.callback() if progress is not None else None
        if progress is not None:
            progress.expect(len(sendable))
        with _quiet_dvc_logs() as log, remote_io(self.label, "upload"):
            transfer(cache, self.odb(ref.hash_name), sendable, jobs=self.jobs, cache_odb=cache, **_with(callback))
        if progress is not None:  # DVC reports no bytes for small files and links: count what was sent
            paths = [cache.oid_to_path(h.value) for h in sendable]
            sent = sum(os.path.getsize(p) for p in paths if os.path.exists(p))
            progress.advance(nbytes=max(0, sent - progress.reported))
        still = self.missing(objs, ref.hash_name)
        first_error = next(
            (e for e in log.errors if "failed to transfer" not in e), log.errors[0] if log.errors else None
        )
        return UploadReport(objs, len(missing) - len(still), still, [o for o in not_cached if o in still], first_error)

    # --- download and deep checks ------------------------------------------------------------

    def download(self, ref: DataRef, dest: Path, progress: TransferProgress | None = None) -> int:
        """Write the artifact to `dest` (a file, or a folder for a directory), every hash checked; file count."""
        if ref.is_dir:
            files = self._manifest(ref, from_remote=True)
            dest.mkdir(parents=True, exist_ok=True)
            jobs = [(o, dest / o.relpath) for o in files]
        else:
            jobs = [(DataObject(ref.md5, PurePosixPath(ref.path).name, ref.size), dest)]
        bad = self._fetch(jobs, ref.hash_name, progress)
        if bad:
            names = ", ".join(o.relpath for o in bad[:5]) + (" ..." if len(bad) > 5 else "")
            raise TrailError(f"corrupt download of {ref.path} from DVC remote {self.label}: hash mismatch for {names}")
        return len(jobs)

    def corrupt(
        self, objs: list[DataObject], hash_name: str, scratch: Path, progress: TransferProgress | None = None
    ) -> list[DataObject]:
        """Download objects into `scratch` and re-hash them; those whose content does not match their id."""
        unique = list({o.oid: o for o in objs}.values())
        limits = [o if not o.oid.endswith(".dir") else DataObject(o.oid, o.relpath, MANIFEST_LIMIT) for o in unique]
        bad_oids = {
            o.oid for o in self._fetch([(o, scratch / str(i)) for i, o in enumerate(limits)], hash_name, progress)
        }
        return [o for o in objs if o.oid in bad_oids]

    def _fetch(
        self, jobs: list[tuple[DataObject, Path]], hash_name: str, progress: TransferProgress | None
    ) -> list[DataObject]:
        """Stream each object to its path, reading at most its recorded size; the objects whose hash differs."""
        odb = self.odb(hash_name)
        if progress is not None:
            progress.expect(len(jobs))

        def fetch(job: tuple[DataObject, Path]) -> bool:
            obj, path = job
            path.parent.mkdir(parents=True, exist_ok=True)
            what = f"{obj.relpath} ({obj.oid}) on DVC remote {self.label}"
            try:
                with odb.fs.open(odb.oid_to_path(obj.oid), "rb") as src:
                    digest = objects.copy_bounded(src, path, obj.size, what, progress)
            except FileNotFoundError:
                raise TrailError(f"{obj.relpath} ({obj.oid}) is missing from DVC remote {self.label}") from None
            except objects.Oversized:
                return False  # more bytes than recorded: not the object the hash names
            if hash_name != "md5":
                digest = hash_file(path, hash_name)
            if progress is not None:
                progress.advance(files=1)
            return digest == obj.oid.removesuffix(".dir")

        with remote_io(self.label, "download"):
            if len(jobs) == 1:
                results = [fetch(jobs[0])]
            else:
                with ThreadPoolExecutor(max_workers=self.jobs or min(16, 4 * (os.cpu_count() or 1))) as pool:
                    results = list(pool.map(fetch, jobs))
        return [obj for (obj, _), ok in zip(jobs, results, strict=True) if not ok]

    def probe(self) -> str:
        """Reach the remote once (raises a TrailError if it cannot); says whether its storage exists yet."""
        odb = self.odb("md5")
        fs = odb.fs
        with remote_io(self.label, "connecting"):
            fs.exists(odb.oid_to_path("0" * 32))  # a key lookup: raises on network and credential errors
            if fs.exists(odb.path):
                return "reachable"
            if fs.protocol == "s3":
                bucket = odb.path.split("/", 1)[0]
                if not fs.exists(bucket):
                    raise TrailError(f"DVC remote {self.label}: bucket {bucket!r} does not exist (create it first)")
        return "reachable, empty (nothing uploaded yet)"


def _with(callback: Any) -> dict[str, Any]:
    return {} if callback is None else {"callback": callback}


def hash_file(path: Path, hash_name: str) -> str:
    """DVC 2's dos2unix md5 of a local file."""
    from dvc_data.hashfile.hash import file_md5

    return file_md5(str(path), name=hash_name)
