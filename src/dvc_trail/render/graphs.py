"""Lineage as a graph: Mermaid (renders in GitHub Markdown) and Graphviz DOT."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dvc_trail.render.escapes import for_terminal
from dvc_trail.shorthand import short

if TYPE_CHECKING:
    from dvc_trail.lineage.provenance import Lineage


def _edges(info: Lineage) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """File nodes (id -> label), stage nodes (id -> label), edges file -> stage -> file, and path -> id."""
    files: dict[str, str] = {}
    ids: dict[str, str] = {}
    stages: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    named: dict[str, list[str] | None] = {i["path"]: i.get("versions") for i in info.inputs}
    named.update({d["path"]: d["versions"] for s in info.stages for d in s["deps"] if d.get("versions")})

    def file_node(path: str, md5: str | None) -> str:
        if path not in ids:
            ids[path] = f"f{len(ids)}"
            versions = named.get(path)
            label = versions[0] if versions else short(md5 or "")
            files[ids[path]] = f"{path}\n{label}".rstrip()
        return ids[path]

    for i, stage in enumerate(info.stages):
        sid = f"s{i}"
        stages[sid] = stage["stage"]
        edges += [(file_node(dep["path"], dep["md5"]), sid) for dep in stage["deps"]]
        edges += [(sid, file_node(out["path"], out["md5"])) for out in stage["outs"]]
    file_node(info.path, info.md5)
    return files, stages, edges, ids


# Mermaid entity codes for what could end a label, close the Markdown fence or start HTML in a label.
_MERMAID = {ord(c): f"#{ord(c)};" for c in '"#<>`&'} | {ord("\n"): "<br/>", ord("\t"): " "}
_DOT = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\t"): " "}


def _mermaid_label(text: str) -> str:
    """Repository text inside a quoted Mermaid label: controls dropped, quotes, markup and backticks as entities."""
    return for_terminal(text).translate(_MERMAID)


def _dot_label(text: str) -> str:
    """Repository text inside a quoted DOT string: controls dropped, backslashes, quotes and newlines escaped."""
    return for_terminal(text).translate(_DOT)


def mermaid(info: Lineage) -> str:
    """A Mermaid flowchart of the lineage (files and stages), in a ```mermaid block."""
    files, stages, edges, ids = _edges(info)
    lines = ["```mermaid", "flowchart LR"]
    lines += [f'  {k}["{_mermaid_label(v)}"]' for k, v in files.items()]
    lines += [f'  {k}(["{_mermaid_label(v)}"])' for k, v in stages.items()]
    lines += [f"  {a} --> {b}" for a, b in edges]
    lines.append(f"  style {ids[info.path]} stroke-width:3px")
    return "\n".join([*lines, "```"]) + "\n"


def dot(info: Lineage) -> str:
    """A Graphviz DOT digraph of the lineage (files and stages)."""
    files, stages, edges, _ = _edges(info)
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    lines += [f'  {k} [shape=note, label="{_dot_label(v)}"];' for k, v in files.items()]
    lines += [f'  {k} [shape=box, style=rounded, label="{_dot_label(v)}"];' for k, v in stages.items()]
    lines += [f"  {a} -> {b};" for a, b in edges]
    return "\n".join([*lines, "}"]) + "\n"
