"""Short forms for messages and tables: abbreviated hashes and `PATH at COMMIT` (pure, no imports)."""

from __future__ import annotations

HASH_CHARS = 7  # as git abbreviates commits; used for content hashes too, so every message reads alike


def short(digest: str) -> str:
    """The first HASH_CHARS characters of a commit id or content hash."""
    return digest[:HASH_CHARS]


def at(path: str, commit: str) -> str:
    """`PATH at COMMIT` (abbreviated), how a message names a file at a revision."""
    return f"{path} at {short(commit)}"
