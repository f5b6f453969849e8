"""Verifying a DVC remote: is every object of a version (or of every active version) there, and intact?"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dvc_trail.dvc import adapter
from dvc_trail.dvc.adapter import DataObject, MissingManifest
from dvc_trail.errors import TrailError, UsageError
from dvc_trail.project import Project
from dvc_trail.store.data_address import VersionData, version_data

if TYPE_CHECKING:
    from dvc_trail.render.progress import TransferProgress


@dataclass(frozen=True)
class ObjectProblem:
    """A missing or corrupt object: the artifact file it holds and its hash."""

    path: str
    oid: str


@dataclass
class VersionCheck:
    """One version's verdict: how many objects, which are missing or corrupt, or why it could not be checked."""

    ref: str
    path: str
    md5: str
    objects: int = 0
    missing: list[ObjectProblem] = field(default_factory=list)
    corrupt: list[ObjectProblem] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every object is on the remote (and intact, when checked deeply)."""
        return not (self.missing or self.corrupt or self.error)


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on every version checked against one DVC remote."""

    remote: str
    deep: bool
    versions: list[VersionCheck]

    @property
    def ok(self) -> bool:
        """Whether every version checked is complete."""
        return all(v.ok for v in self.versions)

    def to_dict(self) -> dict:
        """The result as plain JSON data (`trail verify --json`)."""
        versions = [{**asdict(v), "ok": v.ok} for v in self.versions]
        return {"remote": self.remote, "deep": self.deep, "ok": self.ok, "versions": versions}


def _problems(objects: list[DataObject]) -> list[ObjectProblem]:
    return [ObjectProblem(o.relpath, o.oid) for o in objects]


def verify(
    project: Project,
    ref: str | None = None,
    all_versions: bool = False,
    deep: bool = False,
    remote: str | None = None,
    progress: TransferProgress | None = None,
) -> VerifyResult:
    """Which objects of a version (or of every active version) the DVC remote lacks, and with `deep`, has corrupt."""
    if (ref is None) == (not all_versions):
        raise UsageError("give a REF or --all (not both)")
    if ref is not None:
        targets = [project.lookup(ref)]
    else:
        targets = [(a, v) for a in project.state.artifacts.values() for v in a.active_versions(True)]
    checks: list[tuple[VersionCheck, VersionData | None, list[DataObject]]] = []
    with adapter.open_remote(project.git.root, remote) as store:
        for artifact, version in targets:
            try:
                target = version_data(project, artifact, version)
            except TrailError as err:
                name = f"{artifact.name}@{version.version}"
                checks.append((VersionCheck(name, "", "", error=str(err)), None, []))
                continue
            check = VersionCheck(target.ref, target.data.path, target.data.md5)
            try:
                objects = store.objects(target.data)
            except MissingManifest:
                objects = []
                check.missing = [ObjectProblem(f"{target.data.path}/ (directory manifest)", target.data.md5)]
            check.objects = len(objects) or 1
            checks.append((check, target, objects))
        for hash_name in sorted({t.data.hash_name for _, t, _ in checks if t}):
            wanted = [o for _, t, objs in checks if t and t.data.hash_name == hash_name for o in objs]
            absent = {o.oid for o in store.missing(wanted, hash_name)}
            bad: set[str] = set()
            if deep:
                present = list({o.oid: o for o in wanted if o.oid not in absent}.values())
                with tempfile.TemporaryDirectory(prefix="trail-verify-") as scratch:
                    bad = {o.oid for o in store.corrupt(present, hash_name, Path(scratch), progress)}
            for check, t, objs in checks:
                if t and t.data.hash_name == hash_name:
                    check.missing += _problems([o for o in objs if o.oid in absent])
                    check.corrupt += _problems([o for o in objs if o.oid in bad])
        label = store.label
    return VerifyResult(label, deep, [c for c, _, _ in checks])
