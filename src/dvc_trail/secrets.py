"""Credentials: the one list of secret config keys, masking them in text, finding them in a DVC config, and
URLs rebuilt without them for publishing.

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
_URL_RE = r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s'\"<>`]+)"
_CONFIG_LINE = r"^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$"
_SECTION = r"^\s*\[+\s*'?([^\]']*)'?\s*\]+\s*$"
_URL_USER_AND_KEY = r"://[^/@\s]*:[^/@\s]+@"


def mask_secrets(text: str) -> str:
    """The text with credentials hidden: `key=value` secrets, `user:password@` in URLs, secret env values."""
    lower = text.lower()
    if any(root in lower for root in _KEY_ROOTS):  # a cheap scan first: most text holds no key name at all
        text = re.sub(_SECRET_RE, r"\1\2***", text)
    if "://" in text and ("@" in text or "?" in text):
        text = re.sub(_URL_RE, _mask_url, text)
    for var in _SECRET_ENV:
        value = os.environ.get(var, "")
        if len(value) >= 8:
            text = text.replace(value, "***")
    return text


def _mask_url(match: re.Match[str]) -> str:
    """One URL with its userinfo (up to the last `@` before the path; up to the first `@` after a `user:` when
    the password holds `/`) and every query value masked."""
    scheme, rest = match[1], match[2]
    if "@" in rest:
        if "/" not in rest.partition("@")[0]:  # userinfo, whatever it holds (`?`, `#`, `@`), ends at its last `@`
            end = rest.find("/", rest.index("@"))
            rest = "***@" + rest[rest.rfind("@", 0, end if end >= 0 else len(rest)) + 1 :]
        elif re.match(r"[^/?#@:]*:(?!\d*(?:[/?#]|$))", rest):  # `user:pa/ss@host`
            rest = "***@" + rest.partition("@")[2]
    if "?" in rest:
        path, _, query = rest.partition("?")
        rest = path + "?" + re.sub(r"=[^&#;]*", "=***", query)
    return scheme + rest


def public_url(url: str) -> str | None:
    """`url` rebuilt from scheme, host, port and path only; None when it does not parse, holds controls, or has
    an `@` outside its userinfo (then no reading of it can tell a password from a path).

    Text without `://` (a local path, scp-like `user@host:path`) keeps what follows the last `@` and comes
    before any `?` or `#`.
    """
    import urllib.parse  # here: masking, on every error, needs none of it

    text = url.strip()
    if not text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    if "://" not in text:
        return re.split(r"[?#]", text, maxsplit=1)[0].rpartition("@")[2] or None
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
        return None
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port or IPv6 host
    except ValueError:
        return None
    if "@" in parts.path + parts.query + parts.fragment:  # `u:123#pw@host` splits as host `u`, port 123
        return None
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme.lower(), host, parts.path, "", "")) if host or parts.path else None


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


# What authenticates a request, beyond the secrets themselves: dropped from the user's entry for a remote an
# untrusted repository redefines (`remotetrust.remotes_for_untrusted`).
AUTH_KEYS = (
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
