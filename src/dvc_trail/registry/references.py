"""References to a version: `NAME`, `NAME@vX.Y.Z`, `NAME@latest`, `NAME#STAGE`, parsed and resolved in a state."""

from __future__ import annotations

from typing import NamedTuple

from dvc_trail.errors import NotFound, UsageError
from dvc_trail.registry.state import RegistryState, VersionState
from dvc_trail.registry.tags import validate_name, validate_stage, validate_version


class Ref(NamedTuple):
    name: str
    version: str | None = None
    stage: str | None = None

    def __str__(self) -> str:
        if self.version:
            return f"{self.name}@{self.version}"
        return f"{self.name}#{self.stage}" if self.stage else self.name


def parse_ref(ref: str) -> Ref:
    """Parse `NAME`, `NAME@vX.Y.Z`, `NAME@latest` or `NAME#STAGE`; refuse anything else."""
    if "#" in ref:
        name, _, stage = ref.partition("#")
        return Ref(validate_name(name), stage=validate_stage(stage))
    if "@" in ref:
        name, _, version = ref.partition("@")
        if version in ("latest", "greatest"):
            return Ref(validate_name(name))
        return Ref(validate_name(name), version=validate_version(version))
    return Ref(validate_name(ref))


def lookup(state: RegistryState, ref: Ref) -> VersionState:
    """The version a reference points at now, or a NotFound naming what is missing."""
    artifact = state.artifact(ref.name)
    if ref.version:
        found = artifact.find(ref.version)
        if found is None:
            raise NotFound(f"{ref.name}@{ref.version} is not registered")
        if not found.is_active:
            raise NotFound(f"{ref.name}@{ref.version} was deregistered")
        return found
    if ref.stage:
        holder = artifact.stage_holders().get(ref.stage)
        if holder is None:
            raise NotFound(f"no version of {ref.name} is in stage {ref.stage!r}")
        return holder
    latest = artifact.latest()
    if latest is None:
        raise NotFound(f"{ref.name} has no active registered version")
    return latest


def require_version_ref(ref: str) -> Ref:
    """Parse a `NAME@vX.Y.Z` reference (the form write commands need)."""
    parsed = parse_ref(ref)
    if not parsed.version:
        raise UsageError(f"expected NAME@VERSION (like model@v1.2.0), got {ref!r}")
    return parsed
