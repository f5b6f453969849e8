"""Version views from the core's own queries, for layouts the site's batched reader does not model.

`wdir` stages and repositories with more than one pipeline (an artifact produced by `nested/dvc.yaml`, or a
chain crossing pipelines) are answered by `Project.show`, `provenance.lineage_of` and `compare.trend`, one
version at a time: slower, but the same answer as `trail show`, `trail lineage` and `trail metrics`.
"""

from __future__ import annotations

from typing import Any

from dvc_trail.errors import TrailError
from dvc_trail.metrics import diff
from dvc_trail.project import Project
from dvc_trail.registry import gto_json
from dvc_trail.registry.state import ArtifactState, VersionState
from dvc_trail.site.model import VersionView


def pipeline_count(project: Project) -> int:
    """How many dvc.yaml files HEAD holds (one git ls-tree)."""
    try:
        names = project.git.tree_files("HEAD")
    except TrailError:
        return 0
    return sum(1 for n in names if n == "dvc.yaml" or n.endswith("/dvc.yaml"))


def version_view(
    project: Project, artifact: ArtifactState, version: VersionState, previous: VersionState | None
) -> VersionView:
    """Everything one version page shows, from the core's queries."""
    from dvc_trail.lineage import provenance  # here: only the odd layouts need them

    ref = f"{artifact.name}@{version.version}"
    show = project.show(ref)
    info: dict[str, Any] | None = None
    error = None
    try:
        info = provenance.lineage_of(project, ref).to_dict()
    except TrailError as err:
        error = str(err)
    metrics_diff: dict = {}
    params_diff: dict = {}
    upstream: list = []
    if previous is not None:
        before = project.show(f"{artifact.name}@{previous.version}")
        metrics_diff = diff.diff_documents(before["metrics"], show["metrics"])
        params_diff = diff.diff_documents(before["params"], show["params"])
        try:
            upstream = provenance.compare_lineage(project, ref, f"{artifact.name}@{previous.version}").changes
        except TrailError:
            upstream = []
    return VersionView(
        artifact.name,
        version.version,
        version.commit,
        show,
        info,
        error,
        previous.version if previous else None,
        metrics_diff,
        params_diff,
        upstream,
        gto_json.history(version.events, priority=False),
    )


def metrics_by_version(project: Project, name: str) -> dict[str, dict[str, Any]]:
    """Each active version's metrics as `trail metrics NAME` reads them."""
    from dvc_trail.metrics import compare  # here: only the odd layouts need them

    try:
        return {row["version"]: row["metrics"] for row in compare.trend(project, name).rows}
    except TrailError:
        return {}
