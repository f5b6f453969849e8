"""Credentials: the one list of secret config keys, masking them in text, finding them in a DVC config.

`CREDENTIAL_KEYS` covers every secret DVC's config schema accepts (remotes, `studio`, `db`);
`tests/test_secrets.py` derives that set from the installed DVC's schema and checks this list covers it.
The list is written out here because masking runs on every error message and must never import DVC.
"""

from __future__ import annotations

import os
import re

CREDENTIAL_KEYS = (  # names of secrets, not secrets
    "access_key_id",
    "secret_access_key",
    "session_token",
    "sse_customer_key",
    "password",
    "passphrase",
    "token",
    "account_key",
    "sas_token",
    "connection_string",
    "client_secret",
    "gdrive_client_secret",
    "oss_key_id",
    "oss_key_secret",
)
_MASK_ONLY = (  # secrets that appear in messages but are no DVC config key: signed URLs, other spellings
    "security_token",
    "passwd",
    "x-amz-signature",
    "signature",
    "x-amz-credential",
    "x-amz-security-token",
)
_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")

_KEYS = "|".join(re.escape(k) for k in sorted({*CREDENTIAL_KEYS, *_MASK_ONLY}, key=len, reverse=True))
_KEY_ROOTS = ("key", "secret", "token", "pass", "signature", "credential", "connection_string")  # in every key
# patterns compiled on first use (re caches them): most output never needs one, and `trail ls` starts faster
_SECRET_RE = rf"(?i)\b((?:aws_|bearer_)?(?:{_KEYS}))(['\"]?\s*[=:]\s*['\"]?)([^\s'\",;&]+)"
_URL_USERINFO_RE = r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@"
_CONFIG_LINE = r"^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$"
_SECTION = r"^\s*\[+\s*'?([^\]']*)'?\s*\]+\s*$"
_URL_USER_AND_KEY = r"://[^/@\s]*:[^/@\s]+@"


def mask_secrets(text: str) -> str:
    """The text with credentials hidden: `key=value` secrets, `user:password@` in URLs, secret env values."""
    lower = text.lower()
    if any(root in lower for root in _KEY_ROOTS):  # a cheap scan first: most text holds no key name at all
        text = re.sub(_SECRET_RE, r"\1\2***", text)
    if "@" in text and "://" in text:
        text = re.sub(_URL_USERINFO_RE, r"\1***@", text)
    for var in _SECRET_ENV:
        value = os.environ.get(var, "")
        if len(value) >= 8:
            text = text.replace(value, "***")
    return text


def secrets_in_config(text: str) -> list[str]:
    """`section.key` of every credential written in a DVC config text (names only, never values)."""
    found, section = [], ""
    keys = set(CREDENTIAL_KEYS)
    for line in text.splitlines():
        if match := re.match(_SECTION, line):
            section = match[1].strip()
        elif (match := re.match(_CONFIG_LINE, line)) and match[1].lower() in keys:
            found.append(f"{section}.{match[1]}")
        elif match and match[1].lower() == "url" and re.search(_URL_USER_AND_KEY, match[2]):
            found.append(f"{section}.url (password in the URL)")
    return found


# Where a remote points: a repository that changes any of these for a remote the user configured gets none of
# the user's credentials for it.
ADDRESS_KEYS = ("url", "endpointurl", "oss_endpoint", "port", "proxy_to", "data_proxy_target", "account_name")
# What authenticates a request, beyond the secrets themselves: dropped from the user's entry for such a remote.
_AUTH_KEYS = (
    *CREDENTIAL_KEYS,
    "user",
    "auth",
    "custom_auth_header",
    "ask_password",
    "ask_passphrase",
    "bearer_token_command",
    "profile",
    "credentialpath",
    "configpath",
    "keyfile",
    "key_path",
    "cert_path",
    "kerb_ticket",
    "client_id",
    "tenant_id",
    "gdrive_client_id",
    "gdrive_use_service_account",
    "gdrive_user_credentials_file",
    "gdrive_service_account_json_file_path",
    "gdrive_service_account_user_email",
)


def remotes_for_untrusted(
    user_levels: list[dict[str, dict]], repo: dict[str, dict], local: dict[str, dict] | None = None
) -> dict[str, dict]:
    """The `remote` sections DVC gets when a repository's own config is untrusted (`trail get`, the API).

    DVC merges the user's system and global config into every repository's; a repository could then name
    the user's remote and point it elsewhere to collect the user's password. Here a remote the repository
    defines keeps the user's settings only when the user configured its URL and the repository changes no
    address key; otherwise the user's entry loses every credential and authentication key. `local` is the
    `config.local` of the user's own work tree, merged last as DVC does.
    """
    user: dict[str, dict] = {}
    for level in user_levels:
        for name, entry in level.items():
            user.setdefault(name, {}).update(entry)
    merged = {name: dict(entry) for name, entry in user.items()}
    for name, theirs in repo.items():
        mine = user.get(name, {})
        moved = any(key in theirs and theirs[key] != mine.get(key) for key in ADDRESS_KEYS)
        if mine and (moved or "url" not in mine):
            mine = {key: value for key, value in mine.items() if key not in _AUTH_KEYS}
            if "url" in mine and "url" not in theirs:
                mine["url"] = re.sub(_URL_USERINFO_RE, r"\1", str(mine["url"]))
        merged[name] = {**mine, **theirs}
    for name, entry in (local or {}).items():
        merged.setdefault(name, {}).update(entry)
    return merged
