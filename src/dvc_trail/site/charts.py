"""Geometry of the site's inline SVG: a metric across versions and a lineage graph (markup is in templates).

The lineage layout is the graph's topological generations from the standard library's `graphlib` (Kahn's
algorithm, as networkx's `topological_generations`, without networkx's 0.2 s import): one column per generation,
inputs on the left, the artifact on the right; no layout engine of our own beyond stacking a column's nodes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from dvc_trail.shorthand import short

CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 720, 240, 56, 44, 20, 40
NODE_W, NODE_H, COL_GAP, ROW_GAP, MARGIN = 190, 38, 46, 14, 8


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    version: str
    value: float
    stages: tuple[str, ...]


@dataclass(frozen=True)
class TrendChart:
    """One numeric metric across versions: a point per version, stage holders marked."""

    metric: str
    width: int
    height: int
    points: tuple[Point, ...]
    line: str
    low: float
    high: float
    first: str
    last: str


def trend_chart(metric: str, rows: list[dict[str, Any]]) -> TrendChart | None:
    """A chart of `path:key` over `rows` (oldest first); None when no version has a numeric value."""
    path, _, key = metric.partition(":")
    found = [(r, v) for r in rows if _number(v := r["metrics"].get(path, {}).get(key))]
    if not found:
        return None
    values = [float(v) for _, v in found]
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    inner_w, inner_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    step = inner_w / max(len(found) - 1, 1)
    points = tuple(
        Point(
            round(PAD_L + i * step, 1),
            round(PAD_T + inner_h - (value - low) / span * inner_h, 1),
            row["version"],
            value,
            tuple(row["stages"]),
        )
        for i, ((row, _), value) in enumerate(zip(found, values, strict=True))
    )
    line = " ".join(f"{p.x},{p.y}" for p in points)
    first, last = found[0][0]["version"], found[-1][0]["version"]
    return TrendChart(metric, CHART_W, CHART_H, points, line, low, high, first, last)


def _number(value: Any) -> bool:
    # an int past float range (a cached value from a crafted metrics file) is no point on a chart
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= sys.float_info.max


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # stage, input, output (the artifact), file (an intermediate output)
    label: str
    detail: str
    x: int
    y: int
    ref: str | None = None  # `name@version` of a registered input

    @property
    def short_label(self) -> str:
        """The label cut to fit the node box."""
        return _short(self.label)

    @property
    def short_detail(self) -> str:
        """The detail line cut to fit the node box."""
        return _short(self.detail)


def _short(text: str, width: int = 30) -> str:
    """Text cut to fit a node box, the middle elided so a path keeps its file name."""
    return text if len(text) <= width else text[: width // 2 - 1] + "…" + text[-(width // 2) :]


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class LineageGraph:
    width: int
    height: int
    node_w: int
    node_h: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def lineage_graph(info: dict[str, Any]) -> LineageGraph:
    """Lay out a `trail lineage --json` result: a node per stage and per file, edges file -> stage -> file."""
    inputs = {i["path"]: i for i in info["inputs"]}
    read = {d["path"] for stage in info["stages"] for d in stage["deps"]}
    graph = _Graph()
    files: dict[str, dict[str, Any]] = {}
    for stage in info["stages"]:
        sid = "stage:" + stage["stage"]
        graph.add_node(sid)
        for dep in stage["deps"]:
            if dep.get("versions") or dep["path"] not in files:
                files[dep["path"]] = dep
            graph.add_edge("file:" + dep["path"], sid)
        for out in stage["outs"]:  # sibling outputs that nothing in the chain reads are left out
            if out["path"] in read or out["path"] == info["path"]:
                files.setdefault(out["path"], out)
                graph.add_edge(sid, "file:" + out["path"])
    for path, entry in inputs.items():
        files.setdefault(path, entry)
        graph.add_node("file:" + path)
    graph.add_node("file:" + info["path"])
    files.setdefault(info["path"], {"path": info["path"], "md5": info["md5"]})
    columns = graph.generations()
    place: dict[str, tuple[int, int]] = {}
    nodes = []
    for col, members in enumerate(columns):
        for row, node_id in enumerate(members):
            x, y = MARGIN + col * (NODE_W + COL_GAP), MARGIN + row * (NODE_H + ROW_GAP)
            place[node_id] = (x, y)
            nodes.append(_node(node_id, x, y, files, inputs, info["path"]))
    edges = tuple(
        Edge(place[a][0] + NODE_W, place[a][1] + NODE_H // 2, place[b][0], place[b][1] + NODE_H // 2)
        for a, b in sorted(graph.edges)
        if a in place and b in place
    )
    width = MARGIN * 2 + len(columns) * NODE_W + max(len(columns) - 1, 0) * COL_GAP
    rows = max((len(c) for c in columns), default=1)
    height = MARGIN * 2 + rows * NODE_H + (rows - 1) * ROW_GAP
    return LineageGraph(width, height, NODE_W, NODE_H, tuple(nodes), edges)


class _Graph:
    """Nodes and edges, and their topological generations (graphlib's ready sets, one per column)."""

    def __init__(self) -> None:
        self.preds: dict[str, set[str]] = {}
        self.edges: set[tuple[str, str]] = set()

    def add_node(self, node: str) -> None:
        self.preds.setdefault(node, set())

    def add_edge(self, a: str, b: str) -> None:
        self.add_node(a)
        self.preds.setdefault(b, set()).add(a)
        self.edges.add((a, b))

    def generations(self) -> list[list[str]]:
        from graphlib import CycleError, TopologicalSorter

        sorter = TopologicalSorter(self.preds)
        try:
            sorter.prepare()
        except CycleError:  # DVC refuses cycles, but the lock is untrusted text: one column then
            return [sorted(self.preds)]
        columns = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            columns.append(ready)
            sorter.done(*ready)
        return columns


def _node(node_id: str, x: int, y: int, files: dict[str, dict], inputs: dict[str, dict], own: str) -> Node:
    kind, _, name = node_id.partition(":")
    if kind == "stage":
        return Node(node_id, "stage", name, "stage", x, y)
    entry = inputs.get(name) or files.get(name) or {}
    refs = entry.get("versions") or []
    detail = refs[0] if refs else short(entry.get("md5") or "")
    if entry.get("kind") == "import" and entry.get("source"):
        detail = f"import {entry['source'].get('url') or ''}"
    kind = "output" if name == own else "input" if name in inputs else "file"
    return Node(node_id, kind, name, detail, x, y, refs[0] if refs else None)
