"""Comparisons across revisions: metric/param diffs, gates, PR reports, promotion checks, metric trends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dvc_trail.config import CONFIG_FILE, load_config, parse_config
from dvc_trail.errors import NotFound, TrailError, UsageError
from dvc_trail.metrics import diff
from dvc_trail.metrics.diff import Documents
from dvc_trail.project import Project
from dvc_trail.registry.references import lookup, parse_ref
from dvc_trail.shorthand import at
from dvc_trail.store.revisions import WORKSPACE, Revision, RevisionData, RevisionReader, Unreadable


@dataclass(frozen=True)
class Comparison:
    """Two revisions side by side: their data, the DVC-shaped diffs, and gate results."""

    old: RevisionData
    new: RevisionData
    metrics: dict[str, dict[str, dict]]
    params: dict[str, dict[str, dict]]
    gates: list[diff.GateResult] = field(default_factory=list)
    directions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The diff as `trail diff --json` prints it (DVC's metrics and params diff shape)."""
        return {"metrics": self.metrics, "params": self.params}

    @property
    def unreadable(self) -> list[Unreadable]:
        """Declared metrics and params files that either side could not read (not in the local DVC cache)."""
        return [*self.old.unreadable, *self.new.unreadable]

    @property
    def failed_gates(self) -> list[diff.GateResult]:
        """The gates that failed."""
        return [g for g in self.gates if g.breached]

    def changed_artifacts(self) -> list[dict[str, Any]]:
        """Artifacts (declared at either side) whose output hash differs between the revisions."""
        old_outs, new_outs = self.old.outputs(), self.new.outputs()
        decls = {**self.old.artifacts(), **self.new.artifacts()}
        changed = []
        for name, decl in sorted(decls.items()):
            a, b = old_outs.get(decl.path), new_outs.get(decl.path)
            if (a and a.md5) != (b and b.md5):
                changed.append(
                    {"name": name, "path": decl.path, "old": a.md5 if a else None, "new": b.md5 if b else None}
                )
        return changed


@dataclass(frozen=True)
class PullRequest:
    """What `trail report` shows: the comparison, and what changed upstream of each artifact whose content changed."""

    comparison: Comparison
    upstream: dict[str, list[dict[str, Any]]]


def revision(project: Project, spec: str | None) -> Revision:
    """`workspace`, a registry reference (`NAME@vX.Y.Z`, `NAME#STAGE`) or any git revision."""
    return _without_git(project, spec) or Revision(spec or "", project.git.resolve_commit(spec or ""))


def revisions(project: Project, specs: list[str | None]) -> list[Revision]:
    """Each spec as `revision` reads it, the git revisions resolved by one git process."""
    try:
        known = [_without_git(project, spec) for spec in specs]
    except TrailError:
        return [revision(project, spec) for spec in specs]  # the error of the first bad spec, as one by one
    commits = iter(project.git.resolve_commits([spec for spec, r in zip(specs, known, strict=True) if not r and spec]))
    return [r or Revision(spec or "", next(commits)) for spec, r in zip(specs, known, strict=True)]


def _without_git(project: Project, spec: str | None) -> Revision | None:
    """`workspace` or a registry reference as a Revision; None for a git revision (to resolve)."""
    if spec is None or spec == WORKSPACE:
        return Revision(WORKSPACE, None)
    if not spec.strip():
        raise UsageError("empty revision: give a git revision, NAME@vX.Y.Z, NAME#STAGE or `workspace`")
    if "#" in spec or "@v" in spec:
        ref = parse_ref(spec)
        if ref.name in project.state.artifacts:
            return Revision(spec, lookup(project.state, ref).commit)
    return None


def compare(
    project: Project,
    a: str | None,
    b: str | None,
    all_values: bool = False,
    gates: list[str] | None = None,
    fetch: bool = False,
) -> Comparison:
    """Diff metrics and params of A (default HEAD) and B (default the workspace), then check gates.

    Gates come from `--fail-on` rules, else from `trail.yaml` as A has it (so a pull request cannot loosen
    its own gates). Every gate fails when a declared metrics file of either side could not be read.
    `fetch`: download DVC-cached metrics files missing from the local cache from the default remote.
    """
    old_rev, new_rev = revisions(project, ["HEAD" if a is None else a, b])
    reader = RevisionReader(project.git)
    old, new = reader.read([old_rev, new_rev], fetch=fetch, also=(CONFIG_FILE,))
    if old_rev.commit is None and CONFIG_FILE in reader.refused:
        raise reader.refused[CONFIG_FILE]  # the gates come from here: never silently none
    config = parse_config(
        old.other.get(CONFIG_FILE), at(CONFIG_FILE, old_rev.commit) if old_rev.commit else CONFIG_FILE
    )
    rules = [diff.parse_gate(g) for g in (gates if gates else config.gates)]
    checked = diff.check_gates(rules, old.metrics, new.metrics)
    if rules and (unread := [*old.unreadable, *new.unreadable]):
        names = ", ".join(sorted({f"{u.path} at {u.revision.label}" for u in unread}))
        checked = [diff.GateResult(rule, None, None, breached=True, unreadable=names) for rule in rules]
    return Comparison(
        old,
        new,
        diff.diff_documents(old.metrics, new.metrics, all_values),
        diff.diff_documents(old.params, new.params, all_values),
        checked,
        config.directions,
    )


def pull_request(
    project: Project, base: str, head: str, gates: list[str] | None = None, fetch: bool = False
) -> PullRequest:
    """The comparison of BASE and HEAD plus the upstream changes of every artifact whose content changed."""
    from dvc_trail.lineage import provenance

    result = compare(project, base, head, gates=gates, fetch=fetch)
    old, new = result.old.revision.commit, result.new.revision.commit
    return PullRequest(result, provenance.upstream_changes(project, result.changed_artifacts(), old, new))


def require_better(project: Project, ref: str, stage: str, metric: str, fetch: bool = False) -> str:
    """Refuse a promotion when the candidate is worse on METRIC than the version holding STAGE now.

    Returns a one-line verdict for the log; raises TrailError when the candidate is worse, or when a declared
    metrics file of either version could not be read.
    """
    artifact, candidate = project.lookup(ref)
    holder = artifact.stage_holders().get(stage)
    if holder is None:
        return f"no version holds {stage!r} yet: nothing to compare {metric} with"
    if holder is candidate:
        return f"{ref} already holds {stage!r}"
    config = load_config(project.git.root)
    reader = RevisionReader(project.git)
    revisions = [
        Revision(f"{artifact.name}@{holder.version}", holder.commit),
        Revision(f"{artifact.name}@{candidate.version}", candidate.commit),
    ]
    (cur_metrics, cur_unread), (new_metrics, new_unread) = (
        data.artifact_metrics(artifact.name) for data in reader.read(revisions, params=False, fetch=fetch)
    )
    if cur_unread or new_unread:
        names = "; ".join(u.message for u in [*cur_unread, *new_unread])
        raise TrailError(f"refusing to assign {stage!r}: cannot compare {metric}: {names}")
    old_value, new_value = _metric(cur_metrics, metric), _metric(new_metrics, metric)
    if old_value is None or new_value is None:
        where = holder.version if old_value is None else candidate.version
        raise NotFound(f"metric {metric!r} not found at {artifact.name}@{where}")
    lower = diff.lower_is_better(metric, config.directions)
    new_text, old_text = diff.format_number(new_value), diff.format_number(old_value)
    verdict = f"{metric}: {new_text} vs {old_text} for {holder.version} in {stage!r}"
    if diff.is_worse(old_value, new_value, lower):
        raise TrailError(f"refusing to assign {stage!r}: {ref} is worse on {verdict}")
    return verdict


def _metric(metrics: Documents, metric: str) -> Any:
    for path, values in metrics.items():
        for key, value in values.items():
            if metric in (key, f"{path}:{key}"):
                return value
    return None


@dataclass(frozen=True)
class Trend:
    """Every active version of an artifact with its metrics, and the metrics files that could not be read."""

    rows: list[dict[str, Any]]
    unreadable: list[Unreadable]


def trend(project: Project, name: str, fetch: bool = False) -> Trend:
    """Every active registered version of NAME with its metrics, in version order (a few batched git reads).

    A version's metrics are those of NAME's own pipeline (see `RevisionData.artifact_metrics`).
    """
    artifact = project.artifact_state(name)
    versions = artifact.active_versions()[::-1]
    if not versions:
        raise NotFound(f"{name} has no active registered version")
    revisions = [Revision(f"{name}@{v.version}", v.commit) for v in versions]
    read = RevisionReader(project.git).read(revisions, params=False, fetch=fetch)
    scoped = [data.artifact_metrics(name) for data in read]
    holders = artifact.stage_holders()
    rows = [
        {
            "version": v.version,
            "commit": v.commit,
            "created_at": v.created_at.isoformat(),
            "stages": sorted(s for s, h in holders.items() if h is v),
            "metrics": metrics,
        }
        for v, (metrics, _) in zip(versions, scoped, strict=True)
    ]
    return Trend(rows, [u for _, unread in scoped for u in unread])
