"""Metrics, params and output hashes at git revisions or in the workspace, read from git objects in batches."""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from dvc_trail.dvcfiles import documents
from dvc_trail.errors import TrailError
from dvc_trail.shorthand import short
from dvc_trail.store import commit_files, worktree
from dvc_trail.store.dvc_cache import LocalCache
from dvc_trail.store.worktree import Refused, read_workspace_file

if TYPE_CHECKING:  # diff imports decimal: `trail get` reads no metric values
    from dvc_trail.git.reader import GitReader
    from dvc_trail.metrics.diff import Documents

WORKSPACE = "workspace"


@dataclass(frozen=True)
class Revision:
    """A revision as the user named it, and its commit (None for the workspace)."""

    label: str
    commit: str | None

    @property
    def short(self) -> str:
        """The abbreviated commit, or `workspace`."""
        return short(self.commit) if self.commit else WORKSPACE


@dataclass(frozen=True)
class Unreadable:
    """A metrics or params file a revision declares but that could not be read: its DVC object is not cached,
    or (in the work tree) it is a link out of the repository, not a regular file, or too large."""

    revision: Revision
    path: str
    md5: str  # the object the local DVC cache lacks (a file, or a folder's `.dir` manifest); "" when refused
    fetched: bool = False  # True: --fetch asked the default DVC remote, which lacks it too
    refused: str = ""  # why the work-tree file was not read (worktree.Refused)

    @property
    def message(self) -> str:
        """One line naming the file, the revision and the fix."""
        label, commit = self.revision.label, self.revision.short
        where = f"{self.path} at {label}" + (f" ({commit})" if commit != label else "")
        if self.refused:
            return f"{where} could not be read: {self.refused}"
        if self.fetched:
            return f"{where} is neither in the local DVC cache nor on the DVC remote (object {self.md5})"
        return f"{where} is not in the local DVC cache (object {self.md5}): run `dvc pull`, or pass --fetch"


@dataclass
class RevisionData:
    """What a revision holds: its DVC files, metrics and params, and the declared files it could not read."""

    revision: Revision
    dvcyaml_texts: dict[str, bytes]
    lock_texts: dict[str, bytes]
    metrics: Documents
    params: Documents
    dvcfile_texts: dict[str, bytes] = field(default_factory=dict)  # `.dvc` files (dvc add, dvc import)
    unreadable: list[Unreadable] = field(default_factory=list)
    declared: dict[str, list[str]] = field(default_factory=dict)  # dvc.yaml -> the metrics files it declares
    other: dict[str, bytes] = field(default_factory=dict)  # files asked for by `read(also=...)`, where present

    @cached_property
    def dvcyamls(self) -> dict[str, Any]:
        """dvc.yaml documents, parsed only when asked (a metric trend whose declarations are cached never does)."""
        return {path: _yaml(raw, path, self.revision) for path, raw in self.dvcyaml_texts.items()}

    @cached_property
    def locks(self) -> dict[str, Any]:
        """dvc.lock documents, parsed only when asked (a plain diff never needs them)."""
        return {path: _yaml(raw, path, self.revision) for path, raw in self.lock_texts.items()}

    def wdirs(self, lockfile: str) -> dict[str, str]:
        """Stage folders (`wdir`) of the dvc.yaml beside a dvc.lock."""
        dvcyaml = posixpath.join(posixpath.dirname(lockfile), "dvc.yaml")
        if b"wdir" not in self.dvcyaml_texts.get(dvcyaml, b""):
            return {}  # most have none: no YAML parse
        where = f"{dvcyaml} at {self.revision.short}"
        return documents.stage_wdirs(self.dvcyamls.get(dvcyaml), dvcyaml, where)

    def outputs(self) -> dict[str, documents.Output]:
        """Every output hash: each dvc.lock's stages (with their `wdir`), then each `.dvc` file."""
        outs: dict[str, documents.Output] = {}
        for path, raw in self.dvcfile_texts.items():
            where = f"{path} at {self.revision.short}"
            if (out := documents.dvcfile_output(_parsed_yaml(raw, where), path)) is not None:
                outs[out.path] = out
        for lockfile, doc in self.locks.items():
            where = f"{lockfile} at {self.revision.short}"
            outs.update(documents.lock_outputs(doc, lockfile, where, self.wdirs(lockfile)))
        return outs

    @cached_property
    def output_hashes(self) -> dict[str, str]:
        """Output path -> hash, from a scan of each dvc.lock (no YAML parse) and the `.dvc` files: fast."""
        from dvc_trail.dvcfiles import locks  # here: a diff of git-tracked metrics never scans a dvc.lock

        hashes: dict[str, str] = {}
        for path, raw in self.dvcfile_texts.items():
            where = f"{path} at {self.revision.short}"
            if (out := documents.dvcfile_output(_parsed_yaml(raw, where), path)) is not None:
                hashes[out.path] = out.md5
        for lockfile, raw in self.lock_texts.items():
            where = f"{lockfile} at {self.revision.short}"
            text = raw.decode(errors="replace")
            for stage in locks.fast_edges(text, lockfile, where, self.wdirs(lockfile)).values():
                hashes.update((o.path, o.md5) for o in stage.outs if o.md5)
        return hashes

    def artifact_metrics(self, name: str) -> tuple[Documents, list[Unreadable]]:
        """An artifact's metrics: those declared by its own dvc.yaml and by the dvc.yaml whose stage outputs it.

        With one dvc.yaml in the revision (the common case) that is all of them, found without a YAML parse.
        """
        scope = {documents.dvcfile_for(name)}
        decl = self.artifacts().get(name) if len(self.declared) > 1 else None
        if decl is not None:
            from dvc_trail.dvcfiles import locks

            for lockfile, raw in self.lock_texts.items():
                stages = locks.fast_edges(raw.decode(errors="replace"), lockfile, lockfile, self.wdirs(lockfile))
                if any(o.path == decl.path for s in stages.values() for o in s.outs):
                    scope.add(posixpath.join(posixpath.dirname(lockfile), "dvc.yaml"))
        paths = {m for d in scope for m in self.declared.get(d, [])}
        return {p: v for p, v in self.metrics.items() if p in paths}, [u for u in self.unreadable if u.path in paths]

    def artifacts(self) -> dict[str, documents.ArtifactDecl]:
        """Every artifact declared in the revision's dvc.yaml files, keyed by name."""
        decls: dict[str, documents.ArtifactDecl] = {}
        for path, doc in self.dvcyamls.items():
            decls.update(documents.parse_artifacts(doc, path, f"{path} at {self.revision.short}"))
        return decls


class RevisionReader:
    """Reads DVC files, metrics and params at many revisions with few git processes; the workspace from disk.

    The one reader of metrics and params: git-tracked files come from git objects, files inside DVC-cached
    outputs from the local DVC cache (through dvc.lock or `.dvc` hashes and `.dir` manifests), never via DVC.
    """

    def __init__(self, git: GitReader) -> None:
        self.git = git
        self.refused: dict[str, Refused] = {}  # work-tree files found but not read, by path
        self.total = 0  # bytes read from the work tree by one `read`

    @cached_property
    def cache(self) -> LocalCache:
        """The project's local DVC cache, located only when a file is not in git."""
        return LocalCache(self.git.root)

    def read(
        self,
        revisions: list[Revision],
        params: bool = True,
        fetch: bool = False,
        metrics: bool = True,
        also: tuple[str, ...] = (),
    ) -> list[RevisionData]:
        """Each revision's data, in order; declared files it could not read are in `RevisionData.unreadable`.

        `also`: more files to read at each revision in the same git batch (into `RevisionData.other`; a refused
        work-tree file is absent there and in `refused`).

        `fetch`: download just the missing objects from the default DVC remote (through DVC), then read again
        (twice at most: a folder's manifest first, then the file inside it).
        """
        results = self._read(revisions, params, metrics, also)
        absent: set[str] = set()
        for _ in range(2 if fetch else 0):
            missing = sorted({u.md5 for data in results for u in data.unreadable if u.md5} - absent)
            if not missing:
                break
            from dvc_trail.dvc import adapter  # only here: reads never import DVC

            absent.update(adapter.fetch_objects(self.git.root, missing))
            results = self._read(revisions, params, metrics, also)
        for data in results if fetch else []:
            data.unreadable = [replace(u, fetched=True) for u in data.unreadable]
        return results

    def _read(
        self, revisions: list[Revision], params: bool, metrics: bool, also: tuple[str, ...]
    ) -> list[RevisionData]:
        self.refused, self.total = {}, 0
        found = self._dvc_files(revisions)
        known = commit_files.declared_metrics(self.git, [r.commit for r in revisions if r.commit]) if metrics else {}
        # metrics files already known to be declared are read with the DVC files: one cat-file batch, not two
        early = {r: [m for ms in known.get(r.commit or "", {}).values() for m in ms] for r in revisions}
        first = self._blobs({r: [*found[r], *early[r], *also] for r in revisions})
        parsed = []
        declared: dict[tuple[str, bytes], list[str]] = {}  # dvc.yaml rarely changes: one look per text
        for r in revisions:
            if r.commit is None and (bad := [self.refused[p] for p in found[r] if p in self.refused]):
                raise bad[0]  # a DVC file that is a link out of the repository: nothing is read
            data = RevisionData(r, {}, {}, {}, {})
            data.other = {p: raw for p in also if (raw := first[r][p]) is not None}
            for p in found[r]:
                raw, name = first[r][p], posixpath.basename(p)
                if raw is None:
                    continue
                texts = {"dvc.yaml": data.dvcyaml_texts, "dvc.lock": data.lock_texts}.get(name, data.dvcfile_texts)
                texts[p] = raw
            param_files = params_to_read(data.dvcyamls, root_params_exists=True, at=r.short) if params else {}
            here = known.get(r.commit or "") if metrics else {}
            if here is None:
                here = {}
                for d, raw in data.dvcyaml_texts.items():
                    if (d, raw) not in declared:
                        declared[(d, raw)] = documents.metric_paths(data.dvcyamls[d], d, f"{d} at {r.short}")
                    here[d] = declared[(d, raw)]
            data.declared = here
            parsed.append((data, param_files, list(dict.fromkeys(m for ms in here.values() for m in ms))))
        if metrics:
            commit_files.remember_metrics(
                self.git, {d.revision.commit: d.declared for d, _, _ in parsed if d.revision.commit}
            )
        second = self._blobs(
            {d.revision: [p for p in [*ps, *ms] if p not in first[d.revision]] for d, ps, ms in parsed}
        )
        for data, param_files, metric_files in parsed:
            r = data.revision
            second[r] = {**first[r], **second[r]}
            for path, keys in param_files.items():
                raw = self._content(data, path, second[r].get(path))
                if raw is not None:
                    data.params[path] = select(_params_document(raw, path, r), keys)
            for path in metric_files:
                raw = self._content(data, path, second[r].get(path))
                if raw is not None:
                    data.metrics[path] = documents.metrics_document(raw, path, f"{path} at {r.short}")
        return [data for data, _, _ in parsed]

    def _content(self, data: RevisionData, path: str, raw: bytes | None) -> bytes | None:
        """A declared file's bytes: from git (or the work tree), else from the DVC cache of the output holding it."""
        if raw is not None:
            return raw
        if data.revision.commit is None and path in self.refused:
            data.unreadable.append(Unreadable(data.revision, path, "", refused=self.refused[path].reason))
            return None
        if not data.lock_texts and not data.dvcfile_texts:
            return None
        hashes = data.output_hashes
        for out_path in _ancestors(path):
            md5 = hashes.get(out_path)
            if md5 is None:
                continue
            found = self.cache.lookup(out_path, md5, path)
            if found.missing is not None:
                data.unreadable.append(Unreadable(data.revision, path, found.missing))
            return found.data
        return None

    def _dvc_files(self, revisions: list[Revision]) -> dict[Revision, list[str]]:
        commits = [r.commit for r in revisions if r.commit]
        in_commits = commit_files.dvc_files(self.git, commits) if commits else {}
        found = {}
        for r in revisions:
            if r.commit is not None:
                found[r] = in_commits[r.commit]
            else:
                names = self.git.work_tree_files()
                found[r] = sorted(n for n in names if commit_files.is_dvc_file(posixpath.basename(n)))
        return found

    def _blobs(self, wanted: dict[Revision, list[str]]) -> dict[Revision, dict[str, bytes | None]]:
        specs = [f"{r.commit}:{p}" for r, paths in wanted.items() if r.commit for p in paths]
        blobs = self.git.read_blobs(specs)
        result: dict[Revision, dict[str, bytes | None]] = {}
        for r, paths in wanted.items():
            if r.commit:
                result[r] = {p: blobs.get(f"{r.commit}:{p}") for p in paths}
            else:
                result[r] = {p: self._workspace_file(p) for p in paths}
        return result

    def _workspace_file(self, path: str) -> bytes | None:
        """A work-tree file through the one bounded reader; a refused one is remembered (None here)."""
        try:
            raw = read_workspace_file(self.git.root, path, cache_dir=lambda: self.cache.dir)
        except Refused as err:
            self.refused[path] = err
            return None
        self.total += len(raw or b"")
        if self.total > worktree.MAX_TOTAL:  # as for git: many links to one big file in the repository
            raise TrailError(f"refusing to read more than {worktree.MAX_TOTAL >> 20:,} MiB from the work tree")
        return raw


def _ancestors(path: str) -> list[str]:
    """`a/b/c.json` -> [`a/b/c.json`, `a/b`, `a`]: the outputs that could hold a file, nearest first."""
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]


_PARSED: dict[bytes, Any] = {}


def _parsed_yaml(raw: bytes, where: str) -> Any:
    """A YAML file parsed once per distinct content (dvc.yaml and `.dvc` files rarely change between versions)."""
    if raw in _PARSED:
        return _PARSED[raw]
    doc = documents.load_yaml(raw, where)
    if len(_PARSED) < 4096:
        _PARSED[raw] = doc
    return doc


def _yaml(raw: bytes | None, path: str, revision: Revision) -> Any:
    return None if raw is None else _parsed_yaml(raw, f"{path} at {revision.short}")


def params_to_read(dvcyamls: dict[str, Any], root_params_exists: bool, at: str = "") -> dict[str, set[str] | None]:
    """Params files and keys DVC tracks: stage `params:` keys, top-level `params:` files, and params.yaml whole."""
    files: dict[str, set[str] | None] = {}

    def track(path: str, keys: list[str] | None) -> None:
        if keys is None or not keys or files.get(path, set()) is None:
            files[path] = None
        else:
            current = files.setdefault(path, set())
            assert current is not None
            current.update(keys)

    for dvcyaml, doc in dvcyamls.items():
        where = f"{dvcyaml} at {at}" if at else dvcyaml
        doc = documents.shaped(doc, dict, "the top level", where)
        folder = posixpath.dirname(dvcyaml)
        for name, stage in documents.shaped(doc.get("stages"), dict, "stages", where).items():
            stage = documents.shaped(stage, dict, f"stages.{name}", where)
            body = documents.shaped(stage.get("do", stage), dict, f"stages.{name}.do", where)
            wdir = documents.join(folder, str(body.get("wdir", ".")))
            for entry in documents.shaped(body.get("params"), list, f"stages.{name}.params", where):
                if isinstance(entry, str):
                    track(documents.join(wdir, "params.yaml"), [entry])
                elif isinstance(entry, dict):
                    for file, keys in entry.items():
                        track(documents.join(wdir, str(file)), [str(k) for k in keys] if keys else None)
        for file in documents.shaped(doc.get("params"), list, "params", where):
            if isinstance(file, str):
                track(documents.join(folder, file), None)
    if root_params_exists:
        track("params.yaml", None)
    return files


def select(doc: dict[str, Any], keys: set[str] | None) -> dict[str, Any]:
    """Flatten a params document, keeping only the tracked keys (and everything under them)."""
    flat = documents.flatten(doc)
    if keys is None:
        return flat
    return {k: v for k, v in flat.items() if any(k == key or k.startswith(key + ".") for key in keys)}


def _params_document(raw: bytes, path: str, revision: Revision) -> dict[str, Any]:
    where = f"{path} at {revision.short}"
    doc = python_params(raw, where) if path.endswith(".py") else documents.parse_document(raw, path, where)
    return doc if isinstance(doc, dict) else {}


def python_params(raw: bytes, where: str) -> dict[str, Any]:
    """Literal top-level assignments and class attributes of a Python params file, as DVC reads them."""
    try:
        tree = ast.parse(raw)
    except (SyntaxError, ValueError):
        raise TrailError(f"malformed {where}") from None

    def literals(body: list[ast.stmt]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for node in body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    values[node.targets[0].id] = ast.literal_eval(node.value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue
            elif isinstance(node, ast.ClassDef):
                values[node.name] = literals(node.body)
        return values

    return literals(tree.body)
