"""The one user-facing error type; the CLI edge turns it into a one-line message and an exit code."""

from __future__ import annotations

from dvc_trail.secrets import mask_secrets

__all__ = ["GitError", "NotFound", "TrailError", "UsageError", "mask_secrets"]


class TrailError(Exception):
    """A user-facing failure: bad input, a failed check, a missing object. Exit code 1."""

    exit_code = 1

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(mask_secrets(str(message)), *args)  # masked when made: API callers log exceptions


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
