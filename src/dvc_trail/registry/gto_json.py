"""Every JSON shape gto prints, built from registry state (as gto's `dict_state`), each in one place.

`listing` is `gto show --json`, `version_list` is `gto show NAME --json`, `history` is `gto history --json`,
`check_ref_event` is `gto check-ref --json`. Each event kind's name, priority and direction is in EVENT_NAME,
PRIORITY and ADDITION below; the tests compare every shape with the real gto's output byte for byte.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dvc_trail.registry.dates import iso_dates
from dvc_trail.registry.tags import Action, is_semver, semver_key

if TYPE_CHECKING:
    from dvc_trail.git.trees import RawCommit
    from dvc_trail.registry.state import ArtifactState, Event, RegistryState, VersionState

EVENT_NAME = {
    Action.DEPRECATE: "deprecation",
    Action.REGISTER: "registration",
    Action.DEREGISTER: "deregistration",
    Action.ASSIGN: "assignment",
    Action.UNASSIGN: "unassignment",
}
PRIORITY = {Action.DEPRECATE: 2, Action.REGISTER: 3, Action.DEREGISTER: 4, Action.ASSIGN: 5, Action.UNASSIGN: 6}
ADDITION = {action: action in (Action.REGISTER, Action.ASSIGN) for action in Action}  # gto's `addition`
COMMIT_PRIORITY = 0  # gto's `commit` event: the version's commit, listed as an enrichment


def listing(state: RegistryState, stages: list[str] | None, include_deprecated: bool = False) -> dict[str, dict]:
    """The registry as `gto show --json` prints it: each artifact's latest version and stage holders.

    `stages` are the stages to list (gto's `.gto` list); None lists every stage in use, deprecated artifacts' too.
    """
    every = {name: artifact.stage_holders() for name, artifact in state.artifacts.items()}
    if stages is None:
        stages = sorted({s for holders in every.values() for s in holders})
    result = {}
    for name, artifact in state.artifacts.items():
        if not (artifact.is_active or include_deprecated):
            continue
        latest, holders = artifact.latest(), every[name]
        result[name] = {
            "version": latest.version if latest else None,
            "stage": {s: holders[s].version if s in holders else None for s in stages},
            "registered": True,
            "active": artifact.is_active,
        }
    return result


def history(events: list[Event], priority: bool = True) -> list[dict[str, Any]]:
    """`gto history --json`'s entries for EVENTS, in the order given (their dates made in one pass).

    Without `priority`: the entries as the site's pages and API list them (gto's fields but its sort key).
    """
    found = [
        {
            "timestamp": date,
            "artifact": e.artifact,
            "event": EVENT_NAME[e.action],
            "priority": PRIORITY[e.action],
            "version": e.version,
            "stage": e.stage,
            "commit": e.commit,
            "author": e.author,
            "author_email": e.author_email,
            "message": e.message,
            "ref": e.tag,
        }
        for e, date in zip(events, iso_dates(events), strict=True)
    ]
    if not priority:
        for entry in found:
            del entry["priority"]
    return found


def check_ref_event(e: Event) -> dict[str, Any]:
    """The event a tag created, as `gto check-ref --json` prints it."""
    data = _tag_fields(e)
    if e.version is not None:
        data["version"] = e.version
    if e.stage is not None:
        data["stage"] = e.stage
    data["event"] = EVENT_NAME[e.action]
    return data


def version_list(
    artifact: ArtifactState, commits: dict[str, RawCommit], include_inactive: bool = False
) -> list[dict[str, Any]]:
    """`gto show NAME --json`: active versions, highest semver first (bare-commit versions after, by name).

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
    """A version's registration or a stage's (un)assignment inside `gto show NAME --json`."""
    data: dict[str, Any] = {"priority": PRIORITY[e.action], "addition": ADDITION[e.action], **_tag_fields(e)}
    data["version"] = e.version
    if e.stage is not None:
        data["stage"] = e.stage
    if with_name:
        data["event"] = EVENT_NAME[e.action]
    return data


def _tag_fields(e: Event) -> dict[str, Any]:
    """The fields gto gives every event a tag created, in gto's order (check-ref, and inside show NAME)."""
    return {
        "artifact": e.artifact,
        "created_at": e.created_at.isoformat(),
        "author": e.author,
        "author_email": e.author_email,
        "message": e.message,
        "commit_hexsha": e.commit,
        "tag": e.tag,
    }


def _enrichment(v: VersionState, commit: RawCommit | None) -> list[dict[str, Any]]:
    """gto's `commit` event for the version's commit (its own descriptions, from gto's artifacts.yaml: none)."""
    if commit is None:
        return []
    from datetime import datetime, timedelta, timezone

    sign, hours, minutes = commit.commit_tz[0], int(commit.commit_tz[1:3]), int(commit.commit_tz[3:5])
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
    return [
        {
            "priority": COMMIT_PRIORITY,
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
