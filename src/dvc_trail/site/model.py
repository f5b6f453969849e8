"""The registry as the site shows it: artifacts, versions with card, lineage and diff, from state and facts.

Everything here is computed from the registry state (the tags) and the per-commit facts; nothing reads git.
Shapes follow the CLI's JSON: a version's `show` is `trail show --json`, its `lineage` is `trail lineage --json`
(without the code inputs' last commit, which would cost one `git log` per version).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from dvc_trail.dvcfiles import documents, locks
from dvc_trail.dvcfiles.locks import StageLock
from dvc_trail.lineage import graph
from dvc_trail.metrics import diff
from dvc_trail.registry import gto_json, versions
from dvc_trail.registry.state import ArtifactState, VersionState
from dvc_trail.registry.tags import Action, semver_key
from dvc_trail.shorthand import at, short
from dvc_trail.site.facts import CommitFacts

HashIndex = dict[tuple[str, str], list[str]]  # (path, md5) -> ["name@version", ...]


@dataclass(frozen=True)
class VersionView:
    """One version's page and API file: the card (`show`), the lineage, what changed since the previous one."""

    name: str
    version: str
    commit: str
    show: dict[str, Any]
    lineage: dict[str, Any] | None
    lineage_error: str | None
    previous: str | None
    metrics_diff: dict[str, dict[str, dict]]
    params_diff: dict[str, dict[str, dict]]
    upstream: list[dict[str, Any]]
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class ArtifactView:
    """One artifact's page and API file: its declaration, versions, metrics across versions, stage history."""

    name: str
    active: bool
    decl: dict[str, Any] | None
    latest: str | None
    stages: dict[str, str]
    versions: list[dict[str, Any]] = field(default_factory=list)  # newest first
    metric_keys: list[str] = field(default_factory=list)  # `path:key` of every numeric metric
    stage_history: list[dict[str, Any]] = field(default_factory=list)
    last_event: dict[str, Any] | None = None


def facts_key(name: str, commit: str) -> tuple[str, str]:
    """The (commit, dvc.yaml) pair whose facts describe an artifact at a commit."""
    return (commit, documents.dvcfile_for(name))


def hash_index(
    artifacts: dict[str, ArtifactState],
    facts: dict[tuple[str, str], CommitFacts],
    active: dict[str, list[VersionState]] | None = None,
) -> HashIndex:
    """Every active registered version's own output hash, as `lineage` names inputs that are registered artifacts.

    `active` (name -> active registered versions), when the caller has it already, saves recomputing it.
    """
    index: HashIndex = {}
    for name, artifact in artifacts.items():
        for v in active[name] if active is not None else artifact.active_versions():
            f = facts.get(facts_key(name, v.commit))
            decl = f.decls.get(name) if f else None
            if f is None or decl is None:
                continue
            for row in f.stage_rows:  # f.outputs(), without building the list
                for o in row[4]:
                    if o[1] and o[0] == decl.path:
                        index.setdefault((o[0], o[1]), []).append(f"{name}@{v.version}")
    for refs in index.values():
        refs.sort(key=_ref_key)
    return index


def _ref_key(ref: str) -> tuple:
    name, _, version = ref.rpartition("@")
    return (name, semver_key(version))


def _others(refs: list[str] | None, name: str, names: set[str]) -> list[str]:
    """Registered versions of other artifacts of the same dvc.yaml (as `trail lineage` names them)."""
    return [r for r in refs or [] if (n := r.rpartition("@")[0]) != name and n in names]


def show_dict(
    artifact: ArtifactState, version: VersionState, f: CommitFacts | None, stages: list[str]
) -> dict[str, Any]:
    """A version as `trail show --json` prints it."""
    decl = f.decls.get(artifact.name) if f else None
    out = f.output(decl.path) if f and decl else None
    message = f.commit_message if f else None
    return versions.version_record(
        artifact, version, stages, message, decl, out, f.metrics if f else {}, f.params if f else {}
    )


def chain_of(name: str, f: CommitFacts | None) -> list[StageLock]:
    """The stages upstream of the artifact's path at that commit, upstream first (empty when unknown)."""
    decl = f.decls.get(name) if f else None
    if f is None or decl is None:
        return []
    return graph.upstream(f.stages, decl.path)


def lineage_dict(
    artifact: ArtifactState,
    version: VersionState,
    f: CommitFacts | None,
    index: HashIndex,
    lineages: Lineages | None = None,
) -> tuple[dict[str, Any] | None, str | None]:
    """A version's lineage as `trail lineage --json` prints it, or None and the reason it cannot be told."""
    name = artifact.name
    if f is None or f.error:
        return None, f.error if f else "not read"
    decl = f.decls.get(name)
    if decl is None:
        return None, f"artifact {name!r} is not declared in {at(f.dvcfile, version.commit)}"
    chain = lineages.chain(name, version.commit) if lineages else graph.upstream(f.stages, decl.path)
    if not chain and not f.has_lock and decl.path not in f.dvc_files:
        return None, f"no dvc.lock at {short(version.commit)} and no {decl.path}.dvc: nothing records how it was made"
    names = set(f.decls)
    own = next((o for s in chain for o in s.outs if o.path == decl.path), None)
    if not chain:
        leaves = [locks.FileHash(decl.path, None)]
    else:
        leaves = lineages.leaf_inputs(chain) if lineages else graph.leaf_inputs(chain)
    inputs = []
    for leaf in leaves:
        entry: dict[str, Any] = {"path": leaf.path, "md5": leaf.md5, "kind": "file"}
        info = f.dvc_files.get(leaf.path)
        if info is not None:
            entry["md5"] = entry["md5"] or info.md5
            if info.source:
                entry.update(kind="import", source=info.source, frozen=info.frozen)
            else:
                entry["kind"] = "dvc add"
        refs = _others(index.get((leaf.path, entry["md5"] or "")), name, names)
        if refs:
            entry.update(kind="artifact", versions=refs)
        elif entry["kind"] == "file" and leaf.path in f.in_git:
            entry["kind"] = "code"
        inputs.append(entry)
    stages = []
    for stage in chain:
        data = stage.to_dict()
        for dep in data["deps"]:
            refs = _others(index.get((dep["path"], dep["md5"] or "")), name, names)
            if refs:
                dep["versions"] = refs
        stages.append(data)
    own_md5 = own.md5 if own else next((i["md5"] for i in inputs if i["path"] == decl.path), None)
    event = version.authoring_event
    return {
        "name": name,
        "version": version.version,
        "commit": version.commit,
        "path": decl.path,
        "md5": own_md5,
        "stages": stages,
        "inputs": inputs,
        "author": event.author,
        "author_email": event.author_email,
        "created_at": event.created_at.isoformat(),
    }, None


def upstream_changes(
    old_chain: list[StageLock], new_chain: list[StageLock], old: dict | None, new: dict | None
) -> list[dict[str, Any]]:
    """What changed upstream between two versions, as `trail lineage --vs` reports it."""
    found = graph.changes(old_chain, new_chain)
    names: dict[tuple[Any, Any], Any] = {}
    for info in (old, new):
        if info:
            names.update({(i["path"], i["md5"]): i.get("versions") for i in info["inputs"]})
            deps = [d for s in info["stages"] for d in s["deps"] if "versions" in d]
            names.update({(d["path"], d["md5"]): d["versions"] for d in deps})
    for change in found:
        if change["kind"] == "dep":
            change["old_versions"] = names.get((change["path"], change["old"])) or []
            change["new_versions"] = names.get((change["path"], change["new"])) or []
    return found


class Lineages:
    """Each version's lineage and upstream chain, computed once per build (its page and its successor's share it)."""

    def __init__(self, facts: dict[tuple[str, str], CommitFacts], index: HashIndex) -> None:
        self.facts, self.index = facts, index
        self.infos: dict[tuple[str, str], tuple[dict[str, Any] | None, str | None]] = {}
        self.chains: dict[tuple[str, str], list[StageLock]] = {}
        self.leaf_spots: dict[tuple, list[tuple[int, int]]] = {}

    def of(self, artifact: ArtifactState, version: VersionState) -> tuple[dict[str, Any] | None, str | None]:
        """The version's lineage (as `trail lineage --json`), or None and the reason."""
        key = (artifact.name, version.version)
        if key not in self.infos:
            f = self.facts.get(facts_key(artifact.name, version.commit))
            self.infos[key] = lineage_dict(artifact, version, f, self.index, self)
        return self.infos[key]

    def leaf_inputs(self, chain: list[StageLock]) -> list[locks.FileHash]:
        """`lineage.leaf_inputs(chain)`; which dependencies are leaves is worked out once per chain of paths."""
        shape = tuple((tuple(d.path for d in s.deps), tuple(o.path for o in s.outs)) for s in chain)
        if shape not in self.leaf_spots:
            spots = {id(d): (i, j) for i, s in enumerate(chain) for j, d in enumerate(s.deps)}
            self.leaf_spots[shape] = [spots[id(d)] for d in graph.leaf_inputs(chain)]
        return [chain[i].deps[j] for i, j in self.leaf_spots[shape]]

    def chain(self, name: str, commit: str) -> list[StageLock]:
        """The stages upstream of an artifact's path at a commit, upstream first (computed once)."""
        if (name, commit) not in self.chains:
            self.chains[(name, commit)] = chain_of(name, self.facts.get(facts_key(name, commit)))
        return self.chains[(name, commit)]


def version_view(
    artifact: ArtifactState,
    version: VersionState,
    previous: VersionState | None,
    lineages: Lineages,
    stages: list[str],
) -> VersionView:
    """Everything one version page shows."""
    facts = lineages.facts
    f = facts.get(facts_key(artifact.name, version.commit))
    show = show_dict(artifact, version, f, stages)
    info, error = lineages.of(artifact, version)
    metrics_diff: dict = {}
    params_diff: dict = {}
    upstream: list = []
    if previous is not None:
        pf = facts.get(facts_key(artifact.name, previous.commit))
        metrics_diff = diff.diff_documents(pf.metrics if pf else {}, show["metrics"])
        params_diff = diff.diff_documents(pf.params if pf else {}, show["params"])
        old_info = lineages.of(artifact, previous)[0]
        old_chain = lineages.chain(artifact.name, previous.commit)
        upstream = upstream_changes(old_chain, lineages.chain(artifact.name, version.commit), old_info, info)
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


def digest(parts: Any) -> str:
    """A short stable digest of nested lists and tuples of text, numbers, booleans and None (by the C JSON encoder)."""
    return hashlib.sha256(json.dumps(parts, check_circular=False).encode()).hexdigest()[:32]


def version_key(
    artifact: ArtifactState,
    version: VersionState,
    previous: VersionState | None,
    stages: list[str],
    links: tuple,
    salt: str,
) -> str:
    """A digest of everything a version page depends on: unchanged digest, unchanged page (no render needed)."""
    events = [(e.tag, e.timestamp, e.tz_offset, e.author, e.author_email, e.message) for e in version.events]
    parts: tuple = (salt, artifact.name, version.version, version.commit, events, stages)
    parts += (artifact.is_active, previous.commit if previous else None, previous.version if previous else None, links)
    return digest(parts)


def event_stamps(artifact: ArtifactState) -> list[tuple]:
    """What the pages show of an artifact's events (a part of their digests)."""
    return [(e.tag, e.commit, e.timestamp, e.tz_offset, e.author, e.author_email, e.message) for e in artifact.events]


def links_at(f: CommitFacts | None, index: HashIndex) -> tuple:
    """The registered versions that inputs at this commit resolve to (they change when others register)."""
    if f is None:
        return ()
    found = []
    for path, md5 in f.inputs():
        refs = index.get((path, md5))
        if refs:
            found.append((path, tuple(refs)))
    return tuple(found)


def numeric_keys(rows: list[dict[str, Any]]) -> list[str]:
    """Every numeric metric as `path:key`, in first-seen order."""
    keys: dict[str, None] = {}
    for row in rows:
        for path, flat in row["metrics"].items():
            for key, value in flat.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    keys.setdefault(f"{path}:{key}")
    return list(keys)


def artifact_view(
    artifact: ArtifactState,
    stages: dict[str, str | None],
    facts: dict[tuple[str, str], CommitFacts],
    summary: bool = False,
    metrics: dict[str, dict[str, Any]] | None = None,
) -> ArtifactView:
    """Everything one artifact page shows (`summary`: only what the index shows, no version rows)."""
    versions = artifact.active_versions()
    holders = {} if summary else artifact.stage_holders()
    latest = versions[0] if versions else None
    decl_facts = facts.get(facts_key(artifact.name, latest.commit)) if latest else None
    decl = decl_facts.decls.get(artifact.name) if decl_facts else None
    rows = []
    for v in [] if summary else versions:
        f = facts.get(facts_key(artifact.name, v.commit))
        found = metrics.get(v.version, {}) if metrics is not None else (f.metrics if f else {})
        event = v.authoring_event
        rows.append(
            {
                "version": v.version,
                "commit": v.commit,
                "created_at": event.created_at.isoformat(),
                "author": event.author,
                "stages": sorted(s for s, h in holders.items() if h is v),
                "metrics": found,
            }
        )
    moves = (Action.ASSIGN, Action.UNASSIGN)
    history = [] if summary else gto_json.history([e for e in reversed(artifact.events) if e.action in moves], False)
    return ArtifactView(
        artifact.name,
        artifact.is_active,
        decl.to_dict() if decl else None,
        latest.version if latest else None,
        {s: v for s, v in stages.items() if v},
        rows,
        numeric_keys(rows),
        history,
        gto_json.history(artifact.events[-1:], priority=False)[0] if artifact.events else None,
    )


def previous_versions(artifact: ArtifactState) -> list[tuple[VersionState, VersionState | None]]:
    """Each active registered version with the one before it in semver order."""
    ordered = artifact.active_versions()[::-1]
    return [(v, ordered[i - 1] if i else None) for i, v in enumerate(ordered)]
