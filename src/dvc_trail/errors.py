"""The one user-facing error type; the CLI edge turns it into a one-line message and an exit code."""

from __future__ import annotations

import os
import re


class TrailError(Exception):
    """A user-facing failure: bad input, a failed check, a missing object. Exit code 1."""

    exit_code = 1


class UsageError(TrailError):
    """The command line itself is wrong (bad name, version or reference syntax). Exit code 2."""

    exit_code = 2


class NotFound(TrailError):
    """An artifact, version, stage, revision or file that does not exist."""


class GitError(TrailError):
    """A git command that failed: its exit code and stderr, for callers that react to a specific failure."""

    def __init__(self, command: str, returncode: int, stderr: str) -> None:
        lines = stderr.strip().splitlines()
        detail = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[0] if lines else "")
        super().__init__(f"git {command} failed: {detail or f'exit code {returncode}'}")
        self.command = command
        self.returncode = returncode
        self.stderr = stderr


_SECRET_KEYS = "|".join(  # names of secrets to hide, not secrets
    [
        r"(?:aws_)?secret_access_key",
        r"(?:aws_)?session_token",
        r"(?:aws_)?access_key_id",
        "security_token",
        "password",
        "passwd",
        "account_key",
        "sas_token",
        "client_secret",
        "connection_string",
        "x-amz-signature",
        "signature",
        "x-amz-credential",
        "x-amz-security-token",
    ]
)
_SECRET_RE = re.compile(rf"(?i)\b({_SECRET_KEYS})(['\"]?\s*[=:]\s*['\"]?)([^\s'\",;&]+)")
_URL_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def mask_secrets(text: str) -> str:
    """Hide credentials in a message: `key=value` secrets, `user:password@` in URLs, secret env values."""
    text = _SECRET_RE.sub(r"\1\2***", text)
    text = _URL_USERINFO_RE.sub(r"\1***@", text)
    for var in _SECRET_ENV:
        value = os.environ.get(var, "")
        if len(value) >= 8:
            text = text.replace(value, "***")
    return text
