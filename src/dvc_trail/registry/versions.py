"""One version as `trail show --json` prints it (trail's own shape; gto's shapes are in gto_json.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dvc_trail.dvcfiles.documents import ArtifactDecl, Output
    from dvc_trail.registry.state import ArtifactState, VersionState


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
