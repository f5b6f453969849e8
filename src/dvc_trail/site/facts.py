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
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvc_trail.dvcfiles import documents
from dvc_trail.dvcfiles.documents import ArtifactDecl, Output
from dvc_trail.dvcfiles.locks import FileHash, StageLock
from dvc_trail.errors import TrailError
from dvc_trail.lineage import graph
from dvc_trail.secrets import public_url
from dvc_trail.shorthand import at
from dvc_trail.site import lockscan
from dvc_trail.store.dvc_cache import LocalCache

if TYPE_CHECKING:
    from dvc_trail.git.reader import GitReader

CACHE_FORMAT = 3  # 3: import sources keep no userinfo, query or fragment in their URL


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
    stage_rows: tuple[list[Any], ...] = ()  # [name, cmd, params, deps, outs], each dep/out [path, md5, size, nfiles]
    has_lock: bool = False
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    dvc_files: dict[str, DvcFileInfo] = field(default_factory=dict)
    in_git: tuple[str, ...] = ()
    error: str | None = None
    commit_message: str | None = None
    unreadable: tuple[str, ...] = ()  # declared metrics files neither in git nor in the local DVC cache
    wdir: bool = False  # a stage of this dvc.yaml has a `wdir` (the site then asks the core)

    @cached_property
    def stages(self) -> dict[str, StageLock]:
        """The lock's stages, built only for the pages being rendered (a rebuild renders few)."""
        lockfile = documents.lock_beside(self.dvcfile)
        return {r[0]: StageLock(r[0], lockfile, _hashes(r[3]), _hashes(r[4]), r[1], r[2]) for r in self.stage_rows}

    def outputs(self) -> list[tuple[str, str]]:
        """(path, md5) of every output the lock records."""
        return [(o[0], o[1]) for row in self.stage_rows for o in row[4] if o[1]]

    def inputs(self) -> list[tuple[str, str]]:
        """(path, md5) of every dependency the lock records."""
        return [(d[0], d[1]) for row in self.stage_rows for d in row[3] if d[1]]

    def output(self, path: str) -> Output | None:
        """The hash recorded for an artifact path: its dvc.lock output, else its `.dvc` file."""
        for row in self.stage_rows:
            for out in row[4]:
                if out[0] == path and out[1]:
                    return Output(path, out[1], out[2], out[3], row[0], documents.lock_beside(self.dvcfile))
        info = self.dvc_files.get(path)
        if info is not None and info.md5:
            return Output(path, info.md5, info.size, info.nfiles, None, f"{path}.dvc")
        return None


class CacheReader:
    """The facts cache, read in a thread from the start of a build: it overlaps git reading the tags."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.found: list[_Cache] = []
        self.thread = threading.Thread(target=lambda: self.found.append(_Cache(git_dir)), daemon=True)
        self.thread.start()

    def cache(self) -> _Cache:
        """The cache, once read (read again here if the thread failed: then its error is raised here)."""
        self.thread.join()
        return self.found[0] if self.found else _Cache(self.git_dir)


def read_facts(
    git: GitReader, keys: list[tuple[str, str]], reader: CacheReader | None = None
) -> tuple[dict[tuple[str, str], CommitFacts], list[str]]:
    """Facts for many (commit, dvc.yaml) pairs (cache first, the rest in two batches) and a warning per unreadable."""
    cache = reader.cache() if reader else _Cache(git.git_dir())
    result: dict[tuple[str, str], CommitFacts] = {}
    missing = []
    for key in dict.fromkeys(keys):
        cached = cache.get(key)
        if cached is None:
            missing.append(key)
        else:
            result[key] = cached
    if missing:
        for facts in _read(git, missing, cache):
            result[(facts.commit, facts.dvcfile)] = facts
            if not facts.unreadable:  # read again next time: a `dvc pull` may bring them
                cache.put(facts)
        cache.save()
    warnings = [f"{at(f.dvcfile, f.commit)}: {f.error}" for k in keys if (f := result[k]).error]
    warnings += [
        f"{at(path, result[k].commit)} is not in the local DVC cache: its metrics are left out (run `dvc pull`)"
        for k in dict.fromkeys(keys)
        for path in result[k].unreadable
    ]
    return result, list(dict.fromkeys(warnings))


def _read(git: GitReader, keys: list[tuple[str, str]], store: _Cache) -> list[CommitFacts]:
    cache = LocalCache(git.root)
    first = git.read_blobs([f"{c}:{p}" for c, d in keys for p in (d, documents.lock_beside(d))])
    parsed_yaml: dict[tuple[str, bytes], tuple[dict[str, ArtifactDecl], list[str], bool]] = {}
    leaves_of: dict[tuple, set[str]] = {}
    partial: list[tuple[CommitFacts, list[str], list[str]]] = []
    stages_of: dict[tuple[str, str], dict[str, StageLock]] = {}
    for commit, dvcfile in keys:
        lockfile = documents.lock_beside(dvcfile)
        raw_yaml, raw_lock = first[f"{commit}:{dvcfile}"], first[f"{commit}:{lockfile}"]
        try:
            text_key = (dvcfile, raw_yaml or b"")
            if raw_yaml is not None and text_key not in parsed_yaml:  # dvc.yaml rarely changes: parse once
                known = store.yaml_facts(text_key)  # or once ever (a rebuild would parse it for one commit)
                if known is None:
                    where = at(dvcfile, commit)
                    doc = documents.load_yaml(raw_yaml, where)
                    known = (
                        documents.parse_artifacts(doc, dvcfile, where),
                        documents.metric_paths(doc, dvcfile, where),
                        bool(documents.stage_wdirs(doc, dvcfile, where)),
                    )
                    store.put_yaml_facts(text_key, known)
                parsed_yaml[text_key] = known
            decls, metric_paths, wdir = parsed_yaml[text_key] if raw_yaml is not None else ({}, [], False)
            stages: dict[str, StageLock] = {}
            params: dict[str, dict[str, Any]] = {}
            if wdir:  # paths relative to each stage's wdir: the core answers for this commit
                partial.append((CommitFacts(commit, dvcfile, decls, wdir=True), [], []))
                continue
            if raw_lock is not None:
                stages, params = lockscan.scan(raw_lock.decode(errors="replace"), lockfile, at(lockfile, commit))
        except TrailError as err:
            partial.append((CommitFacts(commit, dvcfile, error=str(err)), [], []))
            continue
        shape = tuple((tuple(d.path for d in s.deps), tuple(o.path for o in s.outs)) for s in stages.values())
        if shape not in leaves_of:  # which paths are leaves depends on the paths alone: once per pipeline shape
            leaves_of[shape] = {leaf.path for leaf in graph.leaf_inputs(list(stages.values()))}
        leaves = leaves_of[shape]  # every chain's leaves
        outs = {o.path for s in stages.values() for o in s.outs}
        unlocked = {d.path for d in decls.values() if d.path not in outs}
        rows = tuple(
            [s.name, s.cmd, s.params or {}, [list(d) for d in s.deps], [list(o) for o in s.outs]]
            for s in stages.values()
        )
        facts = CommitFacts(commit, dvcfile, decls, {}, rows, raw_lock is not None, params)
        stages_of[(commit, dvcfile)] = stages
        partial.append((facts, metric_paths, sorted(leaves | unlocked)))
    second = git.read_blobs(
        [f"{f.commit}:{p}" for f, metrics, paths in partial for p in [*metrics, *(f"{x}.dvc" for x in paths), *paths]]
    )
    subjects = {sha: info.subject for sha, info in git.commit_infos([c for c, _ in keys]).items()}
    done = []
    for facts, metric_paths, paths in partial:
        if facts.error or facts.wdir:
            done.append(facts)
            continue
        commit = facts.commit
        try:
            unreadable = []
            for path in metric_paths:
                raw = second[f"{commit}:{path}"]
                if raw is None:  # not in git: inside a cached output, read from the local DVC cache by hash
                    raw, missing = _cached(cache, facts, path)
                    if missing:
                        unreadable.append(path)
                if raw is not None:
                    facts.metrics[path] = documents.metrics_document(raw, path, at(path, commit))
            for path in paths:
                if (raw := second[f"{commit}:{path}.dvc"]) is not None:
                    facts.dvc_files[path] = _dvc_info(raw, f"{path}.dvc", at(f"{path}.dvc", commit))
            in_git = tuple(p for p in paths if p not in facts.dvc_files and second[f"{commit}:{p}"] is not None)
        except TrailError as err:
            done.append(CommitFacts(commit, facts.dvcfile, error=str(err)))
            continue
        fields = {k: v for k, v in facts.__dict__.items() if k != "stages"}  # not the cached property
        fields.update(in_git=in_git, commit_message=subjects.get(commit), unreadable=tuple(unreadable))
        fresh = CommitFacts(**fields)
        fresh.__dict__["stages"] = stages_of[(commit, facts.dvcfile)]  # already built: no second decode
        done.append(fresh)
    return done


def _cached(cache: LocalCache, facts: CommitFacts, path: str) -> tuple[bytes | None, bool]:
    """A metrics file inside a cached output of this commit's lock: its bytes, and whether the cache lacks it."""
    for row in facts.stage_rows:
        for out_path, md5, *_ in row[4]:
            if md5 and (path == out_path or path.startswith(out_path + "/")):
                found = cache.lookup(out_path, md5, path)
                return found.data, found.missing is not None
    return None, False


def _dvc_info(raw: bytes, dvcpath: str, where: str) -> DvcFileInfo:
    doc = documents.load_yaml(raw, where)
    out = documents.dvcfile_output(doc, dvcpath)
    deps = doc.get("deps") if isinstance(doc, dict) else None
    repo = next((d.get("repo") for d in deps or [] if isinstance(d, dict) and isinstance(d.get("repo"), dict)), None)
    source = None
    if repo is not None:
        url = public_url(repo["url"]) if isinstance(repo.get("url"), str) else None
        source = {"url": url, "rev": repo.get("rev"), "rev_lock": repo.get("rev_lock")}
    frozen = bool(doc.get("frozen")) if isinstance(doc, dict) else False
    return DvcFileInfo(out.md5 if out else None, out.size if out else None, out.nfiles if out else None, source, frozen)


# --- the cache: JSON lines under .git/trail/, appended to; one line per commit and dvc.yaml, or per dvc.yaml text --


class _Cache:
    def __init__(self, git_dir: Path) -> None:
        self.path = git_dir / "trail" / f"site-v{CACHE_FORMAT}.jsonl"
        self.entries: dict[str, Any] = {}
        self.yamls: dict[str, Any] = {}
        self.texts: dict[str, Any] = {}  # sha256 of a dvc.yaml's folder and text -> what it declares
        self.decl_digests: dict[int, tuple[dict[str, ArtifactDecl], str]] = {}
        self.decoded: dict[str, dict[str, ArtifactDecl]] = {}
        self.new: list[str] = []
        self.rewrite = False
        try:
            lines = self.path.read_bytes().split(b"\n")
        except OSError:
            lines = []
        self.rewrite = bool(lines) and lines[-1] != b""  # a cut last line: write the file anew
        for line in lines:
            try:
                item = json.loads(line) if line else None
                if isinstance(item, dict) and "k" in item:
                    self.entries[item["k"]] = item["v"]
                elif isinstance(item, dict) and "y" in item:
                    self.yamls[item["y"]] = item["v"]
                elif isinstance(item, dict) and "t" in item:
                    self.texts[item["t"]] = item["v"]
            except ValueError:
                self.rewrite = True

    def get(self, key: tuple[str, str]) -> CommitFacts | None:
        raw = self.entries.get(f"{key[0]}:{key[1]}")
        if raw is None:
            return None
        try:
            return _decode(key, raw, self._decls(raw["y"]))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            del self.entries[f"{key[0]}:{key[1]}"]  # a damaged entry is read again
            self.rewrite = True
            return None

    def _decls(self, digest: str) -> dict[str, ArtifactDecl]:
        if digest and digest not in self.decoded:
            self.decoded[digest] = {
                n: ArtifactDecl(n, d["path"], d["type"], d["desc"], tuple(d["labels"]), d["meta"], d["dvcfile"])
                for n, d in self.yamls[digest].items()
            }
        return self.decoded[digest] if digest else {}

    def _put_decls(self, found: dict[str, ArtifactDecl]) -> str:
        known = self.decl_digests.get(id(found))
        if known is not None and known[0] is found:  # the commits of one dvc.yaml text share one dict
            return known[1]
        digest = self._store_decls(found)
        self.decl_digests[id(found)] = (found, digest)
        return digest

    def _store_decls(self, found: dict[str, ArtifactDecl]) -> str:
        decls = {n: d.to_dict() for n, d in sorted(found.items())}
        text = json.dumps(decls, sort_keys=True, default=str).encode()
        digest = hashlib.sha256(text).hexdigest()[:32] if decls else ""
        if digest and digest not in self.yamls:
            self.yamls[digest] = decls
            self.new.append(json.dumps({"y": digest, "v": decls}))
        return digest

    def yaml_facts(self, key: tuple[str, bytes]) -> tuple[dict[str, ArtifactDecl], list[str], bool] | None:
        """What a dvc.yaml text declares (artifacts, metrics files, whether a stage has a `wdir`), if known."""
        raw = self.texts.get(_text_digest(key))
        if raw is None:
            return None
        try:
            return self._decls(raw["y"]), [str(p) for p in raw["m"]], bool(raw["w"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def put_yaml_facts(self, key: tuple[str, bytes], found: tuple[dict[str, ArtifactDecl], list[str], bool]) -> None:
        """Remember what a dvc.yaml text declares."""
        digest = _text_digest(key)
        self.texts[digest] = {"y": self._put_decls(found[0]), "m": found[1], "w": found[2]}
        self.new.append(json.dumps({"t": digest, "v": self.texts[digest]}))

    def put(self, facts: CommitFacts) -> None:
        digest = self._put_decls(facts.decls)
        key = f"{facts.commit}:{facts.dvcfile}"
        self.entries[key] = {
            "y": digest,
            "m": facts.metrics,
            "l": facts.has_lock,
            "s": list(facts.stage_rows),
            "p": facts.params,
            "d": {p: [i.md5, i.size, i.nfiles, i.source, i.frozen] for p, i in facts.dvc_files.items()},
            "g": list(facts.in_git),
            "e": facts.error,
            "c": facts.commit_message,
            "w": facts.wdir,
        }
        self.new.append(json.dumps({"k": key, "v": self.entries[key]}))

    def save(self) -> None:
        """Append the new lines (or write the whole file again after damage)."""
        if not (self.new or self.rewrite):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.rewrite:
                lines = [json.dumps({"y": d, "v": v}) for d, v in self.yamls.items()]
                lines += [json.dumps({"t": d, "v": v}) for d, v in self.texts.items()]
                lines += [json.dumps({"k": k, "v": v}) for k, v in self.entries.items()]
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".site-")
                with os.fdopen(fd, "w") as handle:
                    handle.write("".join(line + "\n" for line in lines))
                os.replace(tmp, self.path)
            else:
                with open(self.path, "a") as handle:
                    handle.write("".join(line + "\n" for line in self.new))
        except OSError:
            pass  # a read-only repository still builds, just without the cache


def _decode(key: tuple[str, str], raw: dict[str, Any], decls: dict[str, ArtifactDecl]) -> CommitFacts:
    commit, dvcfile = key
    return CommitFacts(
        commit,
        dvcfile,
        decls,
        raw["m"],
        tuple(raw["s"]),
        bool(raw["l"]),
        raw["p"],
        {p: DvcFileInfo(*i) for p, i in raw["d"].items()},
        tuple(raw["g"]),
        raw["e"],
        raw["c"],
        (),
        bool(raw.get("w")),
    )


def _text_digest(key: tuple[str, bytes]) -> str:
    return hashlib.sha256(key[0].encode() + b"\0" + key[1]).hexdigest()[:32]


def _hashes(rows: list[list[Any]]) -> tuple[FileHash, ...]:
    return tuple(FileHash(*row) for row in rows)
