"""dvc.lock documents -> pipeline graph: what produced an output, upstream closure, impact (pure)."""

from __future__ import annotations

import posixpath
import re
from typing import Any, NamedTuple

from dvc_trail.dvcfiles.documents import content_hash, join, load_yaml, lock_stages, stage_folder
from dvc_trail.errors import TrailError
from dvc_trail.store.objects import is_size


class FileHash(NamedTuple):
    path: str
    md5: str | None
    size: int | None = None
    nfiles: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The file and its hash (size and file count when known), JSON-shaped."""
        data: dict[str, Any] = {"path": self.path, "md5": self.md5}
        if self.size is not None:
            data["size"] = self.size
        if self.nfiles is not None:
            data["nfiles"] = self.nfiles
        return data


class StageLock(NamedTuple):
    """One stage as dvc.lock recorded it (paths relative to the repository root)."""

    name: str
    lockfile: str
    deps: tuple[FileHash, ...]
    outs: tuple[FileHash, ...]
    cmd: Any = None
    params: dict[str, dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stage as `trail lineage --json` prints it."""
        return {
            "stage": self.name,
            "lockfile": self.lockfile,
            "cmd": self.cmd,
            "deps": [d.to_dict() for d in self.deps],
            "params": self.params or {},
            "outs": [o.to_dict() for o in self.outs],
        }


def _hashes(entries: Any, folder: str, where: str) -> tuple[FileHash, ...]:
    found = []
    for entry in entries or []:
        if isinstance(entry, dict) and "path" in entry:
            md5 = content_hash(entry)
            path = join(folder, str(entry["path"]))
            size, nfiles = entry.get("size"), entry.get("nfiles")
            for value in (size, nfiles):  # published by the site and read back as a bound: never negative
                if value is not None and not is_size(value):
                    raise TrailError(f"refusing size {str(value)[:40]!r} of {path[:200]} in {where}")
            found.append(FileHash(path, md5, size, nfiles))
    return tuple(found)


def parse_lock(doc: Any, lockfile: str, where: str, wdirs: dict[str, str] | None = None) -> dict[str, StageLock]:
    """Every stage of a parsed dvc.lock, keyed by stage name (`foreach`/`matrix` stages as `name@key`).

    `wdirs` (from `documents.stage_wdirs`) gives the folder of stages with a `wdir`.
    """
    result = {}
    for name, body in lock_stages(doc, where).items():
        folder = stage_folder(str(name), posixpath.dirname(lockfile), wdirs)
        params = {join(folder, str(f)): dict(v or {}) for f, v in (body.get("params") or {}).items()}
        result[str(name)] = StageLock(
            str(name),
            lockfile,
            _hashes(body.get("deps"), folder, where),
            _hashes(body.get("outs"), folder, where),
            body.get("cmd"),
            params,
        )
    return result


_LOCK_HEAD = "schema: '2.0'\nstages:\n"
# One scan in C over the layout DVC writes: stage names, section keys, and `- path:` entries with their md5.
_LOCK_TOKENS = re.compile(
    r"^  (?P<stage>[^\s:#][^:\n]*):$"
    r"|^    (?P<section>\w+):"
    r"|^    - path: (?P<path>[^\n]*)\n(?:      (?!md5: )[^\n]*\n)*?      md5: (?P<md5>\S+)$",
    re.M,
)
_OFF_LAYOUT = re.compile(r"\n(?! {2}|\n|$)")  # a line at column 0 after the header: not DVC's layout


def fast_edges(text: str, lockfile: str, where: str, wdirs: dict[str, str] | None = None) -> dict[str, StageLock]:
    """Deps and outs (path, md5) of a dvc.lock in the layout DVC writes, without a YAML parse (about 10x faster).

    Anything outside that layout (quoted paths, hand edits) falls back to the YAML parser.
    """
    if not text.startswith(_LOCK_HEAD) or _OFF_LAYOUT.search(text, len(_LOCK_HEAD) - 1):
        return parse_lock(load_yaml(text, where), lockfile, where, wdirs)
    folder = lock_folder = posixpath.dirname(lockfile)
    stages: dict[str, dict[str, list[FileHash]]] = {}
    section: list[FileHash] | None = None
    current = ""
    for match in _LOCK_TOKENS.finditer(text):
        stage, key, path = match["stage"], match["section"], match["path"]
        if path is not None:
            if not path or path[0] in "'\"{[&*!|>%@`" or path[-1] == " ":
                return parse_lock(load_yaml(text, where), lockfile, where, wdirs)
            if section is not None:
                section.append(FileHash(join(folder, path), match["md5"]))
        elif key is not None:
            section = stages[current][key] if key in ("deps", "outs") and stages else None
        else:
            current, section = stage, None
            stages[current] = {"deps": [], "outs": []}
            folder = stage_folder(stage, lock_folder, wdirs)
    return {name: StageLock(name, lockfile, tuple(b["deps"]), tuple(b["outs"])) for name, b in stages.items()}


def _contains(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer + "/")


class Producers:
    """Which stage wrote each output path, with a cheap lookup for paths inside output folders."""

    def __init__(self, stages: dict[str, StageLock]) -> None:
        self.exact = {out.path: stage for stage in stages.values() for out in stage.outs}
        self.by_top: dict[str, list[tuple[str, StageLock]]] = {}
        for path, stage in self.exact.items():
            self.by_top.setdefault(path.split("/", 1)[0], []).append((path, stage))

    def of(self, path: str) -> StageLock | None:
        """The stage whose output is `path`, a folder holding it, or a file inside the folder `path`."""
        if path in self.exact:
            return self.exact[path]
        for out_path, stage in self.by_top.get(path.split("/", 1)[0], ()):
            if _contains(out_path, path) or _contains(path, out_path):
                return stage
        return None


def upstream(stages: dict[str, StageLock], target: str, producers: Producers | None = None) -> list[StageLock]:
    """Stages that produced `target`, transitively, upstream first."""
    produced = producers or Producers(stages)
    first = produced.of(target)
    if first is None:
        return []
    order: list[StageLock] = []
    seen: set[str] = set()

    def visit(stage: StageLock) -> None:
        if stage.name in seen:
            return
        seen.add(stage.name)
        for dep in stage.deps:
            parent = produced.of(dep.path)
            if parent is not None and parent.name != stage.name:
                visit(parent)
        order.append(stage)

    visit(first)
    return order


def leaf_inputs(chain: list[StageLock]) -> list[FileHash]:
    """Dependencies of the chain that no stage in it produces: data, code and imports."""
    produced = {o.path for s in chain for o in s.outs}
    leaves: dict[str, FileHash] = {}
    for stage in chain:
        for dep in stage.deps:
            if not any(_contains(p, dep.path) or _contains(dep.path, p) for p in produced):
                leaves.setdefault(dep.path, dep)
    return list(leaves.values())


def uses(chain: list[StageLock], path: str, md5: str) -> bool:
    """Whether a lineage chain read or wrote `path` with content `md5`."""
    return any(f.path == path and f.md5 == md5 for s in chain for f in (*s.deps, *s.outs))


def changes(old: list[StageLock], new: list[StageLock]) -> list[dict[str, Any]]:
    """What differs upstream between two chains: commands, params, dependency and output hashes."""
    before, after = {s.name: s for s in old}, {s.name: s for s in new}
    result: list[dict[str, Any]] = []
    for name in [*before, *(n for n in after if n not in before)]:
        a, b = before.get(name), after.get(name)
        if a is None or b is None:
            result.append({"stage": name, "kind": "stage", "old": a is not None, "new": b is not None})
            continue
        if a.cmd != b.cmd:
            result.append({"stage": name, "kind": "cmd", "old": a.cmd, "new": b.cmd})
        a_params, b_params = a.params or {}, b.params or {}
        for file in sorted(set(a_params) | set(b_params)):
            pa, pb = a_params.get(file, {}), b_params.get(file, {})
            for key in sorted(set(pa) | set(pb)):
                if pa.get(key) != pb.get(key):
                    result.append(
                        {
                            "stage": name,
                            "kind": "param",
                            "path": f"{file}:{key}",
                            "old": pa.get(key),
                            "new": pb.get(key),
                        }
                    )
        for kind, xs, ys in (("dep", a.deps, b.deps), ("out", a.outs, b.outs)):
            old_h, new_h = {f.path: f.md5 for f in xs}, {f.path: f.md5 for f in ys}
            for path in sorted(set(old_h) | set(new_h)):
                if old_h.get(path) != new_h.get(path):
                    result.append(
                        {"stage": name, "kind": kind, "path": path, "old": old_h.get(path), "new": new_h.get(path)}
                    )
    return result
