"""Every pipeline of a commit as one stage graph, and content hashes as users type them (pure)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from dvc_trail.dvcfiles.locks import StageLock
from dvc_trail.errors import UsageError

ROOT_LOCK = "dvc.lock"
_HEX = re.compile(r"[0-9a-f]{7,32}")


def address(lockfile: str, name: str, home: str = ROOT_LOCK) -> str:
    """A stage's name as DVC addresses it from the folder of `home`: `train` there, `nested/dvc.yaml:train`
    for a stage of another pipeline."""
    return name if lockfile == home else f"{posixpath.join(posixpath.dirname(lockfile), 'dvc.yaml')}:{name}"


def merge(stages_by_lock: Mapping[str, dict[str, StageLock] | None], home: str = ROOT_LOCK) -> dict[str, StageLock]:
    """The stages of every dvc.lock of a commit in one graph (an output of one pipeline feeds another).

    Stages of `home` (the dvc.lock beside the artifact's dvc.yaml) keep their plain names.
    """
    merged: dict[str, StageLock] = {}
    for lockfile in sorted(stages_by_lock, key=lambda f: (f != home, f)):
        for name, stage in (stages_by_lock[lockfile] or {}).items():
            key = address(lockfile, name, home)
            merged[key] = stage if key == stage.name else stage._replace(name=key)
    return merged


def hash_prefix(value: str) -> str:
    """A user-typed content hash or prefix: 7 to 32 hex digits, either case, `.dir` optional -> lower-case hex."""
    text = value.strip().lower().removesuffix(".dir")
    if not _HEX.fullmatch(text):
        raise UsageError(
            f"invalid --md5 {value[:80]!r}: give 7 to 32 hexadecimal characters (an md5 or its prefix, `.dir` optional)"
        )
    return text


def match_hash(value: str, known: set[str]) -> str | None:
    """The one known hash that `value` (a hash or unambiguous prefix) names; None when it names none.

    An ambiguous prefix is a usage error listing the candidates.
    """
    prefix = hash_prefix(value)
    found = sorted({h for h in known if h.lower().removesuffix(".dir").startswith(prefix)})
    if len(found) > 1:
        raise UsageError(f"--md5 {value!r} is ambiguous: it matches {', '.join(found[:10])}; give more characters")
    return found[0] if found else None
