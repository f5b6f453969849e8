"""Lineage and impact on a repository: what produced a version, which versions used some data."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvc_trail import dvcfiles, lineage
from dvc_trail.errors import NotFound, TrailError, UsageError
from dvc_trail.lineage import StageLock
from dvc_trail.project import Project
from dvc_trail.registry import ArtifactState, VersionState, parse_ref, resolve
from dvc_trail.tags import is_semver, semver_key, validate_name

CACHE_FORMAT = 1


class LockCache:
    """Parsed dvc.lock edges by `commit:lockfile`, kept under `.git/trail/` (commits never change).

    A missing, unreadable or foreign cache file is simply rebuilt; writes are atomic.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / "trail" / f"locks-v{CACHE_FORMAT}.json"
        self.entries: dict[str, Any] = {}
        self.dirty = False
        try:
            data = json.loads(self.path.read_text())
            if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except (OSError, ValueError):
            pass

    def get(self, key: str) -> dict[str, StageLock] | None | bool:
        """Stages for a key, None for a commit without that lock file, False when not cached."""
        if key not in self.entries:
            return False
        raw = self.entries[key]
        if raw is None:
            return None
        try:
            lockfile = key.split(":", 1)[1]
            return {
                name: StageLock(
                    name,
                    lockfile,
                    tuple(lineage.FileHash(p, m) for p, m in body["deps"]),
                    tuple(lineage.FileHash(p, m) for p, m in body["outs"]),
                )
                for name, body in raw.items()
            }
        except (KeyError, TypeError, ValueError, IndexError):
            del self.entries[key]
            return False

    def put(self, key: str, stages: dict[str, StageLock] | None) -> None:
        self.dirty = True
        self.entries[key] = (
            None
            if stages is None
            else {
                name: {"deps": [[d.path, d.md5] for d in s.deps], "outs": [[o.path, o.md5] for o in s.outs]}
                for name, s in stages.items()
            }
        )

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".locks-")
            with os.fdopen(fd, "w") as handle:  # dumps, not dump: only dumps uses the C encoder
                handle.write(json.dumps({"format": CACHE_FORMAT, "entries": self.entries}, separators=(",", ":")))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only repository still answers, just without the cache


def lock_edges(
    project: Project, keys: list[tuple[str, str]]
) -> tuple[dict[tuple[str, str], dict[str, StageLock] | None], list[str]]:
    """Deps/outs of dvc.lock at many commits: cache first, the rest in one `git cat-file --batch`.

    Returns the stages per (commit, lockfile) and warnings for malformed files.
    """
    cache = LockCache(project.git.git_dir())
    result: dict[tuple[str, str], dict[str, StageLock] | None] = {}
    missing = []
    for commit, lockfile in dict.fromkeys(keys):
        cached = cache.get(f"{commit}:{lockfile}")
        if cached is False:
            missing.append((commit, lockfile))
        else:
            result[(commit, lockfile)] = cached  # type: ignore[assignment]
    warnings = []
    blobs = project.git.read_blobs([f"{c}:{lf}" for c, lf in missing])
    for commit, lockfile in missing:
        raw = blobs[f"{commit}:{lockfile}"]
        try:
            where = f"{lockfile} at {commit[:7]}"
            stages = None if raw is None else lineage.fast_edges(raw.decode(errors="replace"), lockfile, where)
        except TrailError as err:
            warnings.append(str(err))
            result[(commit, lockfile)] = None
            continue
        result[(commit, lockfile)] = stages
        cache.put(f"{commit}:{lockfile}", stages)
    cache.save()
    return result, warnings


def lockfile_for(name: str) -> str:
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
    version = resolve(project.state, parsed)
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
    edges, _ = lock_edges(project, [(v.commit, lockfile_for(n)) for n, v in wanted])
    index: dict[tuple[str, str], list[str]] = {}
    for name, version in wanted:
        stages = edges.get((version.commit, lockfile_for(name))) or {}
        path = decls[name].path
        for stage in stages.values():
            for out in stage.outs:
                if out.path == path and out.md5:
                    index.setdefault((path, out.md5), []).append(f"{name}@{version.version}")
    return index


def lineage_of(project: Project, ref: str) -> dict[str, Any]:
    """Everything upstream of a version, from dvc.lock and dvc.yaml at its commit, without checkout."""
    t = target(project, ref)
    dvcfile, lockfile = dvcfiles.dvcfile_for(t.name), lockfile_for(t.name)
    short = t.commit[:7]
    blobs = project.git.read_blobs([f"{t.commit}:{dvcfile}", f"{t.commit}:{lockfile}"])
    raw_yaml, raw_lock = blobs[f"{t.commit}:{dvcfile}"], blobs[f"{t.commit}:{lockfile}"]
    if raw_yaml is None:
        raise NotFound(f"no {dvcfile} at {short}")
    decls = dvcfiles.parse_artifacts(
        dvcfiles.load_yaml(raw_yaml, f"{dvcfile} at {short}"), dvcfile, f"{dvcfile} at {short}"
    )
    decl = decls.get(t.name)
    if decl is None:
        raise NotFound(f"artifact {t.name!r} is not declared in {dvcfile} at {short}")
    where = f"{lockfile} at {short}"
    stages = lineage.parse_lock(None if raw_lock is None else dvcfiles.load_yaml(raw_lock, where), lockfile, where)
    chain = lineage.upstream(stages, decl.path)
    own = next((o for s in chain for o in s.outs if o.path == decl.path), None)
    leaves = lineage.leaf_inputs(chain) if chain else [lineage.FileHash(decl.path, None)]
    if not chain and raw_lock is None and not _has_dvcfile(project, t.commit, decl.path):
        raise TrailError(
            f"no dvc.lock at {short} ({lockfile} is missing) and no {decl.path}.dvc: nothing records how it was made"
        )
    index = registered_hashes(project, decls, t.name)
    inputs = describe_inputs(project, t.commit, leaves, index)
    if own is None:
        dvc_out = next((i for i in inputs if i["path"] == decl.path), None)
        own_md5 = dvc_out["md5"] if dvc_out else None
    else:
        own_md5 = own.md5
    result: dict[str, Any] = {
        "name": t.name,
        "version": t.version.version if t.version else None,
        "commit": t.commit,
        "path": decl.path,
        "md5": own_md5,
        "stages": [_named(s.to_dict(), index) for s in chain],
        "inputs": inputs,
    }
    if t.version is not None:
        event = t.version.authoring_event
        result.update(author=event.author, author_email=event.author_email, created_at=event.created_at.isoformat())
    else:
        info = project.git.commit_infos([t.commit]).get(t.commit)
        result.update(
            author=info.author if info else None,
            author_email=info.email if info else None,
            created_at=info.date if info else None,
        )
    result["_chain"] = chain
    return result


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
            doc = dvcfiles.load_yaml(raw, f"{leaf.path}.dvc at {commit[:7]}")
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


def compare_lineage(project: Project, ref: str, other: str) -> dict[str, Any]:
    """Why two versions differ upstream: commands, params, data and code hashes."""
    new, old = lineage_of(project, ref), lineage_of(project, other)
    found = lineage.changes(old.pop("_chain"), new.pop("_chain"))
    names = {(i["path"], i["md5"]): i.get("versions") for i in old["inputs"] + new["inputs"]}
    for info in (old, new):
        names.update(
            {(d["path"], d["md5"]): d["versions"] for s in info["stages"] for d in s["deps"] if d.get("versions")}
        )
    for change in found:
        if change["kind"] == "dep":
            change["old_versions"] = names.get((change["path"], change["old"])) or []
            change["new_versions"] = names.get((change["path"], change["new"])) or []
    return {"ref": ref, "vs": other, "commit": new["commit"], "vs_commit": old["commit"], "changes": found}


def impact(
    project: Project, path: str, md5: str | None = None, rev: str | None = None, stage: str | None = None
) -> tuple[list[dict[str, Any]], list[str], str]:
    """Registered, active versions whose lineage read or wrote PATH at a hash (default: PATH's hash at HEAD).

    Returns the matches, warnings about unreadable commits, and the hash searched for.
    """
    path = dvcfiles.join("", path.strip("/"))
    if md5 and rev:
        raise UsageError("give either --md5 or --rev, not both")
    artifacts = project.state.artifacts
    head = project.git.resolve_commit(rev or "HEAD")
    decls = _declarations(project, head, artifacts)
    versions = [(n, v) for n, a in artifacts.items() if n in decls for v in a.active_versions()]
    head_keys = [(head, lf) for lf in sorted({lockfile_for(n) for n in artifacts} | {"dvc.lock"})]
    edges, warnings = lock_edges(project, head_keys + [(v.commit, lockfile_for(n)) for n, v in versions])
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
    return matches, warnings, md5


def _declarations(
    project: Project, commit: str, artifacts: dict[str, ArtifactState]
) -> dict[str, dvcfiles.ArtifactDecl]:
    files = sorted({dvcfiles.dvcfile_for(n) for n in artifacts})
    blobs = project.git.read_blobs([f"{commit}:{f}" for f in files])
    decls: dict[str, dvcfiles.ArtifactDecl] = {}
    for f in files:
        raw = blobs[f"{commit}:{f}"]
        if raw is not None:
            where = f"{f} at {commit[:7]}"
            decls.update(dvcfiles.parse_artifacts(dvcfiles.load_yaml(raw, where), f, where))
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
        out = dvcfiles.dvcfile_output(dvcfiles.load_yaml(raw, f"{path}.dvc at {commit[:7]}"), f"{path}.dvc")
        if out:
            return out.md5
    raise NotFound(f"no hash for {path} at {commit[:7]}: not a dependency or output in dvc.lock, and no {path}.dvc")


def warn(messages: list[str]) -> None:
    for message in messages:
        sys.stderr.write(f"trail: warning: skipped {message}\n")


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
        found[artifact["name"]] = result["changes"]
    return found
