"""Resolving and fetching through a published registry site: its JSON API says which version a reference names,
its path, hash and DVC remote; the data then comes from that remote with the consumer's own credentials.

Serving code needs no git access and no clone. The site is untrusted like any repository: the JSON is size
bounded and shape checked, the hash must be a DVC md5, the path may hold no `.git` part, and the remote is
opened as an untrusted repository's remote (it never receives credentials configured for another address).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dvc_trail.errors import NotFound, TrailError, UsageError
from dvc_trail.fetching import GetResult, Resolved, download
from dvc_trail.objects import DataRef, check_artifact_path
from dvc_trail.registry import parse_ref
from dvc_trail.secrets import mask_secrets
from dvc_trail.site import paths

if TYPE_CHECKING:
    from dvc_trail.progress import TransferProgress

MAX_JSON = 32 << 20
_REMOTE_NAME = re.compile(r"^[\w.-]{1,100}$")


def read_json(registry: str, rel: str) -> Any:
    """One file of the site's API, parsed, from an http(s) URL, a file:// URL or a folder."""
    scheme = urllib.parse.urlsplit(registry).scheme.lower()
    where = mask_secrets(f"{registry.rstrip('/')}/{rel}")
    if scheme in ("http", "https"):
        url = registry.rstrip("/") + "/" + urllib.parse.quote(rel)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - scheme checked above
                raw = response.read(MAX_JSON + 1)
        except urllib.error.HTTPError as err:
            if err.code == 404:
                raise NotFound(f"not in the registry: {where}") from None
            raise TrailError(f"cannot read {where}: HTTP {err.code}") from None
        except (urllib.error.URLError, OSError) as err:
            raise TrailError(f"cannot read {where}: {getattr(err, 'reason', err)}") from None
    elif scheme in ("", "file") or re.match(r"^[A-Za-z]$", scheme):
        folder = Path(urllib.parse.unquote(urllib.parse.urlsplit(registry).path) if scheme == "file" else registry)
        try:
            with open(folder / rel, "rb") as handle:
                raw = handle.read(MAX_JSON + 1)
        except FileNotFoundError:
            raise NotFound(f"not in the registry: {where}") from None
        except OSError as err:
            raise TrailError(f"cannot read {where}: {err.strerror}") from None
    else:
        raise UsageError(f"refusing registry {mask_secrets(registry)!r}: give an http(s) URL or a folder")
    if len(raw) > MAX_JSON:
        raise TrailError(f"{where} is larger than {MAX_JSON >> 20} MiB: refused")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # `[[[[...` exhausts the parser's recursion
        raise TrailError(f"malformed JSON in {where}") from None


def _field(doc: Any, key: str, kind: type, where: str) -> Any:
    value = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(value, kind):
        raise TrailError(f"malformed registry file {where}: `{key}` missing or not a {kind.__name__}")
    return value


def resolve_data(ref: str, registry: str) -> tuple[Resolved, DataRef, dict[str, str]]:
    """What a reference names in the registry site, the data address it records, and its DVC remote."""
    parsed = parse_ref(ref)
    artifact = read_json(registry, paths.artifact_api(parsed.name))
    where = paths.artifact_api(parsed.name)
    versions = [v.get("version") for v in _field(artifact, "versions", list, where) if isinstance(v, dict)]
    stages = _field(artifact, "stages", dict, where)
    if parsed.version:
        if parsed.version not in versions:
            raise NotFound(f"{parsed.name}@{parsed.version} is not an active registered version in the registry")
        version = parsed.version
    elif parsed.stage:
        version = stages.get(parsed.stage)
        if not isinstance(version, str):
            raise NotFound(f"no version of {parsed.name} is in stage {parsed.stage!r}")
    else:
        version = artifact.get("latest")
        if not isinstance(version, str):
            raise NotFound(f"{parsed.name} has no active registered version")
    where = paths.version_api(parsed.name, version)
    doc = read_json(registry, where)
    path, digest = _field(doc, "path", str, where), _field(doc, "hash", dict, where)
    check_artifact_path(path, where)
    size = digest.get("size")
    data = DataRef(_field(digest, "md5", str, where), "md5", path, size if isinstance(size, int) else None)
    remote = _field(doc, "remote", dict, where)
    name, url = _field(remote, "name", str, where), _field(remote, "url", str, where)
    if not _REMOTE_NAME.match(name) or any(c in url for c in "\0\r\n"):
        raise TrailError(f"malformed DVC remote in {where}")
    show = _field(doc, "show", dict, where)
    resolved = Resolved(
        parsed.name,
        version,
        _field(doc, "commit", str, where),
        [s for s in show.get("stages") or [] if isinstance(s, str)],
        path,
        data.md5,
        data.hash_name,
        registry,
    )
    return resolved, data, {"name": name, "url": url}


def resolve(ref: str, registry: str) -> Resolved:
    """What `NAME`, `NAME@vX.Y.Z` or `NAME#STAGE` points at in a registry site (never imports DVC)."""
    return resolve_data(ref, registry)[0]


def get(
    ref: str,
    registry: str,
    out: str | os.PathLike | None = None,
    force: bool = False,
    progress: TransferProgress | None = None,
) -> GetResult:
    """The finished download of what a reference names in a registry site, from its DVC remote (hashes checked)."""
    from dvc_trail import dvc

    resolved, data, remote = resolve_data(ref, registry)
    if "://" not in remote["url"] and not os.path.isabs(remote["url"]):
        raise TrailError(
            f"the DVC remote {remote['name']!r} in the registry is a folder relative to a work tree "
            f"({remote['url']}): get from a clone (--repo) or give the project a shared remote (S3 ...)"
        )
    with tempfile.TemporaryDirectory(prefix="trail-registry-") as scratch:
        config = Path(scratch) / ".dvc"
        config.mkdir()
        (config / "config").write_text(
            f"[core]\n    remote = {remote['name']}\n['remote \"{remote['name']}\"']\n    url = {remote['url']}\n"
        )
        store = dvc.open_remote_from_config(config)
        return download(resolved, data, store, out, force, progress)


@contextlib.contextmanager
def open_file(ref: str, registry: str, mode: str = "rb") -> Iterator[IO[Any]]:
    """A file artifact from a registry site, downloaded (hash checked) into a temporary folder removed afterwards."""
    if mode not in ("r", "rb", "rt"):
        raise UsageError(f"mode must be 'r' or 'rb', not {mode!r}")
    with tempfile.TemporaryDirectory(prefix="trail-open-") as tmp:
        result = get(ref, registry, Path(tmp) / "artifact")
        if result.out.is_dir():
            raise TrailError(f"{ref} is a directory ({result.resolved.path}): use get() instead of open()")
        with open(result.out, mode) as fobj:
            yield fobj
