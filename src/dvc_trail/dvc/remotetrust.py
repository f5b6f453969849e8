"""Which of the user's credentials a remote of an untrusted repository may carry, and to which endpoint.

DVC merges the user's system and global config (and a work tree's `config.local`) into every repository's,
and a remote's `url` may be `remote://OTHER/sub`, inheriting OTHER's settings and keys. Two rules, decided
on the resolved chain, before DVC sees the config:

- stored credentials: a remote the repository's tracked config sets *any* key on (a value that differs from
  the user's own) loses every credential and authentication key of the user's global and system config, and
  a repository remote that refers to another one and sets any key of its own inherits none of the other's
  (config.local's included). A bare `url = remote://corp/sub` keeps `corp`'s, sent to `corp`'s endpoint.
- environment and profile credentials (AWS, Google, Alibaba OSS) go only to endpoints the user chose: the
  provider's own (no endpoint set), `AWS_ENDPOINT_URL(_S3)`, one the user's own DVC config sets for the
  remote, or one in the allow list (`TRAIL_ALLOWED_ENDPOINTS`, `allowed_endpoints` in
  `$XDG_CONFIG_HOME/trail/config.yaml`). Any other endpoint makes the remote refused, before any request.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dvc_trail.secrets import AUTH_KEYS

ALLOW_ENV = "TRAIL_ALLOWED_ENDPOINTS"
MAX_CHAIN = 16  # remote:// references followed from one remote
_ENDPOINT_KEY = {"s3": "endpointurl", "gs": "endpointurl", "gcs": "endpointurl", "oss": "oss_endpoint"}
_ENV_ENDPOINTS = {"s3": ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")}
# Keys a repository must not set at all: a command DVC's webdav plugin runs, and prompts that would ask the user
# for a password on the repository's behalf (to send to the address the repository names).
_USER_ONLY = ("bearer_token_command", "ask_password", "ask_passphrase")
_USERINFO = re.compile(r"(?i)^([a-z][a-z0-9+.-]*://)[^/?#]*@")


@dataclass(frozen=True)
class UntrustedRemotes:
    """The `remote` section DVC gets (references resolved) and the remotes that must not be opened, with why."""

    remotes: dict[str, dict] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def _without_auth(entry: Mapping) -> dict:
    kept = {key: value for key, value in entry.items() if key not in AUTH_KEYS}
    if "url" in kept:
        kept["url"] = _USERINFO.sub(r"\1", str(kept["url"]))
    return kept


def _reference(url: object) -> urllib.parse.SplitResult | None:
    text = str(url or "")
    return urllib.parse.urlsplit(text) if text[:9].lower() == "remote://" else None


def remotes_for_untrusted(
    user_levels: list[dict[str, dict]],
    repo: dict[str, dict],
    local: dict[str, dict] | None = None,
    environ: Mapping[str, str] | None = None,
) -> UntrustedRemotes:
    """The remotes of a repository trail does not trust, from DVC's levels (see the module's rules).

    `user_levels` are the user's system and global `remote` sections, `repo` the tracked config's, `local`
    the untracked `config.local` of the user's own work tree (the user's, merged last as DVC does).
    """
    local = local or {}
    user: dict[str, dict] = {}
    for level in user_levels:
        for name, entry in level.items():
            user.setdefault(name, {}).update(entry)
    mine = {name: {**user.get(name, {}), **local.get(name, {})} for name in {*user, *local, *repo}}
    merged, touched, result = {}, set(), UntrustedRemotes()
    for name in mine:
        theirs = {k: v for k, v in repo.get(name, {}).items() if k not in local.get(name, {})}
        changed = {k for k, v in theirs.items() if k not in mine[name] or str(mine[name][k]) != str(v)}
        if forbidden := sorted(changed.intersection(_USER_ONLY)):
            result.refused[name] = (
                f"refusing DVC remote {name!r}: its repository sets {', '.join(forbidden)}, which only your own "
                "DVC config may set (`dvc remote modify --global` or `--local`)"
            )
        if changed - ({"url"} if _reference(theirs.get("url")) else set()):
            touched.add(name)  # inherits nothing through a reference either
        own = _without_auth(user.get(name, {})) if changed else user.get(name, {})
        merged[name] = {**own, **repo.get(name, {}), **local.get(name, {})}
    for name in merged:
        _resolve(name, merged, touched, result)
    env = os.environ if environ is None else environ
    for name, entry in result.remotes.items():
        if name not in result.refused and (why := _refused_endpoint(name, entry, mine, merged, env)):
            result.refused[name] = why
    return result


def _chain(name: str, merged: dict[str, dict]) -> tuple[list[str], str | None]:
    """The remote and those it refers to (`remote://`), nearest first; or why the chain cannot be followed."""
    chain = [name]
    while (ref := _reference(merged[chain[-1]].get("url"))) is not None:
        base = ref.netloc.lower()
        if base in chain or len(chain) > MAX_CHAIN:
            return chain, f"DVC remote {name!r} refers to itself or too deep through remote:// URLs"
        if base not in merged or "url" not in merged[base]:
            return chain, f"DVC remote {name!r} refers to remote {base!r}, which is not configured"
        chain.append(base)
    return chain, None


def _resolve(name: str, merged: dict[str, dict], touched: set[str], result: UntrustedRemotes) -> None:
    """DVC's `_resolve_remote_refs` ahead of DVC: `{**base, **remote, url: base_url/sub}`, nearest wins."""
    chain, problem = _chain(name, merged)
    problem = problem or next((result.refused[n] for n in chain if n in result.refused), None)
    if problem:  # a loop, or a remote (or one it refers to) that sets what only the user may set
        result.refused[name] = problem
        result.remotes[name] = merged[name]
        return
    entry, moved = dict(merged[chain[-1]]), chain[-1] in touched
    for i in range(len(chain) - 2, -1, -1):
        current = merged[chain[i]]
        if chain[i] in touched:  # the repository set keys of its own: nothing of the user's is inherited
            entry = _without_auth(entry)
        ref = _reference(current["url"])
        assert ref is not None
        entry = {**entry, **current, "url": f"{entry['url']}/{ref.path.lstrip('/')}"}
        if moved:  # a remote the repository set keys on decides the address: no credential follows it
            entry = _without_auth(entry)
        moved = moved or chain[i] in touched
    result.remotes[name] = entry


def _refused_endpoint(
    name: str, entry: dict, mine: dict[str, dict], merged: dict[str, dict], env: Mapping[str, str]
) -> str | None:
    """Why `entry` must not be opened: an endpoint, for a cloud whose SDK sends ambient credentials, that the
    user did not choose; None when it is the provider's own, the user's or allowed."""
    scheme = urllib.parse.urlsplit(str(entry.get("url", ""))).scheme.lower()
    key = _ENDPOINT_KEY.get(scheme)
    endpoint = str(entry.get(key) or "") if key else ""
    if not endpoint:
        return None
    wanted = normalize_endpoint(endpoint)
    chosen = [env.get(var, "") for var in _ENV_ENDPOINTS.get(scheme, ())]
    chosen += [str(mine.get(n, {}).get(key) or "") for n in _chain(name, merged)[0]]
    if any(c and normalize_endpoint(c) == wanted for c in chosen):
        return None
    allowed, where = allowed_endpoints(env)
    if wanted in {normalize_endpoint(a) for a in allowed}:
        return None
    return (
        f"refusing endpoint {endpoint} of DVC remote {name!r}: the repository names it, and your credentials "
        f"would be sent there; if you trust it, add it to {ALLOW_ENV} or to allowed_endpoints in {where}"
    )


def normalize_endpoint(url: str) -> str:
    """An endpoint URL for comparison: scheme and host lower-cased, default port and trailing `/` dropped."""
    text = url.strip()
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urllib.parse.urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, parts.fragment))


def user_config_file(env: Mapping[str, str] | None = None) -> Path:
    """The user's trail config: `$XDG_CONFIG_HOME/trail/config.yaml`, else `~/.config/trail/config.yaml`."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "trail" / "config.yaml"


def allowed_endpoints(env: Mapping[str, str] | None = None) -> tuple[list[str], str]:
    """The user's allow list (environment, then config file) and the file's path, for messages."""
    from dvc_trail.dvcfiles.documents import load_yaml
    from dvc_trail.errors import TrailError

    env = os.environ if env is None else env
    path = user_config_file(env)
    allowed = [part for part in re.split(r"[\s,]+", env.get(ALLOW_ENV, "")) if part]
    if path.is_file():
        doc = load_yaml(path.read_bytes(), str(path)) or {}
        listed = doc.get("allowed_endpoints", []) if isinstance(doc, dict) else None
        if not isinstance(listed, list) or not all(isinstance(a, str) for a in listed):
            raise TrailError(f"malformed {path}: allowed_endpoints must be a list of URLs")
        allowed += listed
    return allowed, str(path)
