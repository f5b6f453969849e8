"""Markdown for pull requests: metric/param diff tables, the PR report, model cards."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dvc_trail.metrics import diff
from dvc_trail.render.escapes import for_code, for_markdown, markdown_value
from dvc_trail.shorthand import short

if TYPE_CHECKING:
    from dvc_trail.lineage.provenance import Lineage
    from dvc_trail.metrics.compare import Comparison

REPORT_MARKER = "<!-- trail-report -->"


def _cell(value: Any) -> str:
    """A metric, param or meta value of any type: a number as it is, anything else in a code span."""
    return markdown_value(value)


def _text(value: Any) -> str:
    """A name, path, key or description: literal Markdown (no markup, link, mention, HTML or heading)."""
    return for_markdown(str(value))


# A gate as people type it (`accuracy<-0.01`, `metrics.json:loss>+5%`): nothing in it can become markup.
_PLAIN_GATE = re.compile(r"[A-Za-z0-9]+(?:[._/:-][A-Za-z0-9]+)*\s*[<>]\s*[+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?%?")


def _rule(text: str) -> str:
    return text if _PLAIN_GATE.fullmatch(text) and "www." not in text.lower() else for_code(text)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def change_cell(key: str, entry: dict, directions: dict[str, str]) -> str:
    """`🟢 ▲ +0.007 (+0.8%)`: the arrow follows the sign, the colour whether that is good for this metric."""
    text = diff.format_change(entry)
    if not text or entry["diff"] == 0:
        return text
    worse = diff.is_worse(entry["old"], entry["new"], diff.lower_is_better(key, directions))
    arrow = "▲" if entry["diff"] > 0 else "▼"
    return f"{'🔴' if worse else '🟢'} {arrow} {text}"


def metrics_table(
    metrics: dict[str, dict[str, dict]], old: str, new: str, directions: dict[str, str], partial: bool = False
) -> str:
    """A Markdown table of metric changes, coloured by whether each change is good (`partial`: some unread)."""
    if not metrics:
        return "_No change in the metrics that could be read._" if partial else "_No metric changed._"
    rows = [
        [_text(path), _text(key), _cell(e["old"]), _cell(e["new"]), change_cell(key, e, directions)]
        for path, keys in metrics.items()
        for key, e in keys.items()
    ]
    return _table(["File", "Metric", old, new, "Change"], rows)


def params_table(params: dict[str, dict[str, dict]], old: str, new: str) -> str:
    """A Markdown table of param changes."""
    if not params:
        return "_No param changed._"
    rows = [
        [_text(path), _text(key), _cell(e["old"]), _cell(e["new"])]
        for path, keys in params.items()
        for key, e in keys.items()
    ]
    return _table(["File", "Param", old, new], rows)


def diff_markdown(comparison: Comparison) -> str:
    """`trail diff --md`: the metric and param tables, and the gates when any ran."""
    old, new = comparison.old.revision, comparison.new.revision
    a, b = for_code(old.label), for_code(new.label)  # a branch name may hold a backtick, `<` or `@`
    parts = [
        "### Metrics",
        *_unreadable(comparison),
        metrics_table(comparison.metrics, a, b, comparison.directions, bool(comparison.unreadable)),
        "",
        "### Params",
        params_table(comparison.params, a, b),
    ]
    if comparison.gates:
        parts += ["", "### Gates", gates_list(comparison.gates)]
    return "\n".join(parts) + "\n"


def _unreadable(comparison: Comparison) -> list[str]:
    """A warning line per declared metrics file that could not be read (so an empty table is never mistaken)."""
    return [f"> ⚠️ not compared: {_text(u.message)}" for u in comparison.unreadable]


def gates_list(results: list[diff.GateResult]) -> str:
    """A Markdown list of gate verdicts."""
    return "\n".join(f"- {'❌' if r.breached else '✅'} {r.render(_rule, _cell)}" for r in results)


def report(comparison: Comparison, upstream: dict[str, list[dict[str, Any]]] | None = None) -> str:
    """The PR comment: metrics, params, changed artifacts, upstream changes and gate results."""
    from dvc_trail.render.terminal import change_lines

    old, new = comparison.old.revision, comparison.new.revision
    la, lb = for_code(old.label), for_code(new.label)  # a branch name may hold a backtick, `<` or `@`
    a, b = f"{la} ({_text(old.short)})", f"{lb} ({_text(new.short)})"
    failed = comparison.failed_gates
    verdict = f"❌ {len(failed)} gate(s) failed" if failed else ("✅ all gates passed" if comparison.gates else "")
    parts = [REPORT_MARKER, f"## trail report: {a} → {b}", verdict, "", "### Metrics", *_unreadable(comparison)]
    partial = bool(comparison.unreadable)
    parts.append(metrics_table(comparison.metrics, la, lb, comparison.directions, partial))
    parts += ["", "### Params changed", params_table(comparison.params, la, lb)]
    changed = comparison.changed_artifacts()
    parts += ["", "### Artifacts whose content changed"]
    if changed:
        rows = [[for_code(c["name"]), _text(c["path"]), _short(c["old"]), _short(c["new"])] for c in changed]
        parts.append(_table(["Artifact", "Path", la, lb], rows))
    else:
        parts.append("_No artifact changed._")
    lines = [
        f"{for_code(name)} {_text(line)}"
        for name, changes in (upstream or {}).items()
        for line in change_lines(changes)
    ]
    if lines:
        parts += ["", "### What changed upstream", *(f"- {line}" for line in lines)]
    if comparison.gates:
        parts += ["", "### Gates", gates_list(comparison.gates)]
    parts += ["", "<sub>Generated by `trail report`.</sub>"]
    return "\n".join(p for p in parts if p is not None) + "\n"


def _listed(value: Any) -> list[Any]:
    """A list from dvc.yaml as it is; any other value (a crafted string or mapping) as a one-item list."""
    return value if isinstance(value, list) else [value] if value else []


def _short(md5: str | None) -> str:
    return for_code(short(md5)) if md5 else "-"


def card(info: dict, lineage: Lineage) -> str:
    """A model card: identity, metadata from dvc.yaml, stages, metrics, params and a lineage summary."""
    from dvc_trail.render.terminal import input_note, short_hash

    decl = info.get("artifact") or {}
    meta = dict(decl.get("meta") or {})
    deps = meta.pop("dependencies", None)
    esc = _text
    labels = ", ".join(esc(x) for x in _listed(decl.get("labels"))) or "-"
    dependencies = ", ".join(esc(d) for d in deps) if isinstance(deps, list) else _cell(deps or "-")
    lines = [
        f"# {esc(info['name'])} {esc(info['version'])}",
        "",
        esc(decl.get("desc") or "") or "_No description in dvc.yaml._",
        "",
        "| | |",
        "|---|---|",
        f"| Type | {esc(decl.get('type') or '-')} |",
        f"| Labels | {labels} |",
        f"| Author | {esc(meta.pop('author', None) or '-')} |",
        f"| License | {esc(meta.pop('license', None) or '-')} |",
        f"| Dependencies | {dependencies} |",
        *(f"| {esc(str(k).capitalize())} | {_cell(v)} |" for k, v in meta.items()),
        f"| Stages | {', '.join(esc(s) for s in info['stages']) or '-'} |",
        f"| Path | {for_code(info['path'])} |",
        f"| Hash | {for_code(str((info.get('hash') or {}).get('md5', '-')))} |",
        f"| Commit | {for_code(info['commit'])} |",
        f"| Registered | {esc(info['created_at'])} by {esc(info['author'] or '-')} |",
        "",
        "## Metrics",
    ]
    metric_rows = [[esc(p), esc(k), _cell(v)] for p, flat in info["metrics"].items() for k, v in flat.items()]
    lines.append(_table(["File", "Metric", "Value"], metric_rows) if metric_rows else "_No metrics._")
    lines += ["", "## Params"]
    param_rows = [[esc(p), esc(k), _cell(v)] for p, flat in info["params"].items() for k, v in flat.items()]
    lines.append(_table(["File", "Param", "Value"], param_rows) if param_rows else "_No params._")
    lines += ["", "## Lineage", ""]
    lines += [f"- stage {for_code(s['stage'])}: {for_code(str(s['cmd']), in_table=False)}" for s in lineage.stages]
    named = {d["path"]: d["versions"] for s in lineage.stages for d in s["deps"] if d.get("versions")}
    lines += [f"- uses {for_code(path)} = {esc(', '.join(versions))}" for path, versions in named.items()]
    lines += [f"- input {for_code(i['path'])} ({short_hash(i['md5'])}): {esc(input_note(i))}" for i in lineage.inputs]
    return "\n".join(lines) + "\n"
