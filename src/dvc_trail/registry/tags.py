"""GTO's tag names and messages: parse what any tool wrote, format what trail writes (pure)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

from dvc_trail.errors import UsageError


class Action(StrEnum):
    REGISTER = "register"
    DEREGISTER = "deregister"
    DEPRECATE = "deprecate"
    ASSIGN = "assign"
    UNASSIGN = "unassign"


# The grammar below is GTO's own (gto/constants.py), so trail reads exactly the tags gto reads.
_NAME = r"[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?"
_DIRNAME = r"[a-zA-Z0-9-_./]+"
SEMVER = (
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_TAG_RE = re.compile(
    rf"^(?P<artifact>(?:{_DIRNAME}=)?{_NAME})"
    rf"(((#(?P<stage>{_NAME})|@(?P<version>v{SEMVER}))(?P<cancel>!?))"
    rf"|@((?P<deprecated>deprecated)|(?P<created>created)))"
    rf"(#(?P<counter>[0-9]+))?$"
)
_GROUPS = ("artifact", "created", "counter", "cancel", "deprecated", "version", "stage")
# GTO's tag grammar above keeps Python's Unicode `\d` (a tag `model@v1\u0663.0.0` is one of its versions), but
# GTO ranks versions with the `semver` package, whose grammar is ASCII: such a version is no semantic version,
# ranks below every one that is (then by its text, as GTO's `sort_versions`), and trail never writes one.
_SEMVER_RE = re.compile(rf"^v{SEMVER}\Z", re.ASCII)
_NAME_RE = re.compile(rf"^{_NAME}$")
# What trail writes is stricter than what it reads: folder parts must be clean relative paths.
_DIR_PART_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$")
MAX_NAME_LENGTH = 200


class ParsedTag(NamedTuple):
    """A GTO tag name split into its parts; `name` uses the `dir:name` form."""

    name: str
    action: Action
    version: str | None = None
    stage: str | None = None
    counter: int | None = None


def parse_tag(tag: str) -> ParsedTag | None:
    """Parse a tag name in GTO's format; None for a foreign tag (or GTO's unused `@created`)."""
    match = _TAG_RE.match(tag)
    if not match:
        return None
    artifact, created, number, cancel, deprecated, version, stage = match.group(*_GROUPS)  # one call: 7,500 tags
    if created:
        return None
    name = artifact.replace("=", ":")
    counter = int(number) if number else None
    if deprecated:
        return ParsedTag(name, Action.DEPRECATE, None, None, counter)
    if version:
        return ParsedTag(name, Action.DEREGISTER if cancel == "!" else Action.REGISTER, version, None, counter)
    return ParsedTag(name, Action.UNASSIGN if cancel == "!" else Action.ASSIGN, None, stage, counter)


def validate_name(name: str) -> str:
    """Refuse an artifact name that GTO cannot read or git cannot store; return it."""
    if not name or len(name) > MAX_NAME_LENGTH:
        raise UsageError(f"invalid artifact name {name!r}: must be 1 to {MAX_NAME_LENGTH} characters")
    folder, sep, base = name.rpartition(":")
    bad_folder = sep and not all(
        _DIR_PART_RE.match(p) and ".." not in p and not p.endswith((".lock", ".")) for p in folder.split("/")
    )
    if bad_folder or ":" in folder or not _NAME_RE.match(base) or "//" in base:
        raise UsageError(
            f"invalid artifact name {name!r}: use letters, digits, '-', '_' and '/', starting and ending "
            "with a letter or digit, optionally prefixed by a folder as 'dir:name'"
        )
    return name


def validate_stage(stage: str) -> str:
    """The stage name unchanged, or a UsageError saying what a stage may contain."""
    if not _NAME_RE.match(stage) or "//" in stage or len(stage) > MAX_NAME_LENGTH:
        raise UsageError(
            f"invalid stage {stage!r}: use letters, digits, '-', '_' and '/', "
            "starting and ending with a letter or digit"
        )
    return stage


def validate_version(version: str) -> str:
    """The version unchanged, or a UsageError (with a hint when the `v` is missing)."""
    if not _SEMVER_RE.match(version):
        hint = " (versions start with 'v')" if _SEMVER_RE.match("v" + version) else ""
        raise UsageError(f"invalid version {version!r}: expected semantic version like v1.2.0{hint}")
    return version


def semver_key(version: str) -> tuple:
    """Sort key for versions as GTO ranks them: semantic versions by SemVer 2.0 precedence (build metadata
    ignored), above any other version text, which ranks by the text."""
    match = _SEMVER_RE.match(version)
    if not match:
        return (0, version)
    core = (int(match["major"]), int(match["minor"]), int(match["patch"]))
    pre = match["prerelease"]
    if pre is None:
        return (1, *core, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (1, *core, 0, parts)


def is_semver(version: str) -> bool:
    """Whether the text is a `vX.Y.Z` semantic version."""
    return bool(_SEMVER_RE.match(version))


def bump(version: str, part: str) -> str:
    """The next version after `version`: part is major, minor or patch."""
    match = _SEMVER_RE.match(version)
    if not match:
        raise UsageError(f"invalid version {version!r}")
    major, minor, patch = int(match["major"]), int(match["minor"]), int(match["patch"])
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


def _in_tag(name: str) -> str:
    return name.replace(":", "=")


def tag_globs(name: str) -> list[str]:
    """Every tag of one artifact as `refs/tags/...` fetch and push globs (`name@...` and `name#...`)."""
    return [f"refs/tags/{_in_tag(name)}@*", f"refs/tags/{_in_tag(name)}#*"]


def register_tag(name: str, version: str) -> str:
    """GTO's registration tag: `name@vX.Y.Z`."""
    return f"{_in_tag(name)}@{version}"


def deregister_tag(name: str, version: str) -> str:
    """GTO's deregistration tag: `name@vX.Y.Z!`."""
    return f"{_in_tag(name)}@{version}!"


def deprecate_tag(name: str) -> str:
    """GTO's deprecation tag: `name@deprecated`."""
    return f"{_in_tag(name)}@deprecated"


def assign_tag(name: str, stage: str, counter: int) -> str:
    """GTO's stage assignment tag: `name#stage#N`."""
    return f"{_in_tag(name)}#{stage}#{counter}"


def unassign_tag(name: str, stage: str, counter: int) -> str:
    """GTO's stage unassignment tag: `name#stage!#N`."""
    return f"{_in_tag(name)}#{stage}!#{counter}"


def message(action: Action, name: str, version: str | None = None, stage: str | None = None) -> str:
    """The default tag message GTO writes for each action."""
    return {
        Action.REGISTER: f"Registering artifact {name} version {version}",
        Action.DEREGISTER: f"Deregistering artifact {name} version {version}",
        Action.DEPRECATE: f"Deprecating artifact '{name}'",
        Action.ASSIGN: f"Assigning stage {stage} to artifact {name} version {version}",
        Action.UNASSIGN: f"Unassigning stage '{stage}' to artifact '{name}' version '{version}'",
    }[action]
