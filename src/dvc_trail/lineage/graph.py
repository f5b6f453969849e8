"""The pipeline graph from parsed dvc.lock stages: what produced an output, upstream closure, impact (pure)."""

from __future__ import annotations

from typing import Any

from dvc_trail.dvcfiles.locks import FileHash, StageLock


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
