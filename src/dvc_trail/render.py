"""Renderers: rich tables for people, JSON for machines. Rich is imported only when a table is drawn."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=4, ensure_ascii=False, default=str) + "\n")


def _console():
    from rich.console import Console

    # Piped output is not cut to 80 columns: tables stay one row per line for grep and logs.
    return Console(soft_wrap=False, highlight=False, width=None if sys.stdout.isatty() else 240)


_NO_WRAP = {"timestamp", "event", "version", "commit", "name", "latest", "key"}


def _table(title: str | None, columns: list[str], rows: list[list[Any]]):
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in _NO_WRAP)
    for row in rows:
        table.add_row(*("-" if v is None else str(v) for v in row))
    return table


def registry_table(registry: dict[str, dict]) -> None:
    if not registry:
        print("No artifacts registered yet: run `trail register NAME`.")
        return
    stages = sorted({s for a in registry.values() for s in a["stage"]})
    rows = [
        [name + ("" if a["active"] else " (deprecated)"), a["version"], *(a["stage"].get(s) for s in stages)]
        for name, a in sorted(registry.items())
    ]
    _console().print(_table(None, ["name", "latest", *(f"#{s}" for s in stages)], rows))


def version_details(info: dict) -> None:
    from rich.markup import escape

    console = _console()
    decl = info["artifact"] or {}
    meta = decl.get("meta") or {}
    digest = info["hash"] or {}
    lines = [
        ("artifact", info["name"] + ("  (deprecated)" if info["deprecated"] else "")),
        ("version", info["version"]),
        ("stages", ", ".join(info["stages"]) or "-"),
        ("commit", f"{info['commit']}  {info['commit_message'] or ''}".rstrip()),
        ("registered", f"{info['created_at']} by {info['author']} <{info['author_email']}>"),
        ("tag", info["tag"]),
        ("path", info["path"]),
        ("hash", f"{digest.get('md5')} ({digest.get('source')})" if digest else None),
        ("type", decl.get("type")),
        ("description", decl.get("desc")),
        ("labels", ", ".join(decl.get("labels") or []) or None),
        *((key, _plain(value)) for key, value in meta.items()),
    ]
    for key, value in lines:
        if value is not None:
            console.print(f"[bold]{key:<12}[/bold] {escape(str(value))}")
    for title, values in (("metrics", info["metrics"]), ("params", info["params"])):
        rows = [[path, key, _plain(v)] for path, flat in values.items() for key, v in flat.items()]
        if rows:
            console.print(_table(title, ["file", "key", "value"], rows))


def history_table(events: list[dict]) -> None:
    if not events:
        print("No registry events.")
        return
    rows = [
        [
            e["timestamp"][:19].replace("T", " "),
            e["artifact"],
            e["event"],
            e["version"],
            e["stage"],
            e["commit"][:7],
            e["ref"],
        ]
        for e in events
    ]
    _console().print(_table(None, ["timestamp", "artifact", "event", "version", "stage", "commit", "tag"], rows))


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def diff_tables(comparison: Any) -> None:
    from dvc_trail import diff as core

    console = _console()
    old, new = comparison.old.revision.label, comparison.new.revision.label
    for title, values in (("metrics", comparison.metrics), ("params", comparison.params)):
        if not values:
            console.print(f"No {title} changed between {old} and {new}.")
            continue
        rows = [
            [path, key, core.format_number(e["old"]), core.format_number(e["new"]), core.format_change(e)]
            for path, keys in values.items()
            for key, e in keys.items()
        ]
        console.print(_table(title, ["file", "key", old, new, "change"], rows))
    for result in comparison.gates:
        console.print(("[red]FAIL[/red] " if result.breached else "[green]ok[/green]   ") + result.message)


def trend_table(name: str, rows: list[dict]) -> None:
    keys = sorted({f"{p}:{k}" for r in rows for p, flat in r["metrics"].items() for k in flat})
    short = {k: k.split(":", 1)[1] if len({x.split(":", 1)[1] for x in keys}) == len(keys) else k for k in keys}
    table_rows = []
    for r in rows:
        values = {f"{p}:{k}": v for p, flat in r["metrics"].items() for k, v in flat.items()}
        table_rows.append([r["version"], ", ".join(r["stages"]), r["commit"][:7], *(values.get(k) for k in keys)])
    _console().print(
        _table(f"{name}: metrics by version", ["version", "stages", "commit", *(short[k] for k in keys)], table_rows)
    )
