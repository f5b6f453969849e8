"""A metric across versions as a self-contained SVG (and an HTML page around it), stages marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dvc_trail.errors import TrailError, UsageError
from dvc_trail.render.escapes import for_html
from dvc_trail.store.worktree import write_output, write_outputs

WIDTH, HEIGHT, MARGIN = 760, 380, 60


def pick_metric(rows: list[dict[str, Any]], metric: str | None) -> str:
    """The `path:key` to plot: the one asked for, else the first numeric metric."""
    keys = [
        f"{p}:{k}"
        for r in rows
        for p, flat in r["metrics"].items()
        for k, v in flat.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    if metric is None:
        if not keys:
            raise TrailError("no numeric metric to plot")
        return keys[0]
    matches = [k for k in dict.fromkeys(keys) if metric in (k, k.split(":", 1)[1])]
    if not matches:
        raise UsageError(f"no numeric metric {metric!r}; known: {', '.join(dict.fromkeys(keys)) or 'none'}")
    return matches[0]


def svg(name: str, rows: list[dict[str, Any]], metric: str) -> str:
    """A self-contained SVG line chart of METRIC over the versions in ROWS, stage holders marked."""
    path, key = metric.split(":", 1)
    points = [(r, r["metrics"].get(path, {}).get(key)) for r in rows]
    values = [v for _, v in points if isinstance(v, int | float)]
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    step = (WIDTH - 2 * MARGIN) / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return MARGIN + i * step, HEIGHT - MARGIN - (v - low) / span * (HEIGHT - 2 * MARGIN)

    head = f'width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11"'
    title = f"{for_html(name)}: {for_html(key)} by version"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" {head}>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{MARGIN}" y="24" font-size="15" font-weight="bold">{title}</text>',
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#999"/>',
        f'<text x="8" y="{HEIGHT - MARGIN}">{low:.4g}</text><text x="8" y="{MARGIN}">{high:.4g}</text>',
    ]
    line = [xy(i, v) for i, (_, v) in enumerate(points) if isinstance(v, int | float)]
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
    parts.append(f'<polyline fill="none" stroke="#3465a4" stroke-width="2" points="{coords}"/>')
    for i, (row, value) in enumerate(points):
        if not isinstance(value, int | float):
            continue
        x, y = xy(i, value)
        staged = bool(row["stages"])
        tip = f"{for_html(row['version'])}: {value}"
        colour, radius = ("#cc0000", 6) if staged else ("#3465a4", 4)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}"><title>{tip}</title></circle>')
        label_y = HEIGHT - MARGIN + 16
        parts.append(f'<text x="{x:.1f}" y="{label_y}" text-anchor="middle">{for_html(row["version"])}</text>')
        if staged:
            stages = for_html(", ".join(row["stages"]))
            parts.append(f'<text x="{x:.1f}" y="{y - 10:.1f}" text-anchor="middle" fill="{colour}">{stages}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_plot(name: str, rows: list[dict[str, Any]], metric: str | None, out: Path) -> list[Path]:
    """Write OUT (.svg or .html); an .svg also gets an .html page beside it. Returns the files written."""
    chosen = pick_metric(rows, metric)
    image = svg(name, rows, chosen)
    page = f"<!doctype html><meta charset='utf-8'><title>{for_html(name)}</title><body>{image}</body>\n"
    suffix = out.suffix.lower()
    if suffix == ".svg":
        write_outputs({out: image + "\n", out.with_suffix(".html"): page})
        return [out, out.with_suffix(".html")]
    if suffix in (".html", ".htm"):
        write_output(out, page)
        return [out]
    raise UsageError(f"cannot write {out.name}: use a .svg or .html file name")
