"""Comparisons across revisions: metric/param diffs, gates, PR reports, promotion checks, metric trends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dvc_trail import diff, dvcfiles
from dvc_trail.config import CONFIG_FILE, load_config, parse_config
from dvc_trail.errors import NotFound, TrailError, UsageError
from dvc_trail.project import Project
from dvc_trail.registry import lookup, parse_ref
from dvc_trail.revisions import WORKSPACE, Revision, RevisionData, RevisionReader
from dvc_trail.shorthand import at


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
    if spec is None or spec == WORKSPACE:
        return Revision(WORKSPACE, None)
    if not spec.strip():
        raise UsageError("empty revision: give a git revision, NAME@vX.Y.Z, NAME#STAGE or `workspace`")
    if "#" in spec or "@v" in spec:
        ref = parse_ref(spec)
        if ref.name in project.state.artifacts:
            return Revision(spec, lookup(project.state, ref).commit)
    return Revision(spec, project.git.resolve_commit(spec))


def compare(
    project: Project, a: str | None, b: str | None, all_values: bool = False, gates: list[str] | None = None
) -> Comparison:
    """Diff metrics and params of A (default HEAD) and B (default the workspace), then check gates.

    Gates come from `--fail-on` rules, else from `trail.yaml` as A has it (so a pull request cannot loosen
    its own gates).
    """
    old_rev = revision(project, "HEAD" if a is None else a)
    new_rev = revision(project, b)
    if old_rev.commit is None:
        config = load_config(project.git.root)
    else:
        spec = f"{old_rev.commit}:{CONFIG_FILE}"
        config = parse_config(project.git.read_blobs([spec])[spec], at(CONFIG_FILE, old_rev.commit))
    rules = [diff.parse_gate(g) for g in (gates if gates else config.gates)]
    old, new = RevisionReader(project.git).read([old_rev, new_rev])
    return Comparison(
        old,
        new,
        diff.diff_documents(old.metrics, new.metrics, all_values),
        diff.diff_documents(old.params, new.params, all_values),
        diff.check_gates(rules, old.metrics, new.metrics),
        config.directions,
    )


def pull_request(project: Project, base: str, head: str, gates: list[str] | None = None) -> PullRequest:
    """The comparison of BASE and HEAD plus the upstream changes of every artifact whose content changed."""
    from dvc_trail import provenance

    result = compare(project, base, head, gates=gates)
    old, new = result.old.revision.commit, result.new.revision.commit
    return PullRequest(result, provenance.upstream_changes(project, result.changed_artifacts(), old, new))


def require_better(project: Project, ref: str, stage: str, metric: str) -> str:
    """Refuse a promotion when the candidate is worse on METRIC than the version holding STAGE now.

    Returns a one-line verdict for the log; raises TrailError when the candidate is worse.
    """
    artifact, candidate = project.lookup(ref)
    holder = artifact.stage_holders().get(stage)
    if holder is None:
        return f"no version holds {stage!r} yet: nothing to compare {metric} with"
    if holder is candidate:
        return f"{ref} already holds {stage!r}"
    config = load_config(project.git.root)
    reader = RevisionReader(project.git)
    cur, new = reader.read([Revision(holder.version, holder.commit), Revision(candidate.version, candidate.commit)])
    old_value, new_value = _metric(cur, metric), _metric(new, metric)
    if old_value is None or new_value is None:
        where = holder.version if old_value is None else candidate.version
        raise NotFound(f"metric {metric!r} not found at {artifact.name}@{where}")
    lower = diff.lower_is_better(metric, config.directions)
    new_text, old_text = diff.format_number(new_value), diff.format_number(old_value)
    verdict = f"{metric}: {new_text} vs {old_text} for {holder.version} in {stage!r}"
    if diff.is_worse(old_value, new_value, lower):
        raise TrailError(f"refusing to assign {stage!r}: {ref} is worse on {verdict}")
    return verdict


def _metric(data: RevisionData, metric: str) -> Any:
    for path, values in data.metrics.items():
        for key, value in values.items():
            if metric in (key, f"{path}:{key}"):
                return value
    return None


def trend(project: Project, name: str) -> list[dict[str, Any]]:
    """Every active registered version of NAME with its metrics, in version order (two cat-file batches)."""
    artifact = project.state.artifact(name)
    versions = artifact.active_versions()[::-1]
    if not versions:
        raise NotFound(f"{name} has no active registered version")
    dvcfile = dvcfiles.dvcfile_for(name)
    specs = [f"{v.commit}:{dvcfile}" for v in versions]
    docs = project.git.read_blobs(specs)
    by_content: dict[bytes | None, list[str]] = {}  # dvc.yaml rarely changes: parse each distinct text once
    paths = {}
    for v in versions:
        raw = docs[f"{v.commit}:{dvcfile}"]
        if raw not in by_content:
            by_content[raw] = dvcfiles.metric_paths(
                dvcfiles.load_blob(raw, dvcfile, v.commit), dvcfile, at(dvcfile, v.commit)
            )
        paths[v.commit] = by_content[raw]
    blobs = project.git.read_blobs([f"{c}:{p}" for c, ps in paths.items() for p in ps])
    holders = artifact.stage_holders()
    rows = []
    for v in versions:
        metrics = {}
        for path in paths[v.commit]:
            raw = blobs.get(f"{v.commit}:{path}")
            if raw is not None:
                where = at(path, v.commit)
                metrics[path] = dvcfiles.metrics_document(raw, path, where)
        rows.append(
            {
                "version": v.version,
                "commit": v.commit,
                "created_at": v.created_at.isoformat(),
                "stages": sorted(s for s, h in holders.items() if h is v),
                "metrics": metrics,
            }
        )
    return rows
