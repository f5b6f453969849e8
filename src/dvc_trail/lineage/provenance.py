"""Lineage and impact on a repository: what produced a version, which versions used some data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dvc_trail.dvcfiles import documents
from dvc_trail.dvcfiles.locks import FileHash, StageLock, parse_lock
from dvc_trail.errors import NotFound, TrailError, UsageError
from dvc_trail.lineage import graph, pipelines
from dvc_trail.lineage.stagegraphs import commit_stages, dvcfile_hashes, lockfiles
from dvc_trail.project import Project
from dvc_trail.registry.references import lookup, parse_ref
from dvc_trail.registry.state import ArtifactState, VersionState
from dvc_trail.registry.tags import is_semver, semver_key, validate_name
from dvc_trail.secrets import public_url
from dvc_trail.shorthand import at, short


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
    return documents.lock_beside(documents.dvcfile_for(name))


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
    project: Project, decls: dict[str, documents.ArtifactDecl], skip: str, locks: list[str]
) -> dict[tuple[str, str], list[str]]:
    """(path, md5) -> ["name@version", ...] over every active registered version of the other artifacts.

    A version's hash comes from the stage that outputs its path in any of `locks`, else from PATH.dvc.
    """
    wanted = []
    for name, artifact in project.state.artifacts.items():
        if name == skip or name not in decls:
            continue
        wanted += [(name, v) for v in artifact.active_versions()]
    stages, _ = commit_stages(project.git, [v.commit for _, v in wanted], locks)
    index: dict[tuple[str, str], list[str]] = {}
    no_stage = []
    for name, version in wanted:
        path = decls[name].path
        md5s = {o.md5 for s in stages[version.commit].values() for o in s.outs if o.path == path and o.md5}
        if not md5s:
            no_stage.append((name, version))
        for md5 in md5s:
            index.setdefault((path, md5), []).append(f"{name}@{version.version}")
    added = dvcfile_hashes(project.git, [(v.commit, decls[n].path) for n, v in no_stage])
    for name, version in no_stage:
        if (found := added.get((version.commit, decls[name].path))) is not None:
            index.setdefault((decls[name].path, found), []).append(f"{name}@{version.version}")
    return index


def lineage_of(project: Project, ref: str) -> Lineage:
    """Everything upstream of a version, from dvc.yaml and dvc.lock at its commit, without checkout."""
    from dvc_trail.store.revisions import Revision, RevisionReader

    t = target(project, ref)
    dvcfile, lockfile = documents.dvcfile_for(t.name), lockfile_for(t.name)
    (data,) = RevisionReader(project.git).read([Revision(short(t.commit), t.commit)], params=False, metrics=False)
    if dvcfile not in data.dvcyamls:
        raise NotFound(f"no {at(dvcfile, t.commit)}")
    decls = data.artifacts()
    decl = decls.get(t.name)
    if decl is None:
        raise NotFound(f"artifact {t.name!r} is not declared in {at(dvcfile, t.commit)}")
    parsed = {lf: parse_lock(doc, lf, at(lf, t.commit), data.wdirs(lf)) for lf, doc in data.locks.items()}
    stages = pipelines.merge(parsed, lockfile)
    chain = graph.upstream(stages, decl.path)
    own = next((o for s in chain for o in s.outs if o.path == decl.path), None)
    leaves = graph.leaf_inputs(chain) if chain else [FileHash(decl.path, None)]
    if not chain and lockfile not in data.lock_texts and not _has_dvcfile(project, t.commit, decl.path):
        raise TrailError(
            f"no dvc.lock at {short(t.commit)} ({lockfile} is missing) and no {decl.path}.dvc: "
            "nothing records how it was made"
        )
    index = registered_hashes(project, decls, t.name, sorted({*data.lock_texts, lockfile}))
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
    project: Project, commit: str, leaves: list[FileHash], index: dict[tuple[str, str], list[str]]
) -> list[dict[str, Any]]:
    """Name each leaf input: a registered artifact version, a `dvc import` source, `dvc add` data or code."""
    blobs = project.git.read_blobs([f"{commit}:{leaf.path}.dvc" for leaf in leaves])
    code = []
    described = []
    for leaf in leaves:
        entry: dict[str, Any] = {"path": leaf.path, "md5": leaf.md5, "kind": "file"}
        raw = blobs.get(f"{commit}:{leaf.path}.dvc")
        if raw is not None:
            doc = documents.load_blob(raw, f"{leaf.path}.dvc", commit)
            out = documents.dvcfile_output(doc, f"{leaf.path}.dvc")
            entry["md5"] = entry["md5"] or (out.md5 if out else None)
            source = next(
                (d.get("repo") for d in (doc or {}).get("deps") or [] if isinstance(d, dict) and d.get("repo")), None
            )
            if source:
                url, rev, rev_lock = _public(source.get("url")), source.get("rev"), source.get("rev_lock")
                entry.update(kind="import", source={"url": url, "rev": rev, "rev_lock": rev_lock})
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
    found = graph.changes(old.chain, new.chain)
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
    """Registered, active versions whose lineage read or wrote PATH at a hash (default: PATH's hash at HEAD).

    `md5` may be any unambiguous prefix (7+ hex digits, either case, `.dir` optional); the lineage of each
    version spans every pipeline of its commit (the dvc.lock files present at HEAD or `rev`).
    """
    path = documents.join("", path.strip("/"))
    if md5 is not None:
        pipelines.hash_prefix(md5)  # a typo is a usage error before anything is read
        if rev:
            raise UsageError("give either --md5 or --rev, not both")
    artifacts = project.state.artifacts
    head = project.git.resolve_commit(rev or "HEAD")
    decls = _declarations(project, head, artifacts)
    versions = [(n, v) for n, a in artifacts.items() if n in decls for v in a.active_versions()]
    locks = lockfiles(project.git, head, [lockfile_for(n) for n in artifacts])
    stages, warnings = commit_stages(project.git, [head, *(v.commit for _, v in versions)], locks)
    at_head = _stage_hash(stages[head], path)
    dvc_files = [(v.commit, path) for n, v in versions if decls[n].path == path]
    added = dvcfile_hashes(project.git, dvc_files + ([(head, path)] if at_head is None else []))
    if md5 is None:
        wanted = at_head or added.get((head, path))
        if wanted is None:
            raise NotFound(f"no hash for {at(path, head)}: not a dependency or output in dvc.lock, and no {path}.dvc")
    else:
        known = {f.md5 for st in stages.values() for s in st.values() for f in (*s.deps, *s.outs) if f.path == path}
        known |= set(added.values())
        wanted = pipelines.match_hash(md5, {h for h in known if h}) or pipelines.hash_prefix(md5)
    matches = []
    holders = {n: project.state.artifacts[n].stage_holders() for n in {n for n, _ in versions}}
    producers: dict[str, graph.Producers] = {}  # artifacts registered at one commit share it
    for name, version in versions:
        stage_graph = stages[version.commit]
        if version.commit not in producers:
            producers[version.commit] = graph.Producers(stage_graph)
        chain = graph.upstream(stage_graph, decls[name].path, producers[version.commit])
        if graph.uses(chain, path, wanted) or added.get((version.commit, path)) == wanted:
            held = sorted(s for s, v in holders[name].items() if v is version)
            if stage is None or stage in held:
                matches.append({"name": name, "version": version.version, "commit": version.commit, "stages": held})
    matches.sort(key=lambda m: (str(m["name"]), semver_key(str(m["version"]))))
    return Impact(matches, warnings, wanted)


def _declarations(
    project: Project, commit: str, artifacts: dict[str, ArtifactState]
) -> dict[str, documents.ArtifactDecl]:
    files = sorted({documents.dvcfile_for(n) for n in artifacts})
    blobs = project.git.read_blobs([f"{commit}:{f}" for f in files])
    decls: dict[str, documents.ArtifactDecl] = {}
    for f in files:
        raw = blobs[f"{commit}:{f}"]
        if raw is not None:
            decls.update(documents.parse_artifacts(documents.load_blob(raw, f, commit), f, at(f, commit)))
    return decls


def _stage_hash(stages: dict[str, StageLock], path: str) -> str | None:
    """PATH's hash as a commit's stages record it (a dependency or an output), if any does."""
    return next((f.md5 for s in stages.values() for f in (*s.deps, *s.outs) if f.path == path and f.md5), None)


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


def _public(url: object) -> str | None:
    """An import's source URL as shown: no userinfo, query string or fragment (`secrets.public_url`)."""
    return public_url(url) if isinstance(url, str) else None
