"""Lineage and impact on a repository: what produced a version, which versions used some data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dvc_trail import dvcfiles, lineage
from dvc_trail.errors import NotFound, TrailError, UsageError
from dvc_trail.lineage import StageLock
from dvc_trail.lockcache import lock_edges
from dvc_trail.project import Project
from dvc_trail.registry import ArtifactState, VersionState, lookup, parse_ref
from dvc_trail.shorthand import at, short
from dvc_trail.tags import is_semver, semver_key, validate_name


@dataclass(frozen=True)
class Lineage:
    """What produced a version: its upstream stages and leaf inputs (JSON-shaped), and the stage chain itself."""

    name: str
    version: str | None
    commit: str
    path: str
    md5: str | None
    stages: list[dict[str, Any]]
    inputs: list[dict[str, Any]]
    author: str | None
    author_email: str | None
    created_at: str | None
    chain: list[StageLock] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The lineage as `trail lineage --json` prints it."""
        return {
            "name": self.name,
            "version": self.version,
            "commit": self.commit,
            "path": self.path,
            "md5": self.md5,
            "stages": self.stages,
            "inputs": self.inputs,
            "author": self.author,
            "author_email": self.author_email,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class LineageChanges:
    """Why two versions differ upstream: each changed command, param, dependency or output."""

    ref: str
    vs: str
    commit: str
    vs_commit: str
    changes: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The changes as `trail lineage REF --vs OTHER --json` prints them."""
        return {
            "ref": self.ref,
            "vs": self.vs,
            "commit": self.commit,
            "vs_commit": self.vs_commit,
            "changes": self.changes,
        }


@dataclass(frozen=True)
class Impact:
    """The registered versions built from some data, the commits skipped as unreadable, and the hash searched."""

    matches: list[dict[str, Any]]
    warnings: list[str]
    md5: str


def lockfile_for(name: str) -> str:
    """The dvc.lock that records an artifact's stages (beside its dvc.yaml)."""
    return dvcfiles.lock_beside(dvcfiles.dvcfile_for(name))


@dataclass(frozen=True)
class Target:
    """What a lineage query is about: an artifact at a commit, registered as a version or not."""

    name: str
    commit: str
    version: VersionState | None
    artifact: ArtifactState | None


def target(project: Project, ref: str) -> Target:
    """`NAME`, `NAME@vX.Y.Z`, `NAME#STAGE`, or `NAME@REV` for an unregistered git revision."""
    name, sep, rest = ref.partition("@")
    if sep and rest and not is_semver(rest) and rest not in ("latest", "greatest"):
        validate_name(name)
        return Target(name, project.git.resolve_commit(rest), None, project.state.artifacts.get(name))
    parsed = parse_ref(ref)
    version = lookup(project.state, parsed)
    return Target(parsed.name, version.commit, version, project.state.artifact(parsed.name))


def registered_hashes(
    project: Project, decls: dict[str, dvcfiles.ArtifactDecl], skip: str
) -> dict[tuple[str, str], list[str]]:
    """(path, md5) -> ["name@version", ...] over every active registered version of the other artifacts."""
    wanted = []
    for name, artifact in project.state.artifacts.items():
        if name == skip or name not in decls:
            continue
        wanted += [(name, v) for v in artifact.active_versions()]
    edges, _ = lock_edges(project.git, [(v.commit, lockfile_for(n)) for n, v in wanted])
    index: dict[tuple[str, str], list[str]] = {}
    for name, version in wanted:
        stages = edges.get((version.commit, lockfile_for(name))) or {}
        path = decls[name].path
        for stage in stages.values():
            for out in stage.outs:
                if out.path == path and out.md5:
                    index.setdefault((path, out.md5), []).append(f"{name}@{version.version}")
    return index


def lineage_of(project: Project, ref: str) -> Lineage:
    """Everything upstream of a version, from dvc.yaml and dvc.lock at its commit, without checkout."""
    t = target(project, ref)
    dvcfile, lockfile = dvcfiles.dvcfile_for(t.name), lockfile_for(t.name)
    blobs = project.git.read_blobs([f"{t.commit}:{dvcfile}", f"{t.commit}:{lockfile}"])
    raw_yaml, raw_lock = blobs[f"{t.commit}:{dvcfile}"], blobs[f"{t.commit}:{lockfile}"]
    if raw_yaml is None:
        raise NotFound(f"no {at(dvcfile, t.commit)}")
    decls = dvcfiles.parse_artifacts(dvcfiles.load_blob(raw_yaml, dvcfile, t.commit), dvcfile, at(dvcfile, t.commit))
    decl = decls.get(t.name)
    if decl is None:
        raise NotFound(f"artifact {t.name!r} is not declared in {at(dvcfile, t.commit)}")
    stages = lineage.parse_lock(dvcfiles.load_blob(raw_lock, lockfile, t.commit), lockfile, at(lockfile, t.commit))
    chain = lineage.upstream(stages, decl.path)
    own = next((o for s in chain for o in s.outs if o.path == decl.path), None)
    leaves = lineage.leaf_inputs(chain) if chain else [lineage.FileHash(decl.path, None)]
    if not chain and raw_lock is None and not _has_dvcfile(project, t.commit, decl.path):
        raise TrailError(
            f"no dvc.lock at {short(t.commit)} ({lockfile} is missing) and no {decl.path}.dvc: "
            "nothing records how it was made"
        )
    index = registered_hashes(project, decls, t.name)
    inputs = describe_inputs(project, t.commit, leaves, index)
    if own is None:
        dvc_out = next((i for i in inputs if i["path"] == decl.path), None)
        own_md5 = dvc_out["md5"] if dvc_out else None
    else:
        own_md5 = own.md5
    author: str | None
    email: str | None
    created: str | None
    if t.version is not None:
        event = t.version.authoring_event
        author, email, created = event.author, event.author_email, event.created_at.isoformat()
    else:
        info = project.git.commit_infos([t.commit]).get(t.commit)
        author, email, created = (info.author, info.email, info.date) if info else (None, None, None)
    stage_dicts = [_named(s.to_dict(), index) for s in chain]
    version = t.version.version if t.version else None
    return Lineage(t.name, version, t.commit, decl.path, own_md5, stage_dicts, inputs, author, email, created, chain)


def _named(stage: dict[str, Any], index: dict[tuple[str, str], list[str]]) -> dict[str, Any]:
    """Mark each dependency whose content is a registered version of another artifact."""
    for dep in stage["deps"]:
        versions = index.get((dep["path"], dep["md5"] or ""))
        if versions:
            dep["versions"] = sorted(versions, key=_version_key)
    return stage


def _has_dvcfile(project: Project, commit: str, path: str) -> bool:
    return project.git.read_blobs([f"{commit}:{path}.dvc"])[f"{commit}:{path}.dvc"] is not None


def describe_inputs(
    project: Project, commit: str, leaves: list[lineage.FileHash], index: dict[tuple[str, str], list[str]]
) -> list[dict[str, Any]]:
    """Name each leaf input: a registered artifact version, a `dvc import` source, `dvc add` data or code."""
    blobs = project.git.read_blobs([f"{commit}:{leaf.path}.dvc" for leaf in leaves])
    code = []
    described = []
    for leaf in leaves:
        entry: dict[str, Any] = {"path": leaf.path, "md5": leaf.md5, "kind": "file"}
        raw = blobs.get(f"{commit}:{leaf.path}.dvc")
        if raw is not None:
            doc = dvcfiles.load_blob(raw, f"{leaf.path}.dvc", commit)
            out = dvcfiles.dvcfile_output(doc, f"{leaf.path}.dvc")
            entry["md5"] = entry["md5"] or (out.md5 if out else None)
            source = next(
                (d.get("repo") for d in (doc or {}).get("deps") or [] if isinstance(d, dict) and d.get("repo")), None
            )
            if source:
                entry.update(
                    kind="import",
                    source={"url": source.get("url"), "rev": source.get("rev"), "rev_lock": source.get("rev_lock")},
                )
                entry["frozen"] = bool((doc or {}).get("frozen"))
            else:
                entry["kind"] = "dvc add"
        else:
            code.append(leaf.path)
        versions = index.get((leaf.path, entry["md5"] or ""), [])
        if versions:
            entry.update(kind="artifact", versions=sorted(versions, key=_version_key))
        described.append(entry)
    last = project.git.last_changes(commit, code)
    for entry in described:
        if entry["path"] in last and entry["kind"] == "file":
            entry.update(kind="code", last_commit=last[entry["path"]])
    return described


def _version_key(ref: str) -> tuple:
    name, _, version = ref.rpartition("@")
    return (name, semver_key(version))


def compare_lineage(project: Project, ref: str, other: str) -> LineageChanges:
    """Why two versions differ upstream: commands, params, data and code hashes."""
    new, old = lineage_of(project, ref), lineage_of(project, other)
    found = lineage.changes(old.chain, new.chain)
    names = {(i["path"], i["md5"]): i.get("versions") for i in old.inputs + new.inputs}
    for info in (old, new):
        names.update(
            {(d["path"], d["md5"]): d["versions"] for s in info.stages for d in s["deps"] if d.get("versions")}
        )
    for change in found:
        if change["kind"] == "dep":
            change["old_versions"] = names.get((change["path"], change["old"])) or []
            change["new_versions"] = names.get((change["path"], change["new"])) or []
    return LineageChanges(ref, other, new.commit, old.commit, found)


def impact(
    project: Project, path: str, md5: str | None = None, rev: str | None = None, stage: str | None = None
) -> Impact:
    """Registered, active versions whose lineage read or wrote PATH at a hash (default: PATH's hash at HEAD)."""
    path = dvcfiles.join("", path.strip("/"))
    if md5 and rev:
        raise UsageError("give either --md5 or --rev, not both")
    artifacts = project.state.artifacts
    head = project.git.resolve_commit(rev or "HEAD")
    decls = _declarations(project, head, artifacts)
    versions = [(n, v) for n, a in artifacts.items() if n in decls for v in a.active_versions()]
    head_keys = [(head, lf) for lf in sorted({lockfile_for(n) for n in artifacts} | {"dvc.lock"})]
    edges, warnings = lock_edges(project.git, head_keys + [(v.commit, lockfile_for(n)) for n, v in versions])
    if md5 is None:
        md5 = _hash_at(project, head, path, [edges[k] for k in head_keys])
    matches = []
    holders = {n: project.state.artifacts[n].stage_holders() for n in {n for n, _ in versions}}
    producers: dict[tuple[str, str], lineage.Producers] = {}  # artifacts registered at one commit share it
    for name, version in versions:
        key = (version.commit, lockfile_for(name))
        stages = edges.get(key)
        if not stages:
            continue
        if key not in producers:
            producers[key] = lineage.Producers(stages)
        chain = lineage.upstream(stages, decls[name].path, producers[key])
        if lineage.uses(chain, path, md5):
            held = sorted(s for s, v in holders[name].items() if v is version)
            if stage is None or stage in held:
                matches.append({"name": name, "version": version.version, "commit": version.commit, "stages": held})
    matches.sort(key=lambda m: (str(m["name"]), semver_key(str(m["version"]))))
    return Impact(matches, warnings, md5)


def _declarations(
    project: Project, commit: str, artifacts: dict[str, ArtifactState]
) -> dict[str, dvcfiles.ArtifactDecl]:
    files = sorted({dvcfiles.dvcfile_for(n) for n in artifacts})
    blobs = project.git.read_blobs([f"{commit}:{f}" for f in files])
    decls: dict[str, dvcfiles.ArtifactDecl] = {}
    for f in files:
        raw = blobs[f"{commit}:{f}"]
        if raw is not None:
            decls.update(dvcfiles.parse_artifacts(dvcfiles.load_blob(raw, f, commit), f, at(f, commit)))
    return decls


def _hash_at(project: Project, commit: str, path: str, locks: list[dict[str, StageLock] | None]) -> str:
    """PATH's hash at a commit: from its dvc.lock files (already read), else from PATH.dvc."""
    for stages in locks:
        for stage in (stages or {}).values():
            for f in (*stage.deps, *stage.outs):
                if f.path == path and f.md5:
                    return f.md5
    spec = f"{commit}:{path}.dvc"
    raw = project.git.read_blobs([spec])[spec]
    if raw is not None:
        out = dvcfiles.dvcfile_output(dvcfiles.load_blob(raw, f"{path}.dvc", commit), f"{path}.dvc")
        if out:
            return out.md5
    raise NotFound(f"no hash for {at(path, commit)}: not a dependency or output in dvc.lock, and no {path}.dvc")


def upstream_changes(
    project: Project, changed: list[dict[str, Any]], old: str | None, new: str | None
) -> dict[str, list[dict[str, Any]]]:
    """For a PR report: artifact name -> what changed upstream of it, for each artifact whose content changed."""
    if old is None or new is None:
        return {}
    found = {}
    for artifact in changed:
        try:
            result = compare_lineage(project, f"{artifact['name']}@{new}", f"{artifact['name']}@{old}")
        except TrailError:
            continue
        found[artifact["name"]] = result.changes
    return found
