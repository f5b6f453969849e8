"""What a version's commit records about its data: the content address shared by publish, get and verify."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dvc_trail.errors import NotFound, TrailError
from dvc_trail.registry.state import ArtifactState, VersionState
from dvc_trail.store.objects import DataRef

if TYPE_CHECKING:
    from dvc_trail.project import Project


@dataclass(frozen=True)
class VersionData:
    """A version of an artifact and the data its commit records."""

    name: str
    version: str
    commit: str
    registered: bool
    data: DataRef

    @property
    def ref(self) -> str:
        """`NAME@vX.Y.Z`, or `NAME at COMMIT` for an unregistered (discovered) version."""
        return f"{self.name}@{self.version}" if self.registered else f"{self.name} at {self.commit[:7]}"


def version_data(project: Project, artifact: ArtifactState, version: VersionState) -> VersionData:
    """The data address (path, hash) the version's commit records; a TrailError when it records none."""
    snap = project.snapshot(artifact.name, version.commit, with_metrics=False)
    short = version.commit[:7]
    if snap.decl is None:
        raise NotFound(f"{artifact.name} is not declared in {snap.commit[:7]}'s dvc.yaml")
    if snap.output is None:
        raise TrailError(f"no hash for {snap.decl.path} at {short}: neither dvc.lock nor a .dvc file records it")
    data = DataRef(snap.output.md5, snap.output.hash_name, snap.decl.path, snap.output.size)
    return VersionData(artifact.name, version.version, version.commit, version.is_registered, data)
