"""Metrics, params and output hashes at git revisions or in the workspace, read from git objects in batches."""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from dvc_trail import dvcfiles
from dvc_trail.diff import Documents
from dvc_trail.errors import TrailError
from dvc_trail.git import Git
from dvc_trail.shorthand import short

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


@dataclass
class RevisionData:
    """What a revision holds: its dvc.yaml documents, dvc.lock texts, metrics and params."""

    revision: Revision
    dvcyamls: dict[str, Any]
    lock_texts: dict[str, bytes]
    metrics: Documents
    params: Documents

    @cached_property
    def locks(self) -> dict[str, Any]:
        """dvc.lock documents, parsed only when asked (a plain diff never needs them)."""
        return {path: _yaml(raw, path, self.revision) for path, raw in self.lock_texts.items()}

    def outputs(self) -> dict[str, dvcfiles.Output]:
        """Every output hash in the revision's dvc.lock files, keyed by path."""
        outs: dict[str, dvcfiles.Output] = {}
        for lockfile, doc in self.locks.items():
            outs.update(dvcfiles.lock_outputs(doc, lockfile, f"{lockfile} at {self.revision.short}"))
        return outs

    def artifacts(self) -> dict[str, dvcfiles.ArtifactDecl]:
        """Every artifact declared in the revision's dvc.yaml files, keyed by name."""
        decls: dict[str, dvcfiles.ArtifactDecl] = {}
        for path, doc in self.dvcyamls.items():
            decls.update(dvcfiles.parse_artifacts(doc, path, f"{path} at {self.revision.short}"))
        return decls


class RevisionReader:
    """Reads DVC documents at many revisions with few git processes; the workspace from disk."""

    def __init__(self, git: Git) -> None:
        self.git = git

    def read(self, revisions: list[Revision], cached_outputs: bool = True) -> list[RevisionData]:
        """The documents of each revision, read with two cat-file batches in all."""
        dvcyaml_paths = {r: self._dvcyaml_paths(r) for r in revisions}
        first = self._blobs({r: [p for d in dvcyaml_paths[r] for p in (d, dvcfiles.lock_beside(d))] for r in revisions})
        parsed = []
        for r in revisions:
            docs = {p: _yaml(first[r].get(p), p, r) for p in dvcyaml_paths[r]}
            locks = {}
            for d in dvcyaml_paths[r]:
                lock = dvcfiles.lock_beside(d)
                if (raw := first[r].get(lock)) is not None:
                    locks[lock] = raw
            param_files = params_to_read(docs, root_params_exists=True, at=r.short)
            metric_files = [m for d, doc in docs.items() for m in dvcfiles.metric_paths(doc, d, f"{d} at {r.short}")]
            parsed.append((r, docs, locks, param_files, metric_files))
        second = self._blobs({r: [*params, *metrics] for r, _, _, params, metrics in parsed})
        results = []
        for r, docs, locks, param_files, metric_files in parsed:
            data = RevisionData(r, docs, locks, {}, {})
            for path, keys in param_files.items():
                raw = second[r].get(path)
                if raw is not None:
                    data.params[path] = select(_params_document(raw, path, r), keys)
            for path in metric_files:
                raw = second[r].get(path)
                if raw is None and cached_outputs:
                    raw = self._from_cache(data, path)
                if raw is not None:
                    where = f"{path} at {r.short}"
                    data.metrics[path] = dvcfiles.metrics_document(raw, path, where)
            results.append(data)
        return results

    def _dvcyaml_paths(self, revision: Revision) -> list[str]:
        if revision.commit is None:
            names = self.git.run("ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
        else:
            names = self.git.run("ls-tree", "-r", "--name-only", "-z", revision.commit).split("\0")
        return sorted(n for n in names if n == "dvc.yaml" or n.endswith("/dvc.yaml"))

    def _blobs(self, wanted: dict[Revision, list[str]]) -> dict[Revision, dict[str, bytes | None]]:
        specs = [f"{r.commit}:{p}" for r, paths in wanted.items() if r.commit for p in paths]
        blobs = self.git.read_blobs(specs)
        result: dict[Revision, dict[str, bytes | None]] = {}
        for r, paths in wanted.items():
            if r.commit:
                result[r] = {p: blobs.get(f"{r.commit}:{p}") for p in paths}
            else:
                result[r] = {p: _read_file(self.git.root / p) for p in paths}
        return result

    def _from_cache(self, data: RevisionData, path: str) -> bytes | None:
        """A DVC-cached metrics file: read from the local cache by hash (fetched from the remote if missing)."""
        out = data.outputs().get(path)
        if out is None or out.is_dir:
            return None
        from dvc_trail import dvc

        return dvc.read_cached(self.git.root, out.md5)


def _read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _yaml(raw: bytes | None, path: str, revision: Revision) -> Any:
    return None if raw is None else dvcfiles.load_yaml(raw, f"{path} at {revision.short}")


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
        doc = dvcfiles.shaped(doc, dict, "the top level", where)
        folder = posixpath.dirname(dvcyaml)
        for name, stage in dvcfiles.shaped(doc.get("stages"), dict, "stages", where).items():
            stage = dvcfiles.shaped(stage, dict, f"stages.{name}", where)
            body = dvcfiles.shaped(stage.get("do", stage), dict, f"stages.{name}.do", where)
            wdir = dvcfiles.join(folder, str(body.get("wdir", ".")))
            for entry in dvcfiles.shaped(body.get("params"), list, f"stages.{name}.params", where):
                if isinstance(entry, str):
                    track(dvcfiles.join(wdir, "params.yaml"), [entry])
                elif isinstance(entry, dict):
                    for file, keys in entry.items():
                        track(dvcfiles.join(wdir, str(file)), [str(k) for k in keys] if keys else None)
        for file in dvcfiles.shaped(doc.get("params"), list, "params", where):
            if isinstance(file, str):
                track(dvcfiles.join(folder, file), None)
    if root_params_exists:
        track("params.yaml", None)
    return files


def select(doc: dict[str, Any], keys: set[str] | None) -> dict[str, Any]:
    """Flatten a params document, keeping only the tracked keys (and everything under them)."""
    flat = dvcfiles.flatten(doc)
    if keys is None:
        return flat
    return {k: v for k, v in flat.items() if any(k == key or k.startswith(key + ".") for key in keys)}


def _params_document(raw: bytes, path: str, revision: Revision) -> dict[str, Any]:
    where = f"{path} at {revision.short}"
    doc = python_params(raw, where) if path.endswith(".py") else dvcfiles.parse_document(raw, path, where)
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
