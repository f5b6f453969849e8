"""Publishing a version: upload its objects, check each is on the DVC remote, then one atomic push of its tags.

The order is the point: a registry tag that reached the git remote always names data that is on the DVC
remote. `trail publish`, `register --push` and `assign --push` all take this one path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from dvc_trail.dvc import adapter
from dvc_trail.dvc.adapter import DataObject, MissingManifest
from dvc_trail.errors import NotFound, TrailError
from dvc_trail.git.repository import Git
from dvc_trail.project import Project
from dvc_trail.registry.state import Event, VersionState
from dvc_trail.registry.tags import Action, parse_tag, tag_globs
from dvc_trail.render.escapes import for_shell
from dvc_trail.store.data_address import VersionData, version_data

if TYPE_CHECKING:
    from dvc_trail.render.progress import TransferProgress


@dataclass
class PublishResult:
    """What publish did: objects on the DVC remote, tags pushed or already there, and notes on races."""

    ref: str
    remote: str
    objects: int
    uploaded: int
    git_remote: str
    commit: str
    pushed: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tag: str | None = None  # the tag a write command created (renamed if a stage counter was retaken)

    def to_dict(self) -> dict:
        """The result as plain JSON data."""
        return asdict(self)


def publish(
    project: Project,
    ref: str | None,
    remote: str | None = None,
    git_remote: str = "origin",
    create: Callable[[Project], str] | None = None,
    progress: TransferProgress | None = None,
) -> PublishResult:
    """Upload a version's objects, check them on the DVC remote, push its tags atomically; the result.

    With `create` (`register --push`, `assign --push`), the tag is written first, once the git remote is known
    to exist; `ref` may then be None for the version that tag registered.
    """
    _remote_git(project).remote_url(git_remote)  # fail before writing a tag or a long upload, not after
    tag = create(project) if create else None
    if ref is None:
        parsed = parse_tag(tag or "")
        if parsed is None or parsed.version is None:
            raise TrailError(f"no version to publish for tag {tag!r}")
        ref = f"{parsed.name}@{parsed.version}"
    artifact, version = project.lookup(ref)
    target = version_data(project, artifact, version)
    label, objects, uploaded = upload(project, target, remote, progress)
    result = PublishResult(target.ref, label, objects, uploaded, git_remote, target.commit, tag=tag)
    _push_version_tags(project, artifact.name, version.version, git_remote, result)
    return result


def upload(
    project: Project, target: VersionData, remote: str | None, progress: TransferProgress | None = None
) -> tuple[str, int, int]:
    """(remote label, objects, uploaded) once all objects are on the remote; else a TrailError saying what to retry."""
    retry = f"no tag was pushed; run `{for_shell('trail', 'publish', target.ref)}` again"
    try:
        with adapter.open_remote(project.git.root, remote) as store:
            label = store.label
            report = store.upload(target.data, progress)
    except MissingManifest as err:
        raise TrailError(f"{err} (run `dvc pull` or `dvc repro` at {target.commit[:7]}); {retry}") from None
    except TrailError as err:
        raise TrailError(f"{err}; {retry} when the remote is reachable") from None
    if report.not_cached:
        raise TrailError(
            f"{len(report.not_cached)} object(s) of {target.ref} are neither in the local DVC cache nor on "
            f"DVC remote {label} ({_names(report.not_cached)}): restore them with `dvc pull` or `dvc repro` "
            f"at {target.commit[:7]}; {retry}"
        )
    if report.missing:
        cause = f": {report.error}" if report.error else ""
        raise TrailError(
            f"upload of {target.ref} to DVC remote {label} is incomplete, {len(report.missing)} of "
            f"{len(report.objects)} objects missing{cause}; {retry} to finish it"
        )
    return label, len(report.objects), report.uploaded


def _remote_git(project: Project) -> Git:
    """The git adapter at the project's root: pushes and tag fetches talk to remotes, beyond what a GitReader does."""
    return Git(project.git.root)


def _names(objects: list[DataObject], limit: int = 5) -> str:
    shown = ", ".join(o.relpath for o in objects[:limit])
    return shown + (f" and {len(objects) - limit} more" if len(objects) > limit else "")


def _find(project: Project, name: str, version: str) -> VersionState:
    artifact = project.state.artifact(name)
    for v in artifact.versions:
        if v.version == version and (v.is_registered or v.discovered):
            return v
    raise NotFound(f"{name}@{version} is gone from the registry")


def _push_version_tags(project: Project, name: str, version: str, git_remote: str, result: PublishResult) -> None:
    """One atomic push of the version's tags; a stage tag someone took meanwhile is renumbered once."""
    for attempt in range(2):
        events = _find(project, name, version).events
        push = _remote_git(project).push_atomic(git_remote, [f"refs/tags/{e.tag}" for e in events])
        if not push.rejected:
            result.pushed = [r.removeprefix("refs/tags/") for r in push.pushed]
            result.up_to_date = [r.removeprefix("refs/tags/") for r in push.up_to_date]
            return
        taken = {r.removeprefix("refs/tags/") for r, why in push.rejected.items() if why == "already exists"}
        if not taken:
            reasons = "; ".join(f"{r.removeprefix('refs/tags/')}: {why}" for r, why in push.rejected.items())
            raise TrailError(f"git push to {git_remote} was rejected ({reasons}); nothing was pushed")
        mine = {e.tag: e for e in events if e.tag in taken}
        _take_remote_tags(project, name, sorted(taken), git_remote, result)
        lost = [e for e in mine.values() if e.action in (Action.REGISTER, Action.DEREGISTER)]
        if lost and all(_same_on_remote(project, e) for e in lost):
            result.notes.append(f"{git_remote} already had {', '.join(e.tag for e in lost)} at the same commit")
        elif lost:
            _report_lost_registration(project, lost, git_remote)
        if attempt == 1:
            raise TrailError(
                f"git push to {git_remote} was rejected twice: {', '.join(sorted(taken))} already exist there "
                f"(busy registry?); {git_remote}'s tags were fetched, nothing was pushed: run the command again"
            )
        for event in sorted((e for e in mine.values() if e not in lost), key=lambda e: e.order):
            _redo_stage_event(project, event, git_remote, result)


def _take_remote_tags(project: Project, name: str, taken: list[str], git_remote: str, result: PublishResult) -> None:
    """Drop our local tags that lost the race, fetch the artifact's tags from the remote, reload the registry."""
    git = _remote_git(project)
    for tag, oid in git.tag_targets(taken).items():
        git.delete_tag(tag, oid)
    try:
        git.fetch_tags(git_remote, tag_globs(name))
    except TrailError as err:
        result.notes.append(f"some local tags of {name} differ from {git_remote}'s and were kept ({err})")
    project.refresh()


def _same_on_remote(project: Project, event: Event) -> bool:
    """Did the other writer register the very same version at the very same commit?"""
    artifact = project.state.artifacts.get(event.artifact)
    found = artifact.find(event.version) if artifact and event.version else None
    return found is not None and found.commit == event.commit


def _report_lost_registration(project: Project, lost: list[Event], git_remote: str) -> None:
    event = lost[0]
    theirs = project.state.artifacts.get(event.artifact)
    other = next((v for v in theirs.versions if v.version == event.version), None) if theirs else None
    where = f" at {other.commit[:7]} by {other.authoring_event.author}" if other and other.events else ""
    raise TrailError(
        f"{event.tag} already exists on {git_remote}{where}: someone registered it first. Your local tag "
        f"(at {event.commit[:7]}) was replaced by {git_remote}'s and nothing was pushed; register your commit "
        f"again with `{for_shell('trail', 'register', event.artifact, '--rev', event.commit[:7], '--push')}`"
    )


def _redo_stage_event(project: Project, event: Event, git_remote: str, result: PublishResult) -> None:
    """Recreate a stage assignment (or unassignment) whose tag was taken, with the next free counter."""
    ref = f"{event.artifact}@{event.version}"
    stage = event.stage or ""
    try:
        if event.action is Action.ASSIGN:
            new = project.assign(ref, stage, message=event.message)
        else:
            new = project.unassign(ref, stage, message=event.message)
    except TrailError as err:  # e.g. the other writer did the same thing: nothing left to do
        result.notes.append(f"{event.tag} was taken on {git_remote}; not redone: {err}")
        return
    result.notes.append(f"{event.tag} was taken on {git_remote} meanwhile: fetched its tags and retried as {new}")
    if result.tag == event.tag:
        result.tag = new
