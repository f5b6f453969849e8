"""Lineage commands: what produced a version, which versions used some data, model cards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dvc_trail.cli.app import FetchOpt, JsonOpt, RefArg, command, project
from dvc_trail.render import terminal
from dvc_trail.render.escapes import for_terminal
from dvc_trail.shorthand import short
from dvc_trail.store.worktree import write_output


@command("lineage")
def lineage(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(help="NAME, NAME@vX.Y.Z, NAME#STAGE, or NAME@REV for an unregistered git revision.")
    ],
    json: JsonOpt = False,
    mermaid: Annotated[bool, typer.Option("--mermaid", help="Print a Mermaid graph (renders on GitHub).")] = False,
    dot: Annotated[bool, typer.Option("--dot", help="Print a Graphviz DOT graph.")] = False,
    vs: Annotated[str | None, typer.Option("--vs", help="Show what changed upstream since this other version.")] = None,
) -> None:
    """What produced a version: every upstream stage with its command, params, inputs and outputs."""
    from dvc_trail.lineage import provenance

    registry = project(ctx, history=True)  # a URL's copy: with the commits that "last changed in" reads
    if vs:
        changes = provenance.compare_lineage(registry, ref, vs)
        terminal.print_json(changes.to_dict()) if json else terminal.lineage_changes(changes)
        return
    info = provenance.lineage_of(registry, ref)
    if mermaid or dot:
        from dvc_trail.render import graphs

        print(graphs.mermaid(info) if mermaid else graphs.dot(info), end="")
    elif json:
        terminal.print_json(info.to_dict())
    else:
        terminal.lineage_text(info)


@command("impact")
def impact(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="A data or code path, as dvc.lock records it.")],
    md5: Annotated[
        str | None,
        typer.Option("--md5", help="The content hash to look for, or 7+ of its first hex digits (any case)."),
    ] = None,
    rev: Annotated[str | None, typer.Option("--rev", help="Take PATH's hash at this revision (default HEAD).")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Only versions holding this stage now.")] = None,
    json: JsonOpt = False,
) -> None:
    """Which registered versions (and which in prod) were built from PATH at a given hash."""
    from dvc_trail.lineage import provenance

    found = provenance.impact(project(ctx, details=False), path, md5=md5, rev=rev, stage=stage)
    terminal.warnings(found.warnings)
    used = for_terminal(f"{path} at {short(found.md5)}")  # the hash comes from a dvc.lock: repository text
    if json:
        terminal.print_json(found.matches)
    elif not found.matches:
        print(f"No registered version used {used}.")
    else:
        print(f"{len(found.matches)} registered version(s) used {used}:")
        rows = [[m["name"], m["version"], short(m["commit"]), ", ".join(m["stages"])] for m in found.matches]
        terminal.simple_table(["name", "version", "commit", "stages"], rows)


@command("card")
def card(
    ctx: typer.Context,
    ref: RefArg,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the card to this file.")] = None,
    fetch: FetchOpt = False,
) -> None:
    """A Markdown model card: metadata, metrics, params, lineage and stages of a version."""
    from dvc_trail.lineage import provenance
    from dvc_trail.render import markdown

    registry = project(ctx, history=True)
    info, unread = registry.version_info(ref, fetch=fetch)
    terminal.unreadable([u.message for u in unread])
    text = markdown.card(info, provenance.lineage_of(registry, ref))
    if output:
        write_output(output, text)
        print(f"Wrote {output}")
    else:
        print(text, end="")
