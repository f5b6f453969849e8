"""What each registered commit records for the site, read in two `git cat-file --batch` and cached by commit.

A commit never changes, so its facts are kept under `.git/trail/` and a rebuild after one new tag reads only
the new commit. A missing, unreadable or foreign cache is rebuilt; a malformed file at one commit becomes a
warning on that commit's pages, not a failed build.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvc_trail import dvcfiles, lineage
from dvc_trail.dvcfiles import ArtifactDecl, Output
from dvc_trail.errors import TrailError
from dvc_trail.git import Git
from dvc_trail.lineage import FileHash, StageLock
from dvc_trail.site import lockscan

CACHE_FORMAT = 1


@dataclass(frozen=True)
class DvcFileInfo:
    """A `.dvc` file beside an input or artifact: its output hash and, for `dvc import`, the source."""

    md5: str | None
    size: int | None
    nfiles: int | None
    source: dict[str, Any] | None = None
    frozen: bool = False


@dataclass(frozen=True)
class CommitFacts:
    """What one commit records in one dvc.yaml folder: declarations, metrics, lock stages, params."""

    commit: str
    dvcfile: str
    decls: dict[str, ArtifactDecl] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: dict[str, StageLock] = field(default_factory=dict)
    has_lock: bool = False
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    dvc_files: dict[str, DvcFileInfo] = field(default_factory=dict)
    in_git: tuple[str, ...] = ()
    error: str | None = None
    commit_message: str | None = None

    def output(self, path: str) -> Output | None:
        """The hash recorded for an artifact path: its dvc.lock output, else its `.dvc` file."""
        for stage in self.stages.values():
            for out in stage.outs:
                if out.path == path and out.md5:
                    return Output(path, out.md5, out.size, out.nfiles, stage.name, stage.lockfile)
        info = self.dvc_files.get(path)
        if info is not None and info.md5:
            return Output(path, info.md5, info.size, info.nfiles, None, f"{path}.dvc")
        return None


def read_facts(git: Git, keys: list[tuple[str, str]]) -> tuple[dict[tuple[str, str], CommitFacts], list[str]]:
    """Facts for many (commit, dvc.yaml path) pairs: from the cache, the rest read in two batches.

    Returns the facts and one warning per commit whose files could not be read.
    """
    cache = _Cache(git.git_dir())
    result: dict[tuple[str, str], CommitFacts] = {}
    missing = []
    for key in dict.fromkeys(keys):
        cached = cache.get(key)
        if cached is None:
            missing.append(key)
        else:
            result[key] = cached
    if missing:
        for facts in _read(git, missing):
            result[(facts.commit, facts.dvcfile)] = facts
            cache.put(facts)
        cache.save()
    warnings = [f"{f.dvcfile} at {f.commit[:7]}: {f.error}" for k in keys if (f := result[k]).error]
    return result, list(dict.fromkeys(warnings))


def _read(git: Git, keys: list[tuple[str, str]]) -> list[CommitFacts]:
    first = git.read_blobs([f"{c}:{p}" for c, d in keys for p in (d, dvcfiles.lock_beside(d))])
    parsed_yaml: dict[bytes, tuple[dict[str, ArtifactDecl], list[str]]] = {}
    partial: list[tuple[CommitFacts, list[str], list[str]]] = []
    for commit, dvcfile in keys:
        lockfile, short = dvcfiles.lock_beside(dvcfile), commit[:7]
        raw_yaml, raw_lock = first[f"{commit}:{dvcfile}"], first[f"{commit}:{lockfile}"]
        try:
            if raw_yaml is not None and raw_yaml not in parsed_yaml:  # dvc.yaml rarely changes: parse once
                where = f"{dvcfile} at {short}"
                doc = dvcfiles.load_yaml(raw_yaml, where)
                parsed_yaml[raw_yaml] = (
                    dvcfiles.parse_artifacts(doc, dvcfile, where),
                    dvcfiles.metric_paths(doc, dvcfile, where),
                )
            decls, metric_paths = parsed_yaml[raw_yaml] if raw_yaml is not None else ({}, [])
            stages: dict[str, StageLock] = {}
            params: dict[str, dict[str, Any]] = {}
            if raw_lock is not None:
                stages, params = lockscan.scan(raw_lock.decode(errors="replace"), lockfile, f"{lockfile} at {short}")
        except TrailError as err:
            partial.append((CommitFacts(commit, dvcfile, error=str(err)), [], []))
            continue
        leaves = {leaf.path for leaf in lineage.leaf_inputs(list(stages.values()))}  # every chain's leaves
        outs = {o.path for s in stages.values() for o in s.outs}
        unlocked = {d.path for d in decls.values() if d.path not in outs}
        facts = CommitFacts(commit, dvcfile, decls, {}, stages, raw_lock is not None, params)
        partial.append((facts, metric_paths, sorted(leaves | unlocked)))
    second = git.read_blobs(
        [f"{f.commit}:{p}" for f, metrics, paths in partial for p in [*metrics, *(f"{x}.dvc" for x in paths), *paths]]
    )
    subjects = {sha: info.subject for sha, info in git.commit_infos([c for c, _ in keys]).items()}
    done = []
    for facts, metric_paths, paths in partial:
        if facts.error:
            done.append(facts)
            continue
        commit, short = facts.commit, facts.commit[:7]
        try:
            for path in metric_paths:
                if (raw := second[f"{commit}:{path}"]) is not None:
                    facts.metrics[path] = dvcfiles.metrics_document(raw, path, f"{path} at {short}")
            for path in paths:
                if (raw := second[f"{commit}:{path}.dvc"]) is not None:
                    facts.dvc_files[path] = _dvc_info(raw, f"{path}.dvc", f"{path}.dvc at {short}")
            in_git = tuple(p for p in paths if p not in facts.dvc_files and second[f"{commit}:{p}"] is not None)
        except TrailError as err:
            done.append(CommitFacts(commit, facts.dvcfile, error=str(err)))
            continue
        done.append(CommitFacts(**{**facts.__dict__, "in_git": in_git, "commit_message": subjects.get(commit)}))
    return done


def _dvc_info(raw: bytes, dvcpath: str, where: str) -> DvcFileInfo:
    doc = dvcfiles.load_yaml(raw, where)
    out = dvcfiles.dvcfile_output(doc, dvcpath)
    deps = doc.get("deps") if isinstance(doc, dict) else None
    repo = next((d.get("repo") for d in deps or [] if isinstance(d, dict) and isinstance(d.get("repo"), dict)), None)
    source = None
    if repo is not None:
        source = {"url": repo.get("url"), "rev": repo.get("rev"), "rev_lock": repo.get("rev_lock")}
    frozen = bool(doc.get("frozen")) if isinstance(doc, dict) else False
    return DvcFileInfo(out.md5 if out else None, out.size if out else None, out.nfiles if out else None, source, frozen)


# --- the cache: JSON under .git/trail/, one entry per commit and dvc.yaml, parsed dvc.yaml shared ---------


class _Cache:
    def __init__(self, git_dir: Path) -> None:
        self.path = git_dir / "trail" / f"site-v{CACHE_FORMAT}.json"
        self.entries: dict[str, Any] = {}
        self.yamls: dict[str, Any] = {}
        self.dirty = False
        try:
            data = json.loads(self.path.read_bytes())
            if isinstance(data, dict) and data.get("format") == CACHE_FORMAT:
                self.entries, self.yamls = dict(data["entries"]), dict(data["yamls"])
        except (OSError, ValueError, KeyError, TypeError):
            pass

    def get(self, key: tuple[str, str]) -> CommitFacts | None:
        raw = self.entries.get(f"{key[0]}:{key[1]}")
        if raw is None:
            return None
        try:
            return _decode(key, raw, self.yamls[raw["y"]] if raw.get("y") else None)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            del self.entries[f"{key[0]}:{key[1]}"]  # a damaged entry is read again
            return None

    def put(self, facts: CommitFacts) -> None:
        decls = {n: d.to_dict() for n, d in sorted(facts.decls.items())}
        text = json.dumps(decls, sort_keys=True, default=str).encode()
        digest = hashlib.sha256(text).hexdigest()[:32] if decls else ""
        if digest:
            self.yamls[digest] = decls
        self.entries[f"{facts.commit}:{facts.dvcfile}"] = {
            "y": digest,
            "m": facts.metrics,
            "l": facts.has_lock,
            "s": [
                [s.name, s.cmd, s.params or {}, [list(d) for d in s.deps], [list(o) for o in s.outs]]
                for s in facts.stages.values()
            ],
            "p": facts.params,
            "d": {p: [i.md5, i.size, i.nfiles, i.source, i.frozen] for p, i in facts.dvc_files.items()},
            "g": list(facts.in_git),
            "e": facts.error,
            "c": facts.commit_message,
        }
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".site-")
            with os.fdopen(fd, "w") as handle:
                handle.write(json.dumps({"format": CACHE_FORMAT, "entries": self.entries, "yamls": self.yamls}))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only repository still builds, just without the cache


def _decode(key: tuple[str, str], raw: dict[str, Any], decls: dict[str, Any] | None) -> CommitFacts:
    commit, dvcfile = key
    lockfile = dvcfiles.lock_beside(dvcfile)
    return CommitFacts(
        commit,
        dvcfile,
        {
            n: ArtifactDecl(n, d["path"], d["type"], d["desc"], tuple(d["labels"]), d["meta"], d["dvcfile"])
            for n, d in (decls or {}).items()
        },
        raw["m"],
        {s[0]: StageLock(s[0], lockfile, _hashes(s[3]), _hashes(s[4]), s[1], s[2]) for s in raw["s"]},
        bool(raw["l"]),
        raw["p"],
        {p: DvcFileInfo(*i) for p, i in raw["d"].items()},
        tuple(raw["g"]),
        raw["e"],
        raw["c"],
    )


def _hashes(rows: list[list[Any]]) -> tuple[FileHash, ...]:
    return tuple(FileHash(*row) for row in rows)
