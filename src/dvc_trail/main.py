"""Entry point. `trail ls` (the hot path of scripts and CI) is served without importing Typer; all else goes to it."""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dvc_trail.git.repository import StartedTags


def _local_args(args: list[str]) -> tuple[str, list[str]] | None:
    """The one local folder named by `-C`/`-r`/`--repo` (anywhere; default `.`) and the other arguments.

    None for a URL, a missing folder, a bare repository or several repository options: Typer's path says what
    to do with them.
    """
    from dvc_trail import argv

    line = argv.read(args)
    if len(line.repos) > 1 or not os.path.isdir(line.repo) or os.path.isfile(os.path.join(line.repo, "HEAD")):
        return None
    return line.repo, line.rest


_READ_ALL_TAGS_FIRST = {"show": True, "history": True, "lineage": True, "card": True, "impact": False, "site": True}


def _start_tags(args: list[str]) -> StartedTags | None:
    """For a command that first reads every tag, start git's for-each-ref now: it runs while Typer imports."""
    from dvc_trail import argv

    line = argv.read(args)
    if line.word not in _READ_ALL_TAGS_FIRST or argv.HELP & set(args) or _local_args(args) is None:
        return None  # a URL, a missing folder, a bare repository: nothing to read ahead
    from pathlib import Path

    from dvc_trail.git.repository import start_tags

    return start_tags(Path(line.repo), _READ_ALL_TAGS_FIRST[line.word])


def _fast_metrics(args: list[str]) -> tuple[str, str] | None:
    """Recognise exactly `metrics NAME --json` and a local `-C`/`-r DIR` (scripts charting a model's life)."""
    if (local := _local_args(args)) is None:
        return None
    repo, args = local
    if len(args) == 3 and args[0] == "metrics" and args[2] == "--json" and not args[1].startswith("-"):
        return repo, args[1]
    return None


def _fast_ls(args: list[str]) -> tuple[str, bool, bool] | None:
    """Recognise exactly `ls [--json] [--all|-a]` and a local `-C`/`-r DIR`; all else (help, typos) is Typer's."""
    if (local := _local_args(args)) is None:
        return None
    repo, args = local
    if args[:1] != ["ls"] or len(set(args[1:])) != len(args[1:]):
        return None
    flags = set(args[1:])
    if not flags <= {"--json", "--all", "-a"} or {"--all", "-a"} <= flags:
        return None
    return repo, "--json" in flags, bool(flags & {"--all", "-a"})


def main() -> None:
    # A short-lived process that builds many small objects (one per tag): collect garbage 70x less often.
    """Run `trail`: the fast `ls` path without Typer, everything else through the cli package."""
    gc.set_threshold(50_000, 20, 20)
    fast = _fast_ls(sys.argv[1:])
    if fast is None and (metrics := _fast_metrics(sys.argv[1:])) is not None:
        _metrics_json(*metrics)
        return
    if fast is None:
        started = _start_tags(sys.argv[1:])
        from dvc_trail import cli

        cli.main(started)
        return
    from dvc_trail.edge import ErrorEdge
    from dvc_trail.git.repository import Git
    from dvc_trail.project import Project
    from dvc_trail.render import plain

    repo, as_json, include_deprecated = fast
    with ErrorEdge(hint="rerun as `trail --verbose ls` for the traceback"):
        registry = Project(Git.at(repo), details=False).ls(include_deprecated=include_deprecated)
        plain.print_json(registry) if as_json else plain.registry_table(registry)
        sys.stdout.flush()


def _metrics_json(repo: str, name: str) -> None:
    """`trail metrics NAME --json` without Typer or rich: the trend, unreadable files named on stderr."""
    from dvc_trail.edge import ErrorEdge
    from dvc_trail.git.repository import Git
    from dvc_trail.metrics.compare import trend
    from dvc_trail.project import Project
    from dvc_trail.render import plain
    from dvc_trail.render.escapes import for_terminal

    with ErrorEdge(hint="rerun as `trail --verbose metrics NAME --json` for the traceback"):
        found = trend(Project(Git.at(repo)), name)
        for message in dict.fromkeys(u.message for u in found.unreadable):
            sys.stderr.write(f"trail: warning: {for_terminal(message)}\n")
        plain.print_json(found.rows)
        sys.stdout.flush()
