"""Renderers: rich tables for people, JSON for machines. Rich is imported only when a table is drawn."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from dvc_trail.render.escapes import for_line, for_rich, text_of
from dvc_trail.render.plain import print_json, registry_table
from dvc_trail.shorthand import at, short

if TYPE_CHECKING:
    from dvc_trail.lineage.provenance import Lineage, LineageChanges
    from dvc_trail.metrics.compare import Comparison
    from dvc_trail.sharing.publish import PublishResult
    from dvc_trail.sharing.verify import VerifyResult

__all__ = ["print_json", "registry_table"]  # re-exported: commands print everything through this module


def _console():
    from rich.console import Console

    # Piped output is not cut to 80 columns: tables stay one row per line for grep and logs. No emoji codes:
    # `:red_circle:` in a description is text (rich's markup escape leaves emoji codes alone).
    return Console(soft_wrap=False, highlight=False, emoji=False, width=None if sys.stdout.isatty() else 240)


_NO_WRAP = {"timestamp", "event", "version", "commit", "name", "latest", "key"}


def _table(title: str | None, columns: list[str], rows: list[list[Any]]):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text(for_line(title)) if title else None,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    for column in columns:
        table.add_column(Text(for_line(column)), overflow="fold", no_wrap=column in _NO_WRAP)
    for row in rows:  # Text cells, one line each: repository content is shown, never read as markup or as a row
        table.add_row(*(Text("-" if v is None else for_line(str(v))) for v in row))
    return table


def _safe(value: Any) -> str:
    """Repository text inside one rich markup line: hidden characters dropped, line breaks as spaces, markup escaped."""
    return for_rich(for_line(str(value)))


def _rich_value(value: Any) -> str:
    return _safe(text_of(value))


def version_details(info: dict) -> None:
    """Print `trail show` for people: identity, hash, metadata, then metric and param tables."""
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
            console.print(f"[bold]{_safe(str(key)):<12}[/bold] {_safe(str(value))}")  # meta keys are repository text
    for title, values in (("metrics", info["metrics"]), ("params", info["params"])):
        rows = [[path, key, _plain(v)] for path, flat in values.items() for key, v in flat.items()]
        if rows:
            console.print(_table(title, ["file", "key", "value"], rows))


def history_table(events: list[dict]) -> None:
    """Print registry events as a table, newest first."""
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
            short(e["commit"]),
            e["ref"],
        ]
        for e in events
    ]
    _console().print(_table(None, ["timestamp", "artifact", "event", "version", "stage", "commit", "tag"], rows))


def _say(line: str) -> None:
    """Print one line of text that holds repository text (names, paths, remotes, notes): inert, one line."""
    print(for_line(line))


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def diff_tables(comparison: Comparison) -> None:
    """Print the metric and param changes of a comparison as tables, then each gate's verdict."""
    from dvc_trail.metrics import diff

    console = _console()
    old, new = comparison.old.revision.label, comparison.new.revision.label
    for title, values in (("metrics", comparison.metrics), ("params", comparison.params)):
        if not values and comparison.unreadable:
            sides = _safe(", ".join(sorted({u.revision.label for u in comparison.unreadable})))
            console.print(f"Some {title} could not be read at {sides}: not compared (see the warnings above).")
            continue
        if not values:
            console.print(f"No {title} changed between {_safe(old)} and {_safe(new)}.")
            continue
        rows = [
            [path, key, diff.format_number(e["old"]), diff.format_number(e["new"]), diff.format_change(e)]
            for path, keys in values.items()
            for key, e in keys.items()
        ]
        console.print(_table(title, ["file", "key", old, new, "change"], rows))
    for result in comparison.gates:
        message = result.render(_safe, _rich_value)  # gate text, path, key and values are repository text
        console.print(("[red]FAIL[/red] " if result.breached else "[green]ok[/green]   ") + message)


def trend_table(name: str, rows: list[dict]) -> None:
    """Print each version's metrics as one table row."""
    keys = sorted({f"{p}:{k}" for r in rows for p, flat in r["metrics"].items() for k in flat})
    column = {k: k.split(":", 1)[1] if len({x.split(":", 1)[1] for x in keys}) == len(keys) else k for k in keys}
    table_rows = []
    for r in rows:
        values = {f"{p}:{k}": v for p, flat in r["metrics"].items() for k, v in flat.items()}
        table_rows.append([r["version"], ", ".join(r["stages"]), short(r["commit"]), *(values.get(k) for k in keys)])
    _console().print(
        _table(f"{name}: metrics by version", ["version", "stages", "commit", *(column[k] for k in keys)], table_rows)
    )


def short_hash(md5: str | None) -> str:
    """An abbreviated content hash for people (`-` for none; a directory keeps its `.dir`)."""
    return "-" if not md5 else (short(md5) + (".dir" if md5.endswith(".dir") else ""))


def input_note(entry: dict) -> str:
    """How a leaf input is known: a registered version, an import source, `dvc add` data, or code."""
    if entry.get("versions"):
        return "= " + ", ".join(entry["versions"])
    if entry["kind"] == "import":
        src = entry["source"]
        return f"imported from {src['url']} @ {src.get('rev_lock') or src.get('rev')}" + (
            " (frozen)" if entry.get("frozen") else ""
        )
    if entry["kind"] == "code":
        return f"code, last changed in {short(entry['last_commit'])}"
    return entry["kind"]


def lineage_text(info: Lineage) -> None:
    """Print a lineage for people: the version, then each upstream stage with its params, inputs and outputs."""
    console = _console()
    inputs = {i["path"]: i for i in info.inputs}
    title = f"{info.name}@{info.version}" if info.version else at(info.name, info.commit)
    console.print(f"[bold]{_safe(title)}[/bold]  {_safe(info.path)}  md5 {short_hash(info.md5)}")
    console.print(f"commit {_safe(info.commit)}  by {_safe(str(info.author))}  {_safe(info.created_at)}")
    for stage in info.stages:
        console.print(f"\n[bold]stage {_safe(stage['stage'])}[/bold]: {_safe(str(stage['cmd']))}")
        for file, values in stage["params"].items():
            pairs = ", ".join(f"{k}={v}" for k, v in values.items())
            console.print(f"  params {_safe(file)}: {_safe(pairs)}")
        for dep in stage["deps"]:
            if dep.get("versions"):
                note = "= " + ", ".join(dep["versions"])
            else:
                note = input_note(inputs[dep["path"]]) if dep["path"] in inputs else "from an upstream stage"
            console.print(f"  <- {_safe(dep['path'])}  {short_hash(dep['md5'])}  {_safe(note)}")
        for out in stage["outs"]:
            console.print(f"  -> {_safe(out['path'])}  {short_hash(out['md5'])}")
    if not info.stages:
        for entry in info.inputs:
            console.print(f"  {_safe(entry['path'])}  {short_hash(entry['md5'])}  {_safe(input_note(entry))}")


def lineage_changes(result: LineageChanges) -> None:
    """Print what changed upstream between two versions, one line per change."""
    changes = result.changes
    _say(f"Upstream of {result.ref} ({short(result.commit)}) vs {result.vs} ({short(result.vs_commit)}):")
    if not changes:
        _say("  nothing changed upstream")
    for line in change_lines(changes):
        _say("  " + line)


def change_lines(changes: list[dict]) -> list[str]:
    """One line for people per upstream change (command, param, dependency, output)."""
    lines = []
    for c in changes:
        if c["kind"] == "stage":
            lines.append(f"{c['stage']}: stage {'added' if c['new'] else 'removed'}")
        elif c["kind"] == "cmd":
            lines.append(f"{c['stage']}: command {c['old']!r} -> {c['new']!r}")
        elif c["kind"] == "param":
            lines.append(f"{c['stage']}: param {c['path']} {c['old']} -> {c['new']}")
        else:
            names = ""
            if c.get("old_versions") or c.get("new_versions"):
                names = f" ({', '.join(c.get('old_versions') or ['-'])} -> {', '.join(c.get('new_versions') or ['-'])})"
            lines.append(
                f"{c['stage']}: {c['kind']} {c['path']} {short_hash(c['old'])} -> {short_hash(c['new'])}{names}"
            )
    return lines


def warnings(messages: list[str]) -> None:
    """Print each warning (a commit skipped as unreadable) as one `trail: warning:` line on stderr."""
    for message in messages:
        sys.stderr.write(f"trail: warning: skipped {for_line(message)}\n")


def unreadable(messages: list[str]) -> None:
    """Name each declared metrics file that could not be read, with the fix, as `trail: warning:` lines."""
    for message in dict.fromkeys(messages):
        sys.stderr.write(f"trail: warning: {for_line(message)}\n")


def simple_table(columns: list[str], rows: list[list[Any]]) -> None:
    """Print rows under the given column names."""
    _console().print(_table(None, columns, rows))


# --- sharing: publish, verify, doctor ------------------------------------------------------------


def publish_report(result: PublishResult) -> None:
    """Print what publish did: the tag created, objects uploaded, refs pushed."""
    if result.tag:
        _say(f"Created tag {result.tag!r}")
    sent = f"uploaded {result.uploaded}, " if result.uploaded else ""
    _say(f"Data of {result.ref}: {sent}all {result.objects} object(s) on DVC remote {result.remote}")
    for note in result.notes:
        _say(f"Note: {note}")
    pushed = ", ".join(result.pushed) or "nothing new"
    _say(f"Pushed to {result.git_remote} (atomic, commit {short(result.commit)}): {pushed}")
    if result.up_to_date:
        _say(f"Already there: {', '.join(result.up_to_date)}")


def verify_report(result: VerifyResult) -> None:
    """Print verify's findings: one line per version, then each missing or corrupt file."""
    kind = "present and intact" if result.deep else "present"
    _say(f"DVC remote {result.remote}:")
    for v in result.versions:
        if v.ok:
            _say(f"  ok       {v.ref}  {v.path}: {v.objects} object(s) {kind}")
            continue
        if v.error:
            _say(f"  ERROR    {v.ref}: {v.error}")
        for label, items in (("MISSING", v.missing), ("CORRUPT", v.corrupt)):
            for item in items:
                _say(f"  {label:<8} {v.ref}  {item.path}  ({item.oid})")
    bad = sum(not v.ok for v in result.versions)
    _say(f"{len(result.versions) - bad} ok, {bad} with problems" if bad else "All good.")


def doctor_report(checks: list[dict]) -> None:
    """Print each doctor check, with its fix when it failed."""
    for c in checks:
        _say(f"{'ok  ' if c['ok'] else 'FAIL'}  {c['check']:<14} {c['detail']}")
        if not c["ok"] and c["fix"]:
            _say(f"      {'':<14} fix: {c['fix']}")
