"""Every version of one artifact in the shape `gto show NAME --json` prints (pure, GTO's semantics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dvc_trail.registry.state import PRIORITY, ArtifactState, Event, VersionState
from dvc_trail.registry.tags import Action, is_semver, semver_key

if TYPE_CHECKING:
    from dvc_trail.dvcfiles.documents import ArtifactDecl, Output
    from dvc_trail.git.trees import RawCommit


def version_list(
    artifact: ArtifactState, commits: dict[str, RawCommit], include_inactive: bool = False
) -> list[dict[str, Any]]:
    """Active versions, highest semver first (bare-commit versions after, by name), as gto lists them.

    `include_inactive` is gto's `--deprecated`: deregistered versions and deprecated artifacts too.
    """
    if not (artifact.is_active or include_inactive):
        return []
    found = [v for v in artifact.versions if include_inactive or v.is_active]
    semver = sorted((v for v in found if is_semver(v.version)), key=lambda v: semver_key(v.version))[::-1]
    others = sorted((v for v in found if not is_semver(v.version)), key=lambda v: v.version)[::-1]
    holders = artifact.stage_holders()
    return [_version(v, holders, commits.get(v.commit)) for v in semver + others]


def _event(e: Event, with_name: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "priority": PRIORITY[e.action],
        "addition": e.action in (Action.REGISTER, Action.ASSIGN),
        "artifact": e.artifact,
        "created_at": e.created_at.isoformat(),
        "author": e.author,
        "author_email": e.author_email,
        "message": e.message,
        "commit_hexsha": e.commit,
        "tag": e.tag,
        "version": e.version,
    }
    if e.stage is not None:
        data["stage"] = e.stage
    if with_name:
        data["event"] = "assignment" if e.action is Action.ASSIGN else "unassignment"
    return data


def _enrichment(v: VersionState, commit: RawCommit | None) -> list[dict[str, Any]]:
    """gto's `commit` event for the version's commit (its own descriptions, from gto's artifacts.yaml: none)."""
    if commit is None:
        return []
    from datetime import datetime, timedelta, timezone

    sign, hours, minutes = commit.commit_tz[0], int(commit.commit_tz[1:3]), int(commit.commit_tz[3:5])
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
    return [
        {
            "priority": 0,
            "addition": True,
            "artifact": v.artifact,
            "created_at": datetime.fromtimestamp(commit.commit_time, timezone(offset)).isoformat(),
            "author": commit.author,
            "author_email": commit.author_email,
            "message": commit.message,
            "commit_hexsha": commit.sha,
            "version": v.version,
            "enrichments": [],
            "committer": commit.committer,
            "committer_email": commit.committer_email,
        }
    ]


def _stage(v: VersionState, stage: str) -> dict[str, Any]:
    events = v.stage_events[stage]
    latest = events[-1]
    assigned = [e for e in events if e.action is Action.ASSIGN][-1]
    return {
        "artifact": v.artifact,
        "commit_hexsha": v.commit,
        "version": v.version,
        "stage": stage,
        "assignments": [_event(e, True) for e in events if e.action is Action.ASSIGN],
        "unassignments": [_event(e, True) for e in events if e.action is Action.UNASSIGN],
        "is_active": latest.action is Action.ASSIGN,
        "activated_at": latest.created_at.isoformat() if latest.action is Action.ASSIGN else None,
        "created_at": assigned.created_at.isoformat(),
        "author": assigned.author,
        "author_email": assigned.author_email,
        "message": assigned.message,
        "ref": assigned.tag,
    }


def _version(v: VersionState, holders: dict[str, VersionState], commit: RawCommit | None) -> dict[str, Any]:
    enrichments = _enrichment(v, commit)
    held = sorted((s for s, h in holders.items() if h is v), key=v.stage_assigned_at, reverse=True)
    activated: str | None
    if v.registrations:
        author_ev: Event | dict[str, Any] = v.registrations[-1]
        activated = v.registrations[0].created_at.isoformat()
    else:  # a bare commit that only holds stages: gto counts its commit event too
        stage_events = sorted((e for evs in v.stage_events.values() for e in evs), key=lambda e: e.order)
        newest = stage_events[-1] if stage_events else None
        first = stage_events[0].created_at.isoformat() if stage_events else None
        commit_at = enrichments[0]["created_at"] if enrichments else None
        activated = min(x for x in (first, commit_at) if x) if (first or commit_at) else None
        if newest is not None and (not enrichments or newest.timestamp >= (commit.commit_time if commit else 0)):
            author_ev = newest
        else:
            author_ev = enrichments[0]
    if isinstance(author_ev, dict):
        created, author, email, message, ref = (
            author_ev["created_at"],
            author_ev["author"],
            author_ev["author_email"],
            author_ev["message"],
            author_ev["commit_hexsha"],
        )
    else:
        created, author, email = author_ev.created_at.isoformat(), author_ev.author, author_ev.author_email
        message, ref = author_ev.message, author_ev.tag
    return {
        "artifact": v.artifact,
        "commit_hexsha": v.commit,
        "version": v.version,
        "enrichments": enrichments,
        "registrations": [_event(e, False) for e in v.registrations],
        "deregistrations": [_event(e, False) for e in v.deregistrations],
        "stages": [_stage(v, s) for s in held],
        "is_active": v.is_active,
        "activated_at": activated,
        "created_at": created,
        "author": author,
        "author_email": email,
        "message": message,
        "ref": ref,
        "discovered": v.discovered,
    }


def version_record(
    artifact: ArtifactState,
    version: VersionState,
    stages: list[str],
    commit_message: str | None,
    decl: ArtifactDecl | None,
    output: Output | None,
    metrics: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    """One version as `trail show --json` prints it (the site's version JSON is the same record)."""
    event = version.authoring_event
    return {
        "name": artifact.name,
        "version": version.version,
        "registered": version.is_registered,
        "commit": version.commit,
        "tag": event.tag,
        "author": event.author,
        "author_email": event.author_email,
        "created_at": event.created_at.isoformat(),
        "message": event.message,
        "commit_message": commit_message,
        "stages": stages,
        "deprecated": not artifact.is_active,
        "path": decl.path if decl else None,
        "hash": None
        if output is None
        else {
            "md5": output.md5,
            "size": output.size,
            "nfiles": output.nfiles,
            "stage": output.stage,
            "source": output.source,
        },
        "artifact": decl.to_dict() if decl else None,
        "metrics": metrics,
        "params": params,
    }
