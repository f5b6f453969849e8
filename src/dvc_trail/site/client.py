"""Resolving and fetching through a published registry site: its JSON API says which version a reference names,
its path, hash and DVC remote; the data then comes from that remote with the consumer's own credentials.

Serving code needs no git access and no clone. The site is untrusted like any repository: each file is read
within a size bound and a deadline (`site/reading.py`) and checked against trail's own copy of the API schema
(`site/schema.py`), the hash must be a DVC md5, the path may hold no `.git` part, the remote must be a network
remote of a known type (a site on the web names no local folder and no loopback host), and it is opened as an
untrusted repository's remote (it never receives credentials configured for another address).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import socket
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dvc_trail.errors import NotFound, TrailError
from dvc_trail.registry.references import parse_ref
from dvc_trail.secrets import mask_secrets
from dvc_trail.sharing.fetch import GetResult, Resolved, download, open_download
from dvc_trail.site import paths, reading, schema
from dvc_trail.store.objects import DataRef, check_artifact_path

if TYPE_CHECKING:
    from dvc_trail.render.progress import TransferProgress

_REMOTE_NAME = re.compile(r"[\w.-]{1,100}")  # fullmatch: `$` would let a final newline into the config
# DVC remote types a site may name (`remote://` would reach the reader's own configured remote)
_REMOTE_SCHEMES = {"s3", "gs", "azure", "http", "https", "ssh", "webdav", "webdavs", "webhdfs", "hdfs", "oss"}


def read_json(registry: str, rel: str, kind: str, timeout: float | None = None) -> Any:
    """One file of the site's API, parsed and checked against the shipped schema's `kind`."""
    raw = reading.read_site_file(registry, rel, timeout)
    where = mask_secrets(f"{registry.rstrip('/')}/{rel}")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):  # `[[[[...` exhausts the parser's recursion
        raise TrailError(f"malformed JSON in {where}") from None
    return schema.check(doc, kind, where)


def resolve_data(
    ref: str, registry: str, timeout: float | None = None
) -> tuple[Resolved, DataRef, dict[str, str] | None]:
    """What a reference names in the registry site, the data address it records, and its DVC remote."""
    reading.check_timeout(timeout)
    parsed = parse_ref(ref)
    where = paths.artifact_api(parsed.name)
    artifact = read_json(registry, where, "artifact", timeout)
    versions = [v["version"] for v in artifact["versions"]]
    if parsed.version:
        if parsed.version not in versions:
            raise NotFound(f"{parsed.name}@{parsed.version} is not an active registered version in the registry")
        version = parsed.version
    elif parsed.stage:
        version = artifact["stages"].get(parsed.stage)
        if version is None:
            raise NotFound(f"no version of {parsed.name} is in stage {parsed.stage!r}")
    else:
        version = artifact["latest"]
        if version is None:
            raise NotFound(f"{parsed.name} has no active registered version")
    where = paths.version_api(parsed.name, version)
    doc = read_json(registry, where, "version_file", timeout)
    if (doc["name"], doc["version"]) != (parsed.name, version):  # a file copied from another artifact or version
        raise TrailError(f"{where} describes another version: refused")
    path, digest = doc["path"], doc["hash"]
    if path is None or digest is None:
        raise TrailError(f"{parsed.name}@{version} records no {'path' if path is None else 'hash'} in {where}")
    check_artifact_path(path, where)
    data = DataRef(digest["md5"], "md5", path, digest.get("size"))
    remote = doc["remote"]
    if remote is not None and (not _REMOTE_NAME.fullmatch(remote["name"]) or any(c in remote["url"] for c in "\0\r\n")):
        raise TrailError(f"malformed DVC remote in {where}")
    resolved = Resolved(
        parsed.name, version, doc["commit"], list(doc["show"].get("stages") or []), path, data.md5, "md5", registry
    )
    return resolved, data, remote


def resolve(ref: str, registry: str, timeout: float | None = None) -> Resolved:
    """What `NAME`, `NAME@vX.Y.Z` or `NAME#STAGE` points at in a registry site (never imports DVC)."""
    return resolve_data(ref, registry, timeout)[0]


def _is_local_host(host: str) -> bool:
    """Whether a host name is this machine or a link-local address (a cloud's metadata service), in any spelling
    the system resolver reads as one: `localhost.`, `127.1`, `0x7f.1`, `2130706433`, `0`, `::ffff:127.0.0.1`."""
    host = host.strip("[]").lower().rstrip(".")
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # the resolver reads IPv4 addresses as inet_aton does (short, octal, hex and plain integer forms)
            address = ipaddress.ip_address(socket.inet_aton(host))
        except (OSError, ValueError):
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_link_local or address.is_unspecified


def check_remote(remote: dict[str, str] | None, registry: str, where: str) -> dict[str, str]:
    """A site's DVC remote is a network remote of a known type, and a site on the web names no local one."""
    if remote is None:
        raise TrailError(f"the registry names no DVC remote in {where}")
    url = remote["url"]
    try:  # `https://[x/y` (an unbalanced IPv6 bracket) and a port out of range raise ValueError
        split, site = urllib.parse.urlsplit(url), urllib.parse.urlsplit(registry)
        split.port, site.port  # noqa: B018 - checked here, never later in DVC
    except ValueError:
        raise TrailError(f"malformed DVC remote in {where}") from None
    on_web = site.scheme.lower() in ("http", "https") and not _is_local_host(site.hostname or "")
    shown = mask_secrets(url)[:200]
    if "://" not in url:
        if not os.path.isabs(url):
            raise TrailError(
                f"the DVC remote {remote['name']!r} in the registry is a folder relative to a work tree "
                f"({shown}): get from a clone (--repo) or give the project a shared remote (S3 ...)"
            )
        if on_web:
            raise TrailError(f"refusing DVC remote {shown!r} in {where}: a site on the web names a local folder")
        return remote
    scheme = split.scheme.lower()
    if scheme == "file" and not on_web:
        return remote
    if scheme not in _REMOTE_SCHEMES:
        raise TrailError(f"refusing DVC remote {shown!r} in {where}: not a remote type trail reads from a site")
    if on_web and _is_local_host(split.hostname or ""):
        raise TrailError(f"refusing DVC remote {shown!r} in {where}: a site on the web names this machine")
    return remote


def get(
    ref: str,
    registry: str,
    out: str | os.PathLike | None = None,
    force: bool = False,
    progress: TransferProgress | None = None,
    timeout: float | None = None,
) -> GetResult:
    """The finished download of what a reference names in a registry site, from its DVC remote (hashes checked)."""
    from dvc_trail.dvc import adapter

    resolved, data, found = resolve_data(ref, registry, timeout)
    remote = check_remote(found, registry, paths.version_api(resolved.name, resolved.version))
    with tempfile.TemporaryDirectory(prefix="trail-registry-") as scratch:
        config = Path(scratch) / ".dvc"
        config.mkdir()
        (config / "config").write_text(
            f"[core]\n    remote = {remote['name']}\n['remote \"{remote['name']}\"']\n    url = {remote['url']}\n"
        )
        store = adapter.open_remote_from_config(config)
        return download(resolved, data, store, out, force, progress)


@contextlib.contextmanager
def open_file(ref: str, registry: str, mode: str = "rb", timeout: float | None = None) -> Iterator[IO[Any]]:
    """A file artifact from a registry site, downloaded (hash checked) into a temporary folder removed afterwards."""
    with open_download(ref, mode, lambda dest: get(ref, registry, dest, timeout=timeout)) as fobj:
        yield fobj
