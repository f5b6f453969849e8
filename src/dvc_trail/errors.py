"""The one user-facing error type; the CLI edge turns it into a one-line message and an exit code."""

from __future__ import annotations


class TrailError(Exception):
    """A user-facing failure: bad input, a failed check, a missing object. Exit code 1."""

    exit_code = 1


class UsageError(TrailError):
    """The command line itself is wrong (bad name, version or reference syntax). Exit code 2."""

    exit_code = 2


class NotFound(TrailError):
    """An artifact, version, stage, revision or file that does not exist."""
