"""The version and artifact pages' data as rows of plain text for their templates (pure).

Jinja2 pays for every attribute lookup, function call and macro call in a template, and the site renders
thousands of pages: here each table row is a tuple of the strings and numbers it shows, computed once in
Python, and the templates only place them in markup (autoescaped, as any other template value). Links are
relative paths from `paths`; nothing here is markup.
"""

from __future__ import annotations

import json
from typing import Any

from dvc_trail.metrics import diff
from dvc_trail.shorthand import short
from dvc_trail.site import charts, paths


def when(stamp: str | None) -> tuple[str, str] | None:
    """An ISO date and how a page shows it (minutes, a space for the `T`); None for no date."""
    return (stamp, stamp[:16].replace("T", " ")) if stamp else None


def value(value: Any) -> str:
    """A metric or param value as a table cell shows it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return diff.format_number(value)
    return "-" if value is None else str(value)


def plain(value: Any) -> str:
    """Any YAML value as one line of text (lists joined, mappings as JSON)."""
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "" if value is None else str(value)


def ref_page(ref: str) -> str:
    """The page of a `name@version` reference."""
    name, _, version = ref.rpartition("@")
    return paths.version_page(name, version)


def change_text(c: dict[str, Any]) -> str:
    """One upstream change as a sentence."""
    kind, stage = c["kind"], c["stage"]
    if kind == "stage":
        return f"stage {stage} {'added' if c['new'] else 'removed'}"
    if kind == "cmd":
        return f"stage {stage}: command {plain(c['old'])} -> {plain(c['new'])}"
    if kind == "param":
        return f"stage {stage}: param {c['path']} {plain(c['old'])} -> {plain(c['new'])}"
    old = ", ".join(c.get("old_versions") or []) or short(c["old"] or "none")
    new = ", ".join(c.get("new_versions") or []) or short(c["new"] or "none")
    return f"stage {stage}: {'input' if kind == 'dep' else 'output'} {c['path']} {old} -> {new}"


def docs_rows(docs: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(file, key, value) of every flattened metric or param."""
    return [(path, key, value(v)) for path, flat in docs.items() for key, v in flat.items()]


def diff_rows(changes: dict[str, dict[str, dict]]) -> list[tuple[str, str, str, str, str]]:
    """(file, key, before, now, change) of every changed metric or param."""
    return [
        (path, key, value(e["old"]), value(e["new"]), diff.format_change(e))
        for path, keys in changes.items()
        for key, e in keys.items()
    ]


def _links(refs: list[str] | None, root: str) -> list[tuple[str, str]]:
    return [(ref, root + ref_page(ref)) for ref in refs or ()]


def graph_rows(graph: charts.LineageGraph, root: str) -> dict[str, Any]:
    """The lineage graph's nodes and edges as rows (a node's link is empty when it has none)."""
    nodes = [
        (n.kind, n.label, n.detail, n.x, n.y, 12 if n.kind == "stage" else 3, n.short_label, n.short_detail)
        + (root + ref_page(n.ref) if n.ref else "",)
        for n in graph.nodes
    ]
    edges = [(e.x1, e.y1, e.x2, e.y2) for e in graph.edges]
    return {"nodes": nodes, "edges": edges}


def lineage_rows(lineage: dict[str, Any], shown_outs: list[list[dict]], root: str) -> dict[str, Any]:
    """The lineage as text: its inputs and its stages as rows."""
    inputs = []
    for i in lineage["inputs"]:
        source = i.get("source")
        origin = None
        if source:  # a missing field prints as nothing, as Jinja2 prints an undefined one
            origin = (source.get("url", ""), source.get("rev_lock") or source.get("rev") or "?", i.get("frozen"))
        inputs.append(
            (i["kind"], i["path"], short(i["md5"]) if i["md5"] else "", _links(i.get("versions"), root), origin)
        )
    stages = []
    for st, outs in zip(lineage["stages"], shown_outs, strict=True):
        params = [(k, plain(v)) for vals in st["params"].values() for k, v in vals.items()]
        deps = [(d["path"], short(d["md5"] or ""), _links(d.get("versions"), root)) for d in st["deps"]]
        shown = [(o["path"], short(o["md5"] or "")) for o in outs]
        stages.append((st["stage"], plain(st["cmd"]), params, deps, shown, len(st["outs"]) - len(outs)))
    return {"inputs": inputs, "chain": stages}


def move_rows(events: list[dict[str, Any]]) -> list[tuple]:
    """(date, event, stage, version, author, tag) of an artifact's stage history."""
    return [(when(e["timestamp"]), e["event"], e["stage"], e["version"], e["author"], e["ref"]) for e in events]


def event_rows(events: list[dict[str, Any]]) -> list[tuple]:
    """(tag, event, stage, date, author, message) of a version's tags."""
    return [(e["ref"], e["event"], e["stage"], when(e["timestamp"]), e["author"], e["message"]) for e in events]


def version_rows(name: str, rows: list[dict[str, Any]], key_metrics: list[str], root: str) -> list[tuple]:
    """An artifact's versions table: (version, page, commit, short commit, date, author, stages, metric cells)."""
    found = []
    keys = [k.partition(":")[::2] for k in key_metrics]
    for v in rows:
        metrics = v["metrics"]
        cells = [value(metrics.get(path, {}).get(key)) for path, key in keys]
        page = root + paths.version_page(name, v["version"])
        found.append(
            (
                v["version"],
                page,
                v["commit"],
                short(v["commit"]),
                when(v["created_at"]),
                v["author"],
                v["stages"],
                cells,
            )
        )
    return found


def chart_rows(chart: charts.TrendChart) -> dict[str, Any]:
    """A trend chart's texts and its points as rows: (x, y, version, value, stages, radius, label y)."""
    fmt = diff.format_number
    points = [
        (p.x, p.y, p.version, fmt(p.value), ", ".join(p.stages), 5 if p.stages else 3, p.y - 8) for p in chart.points
    ]
    return {
        "metric": chart.metric,
        "width": chart.width,
        "height": chart.height,
        "line": chart.line,
        "low": fmt(chart.low),
        "high": fmt(chart.high),
        "first": chart.first,
        "last": chart.last,
        "first_value": fmt(chart.points[0].value),
        "last_value": fmt(chart.points[-1].value),
        "points": points,
        "staged": [p for p in points if p[4]],
    }


def fetch_snippets(view: Any, clone_url: str | None, registry_url: str | None) -> list[str]:
    """The "how to fetch it" blocks: each command line with every word shell-quoted (the Python one as literals).

    The artifact path names the output folder and is repository text (`;`, `|`, `#`, `$()`, quotes, newlines):
    copied into a shell it stays one word, into Python one string.
    """
    from dvc_trail.render.escapes import for_shell, for_terminal

    path = (view.decl or {}).get("path")
    out = (for_terminal(path).rstrip("/").rpartition("/")[2] if isinstance(path, str) else "") or "artifact"
    stage = next(iter(view.stages), None) if view.stages else None
    ref = view.name + (f"#{stage}" if stage else f"@{view.latest}" if view.latest else "")
    repo = clone_url or "REPO_URL"
    trail = [for_shell("trail", "get", ref, "--repo", repo, "-o", out)]
    if registry_url:
        trail.append(for_shell("trail", "get", ref, "--registry", registry_url, "-o", out))
    blocks = ["\n".join(trail), f"from dvc_trail import api\n\npath = api.get({ref!r}, repo={repo!r}, out={out!r})"]
    if view.latest:
        which = ["--stage", stage] if stage else ["--rev", f"{view.name}@{view.latest}"]
        blocks.append(for_shell("dvc", "artifacts", "get", repo, view.name, *which, "-o", out))
    return blocks
