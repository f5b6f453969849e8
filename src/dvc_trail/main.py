"""Entry point. `trail ls` (the hot path of scripts and CI) is served without importing Typer; all else goes to it."""

from __future__ import annotations

import gc
import sys


def _fast_ls(args: list[str]) -> tuple[str, bool, bool] | None:
    """Recognise exactly `[-C DIR] ls [--json] [--all|-a]`; anything else (help, typos) is Typer's job."""
    repo = "."
    if args[:1] in (["-C"], ["--repo"]) and len(args) > 1:
        repo, args = args[1], args[2:]
    elif args and args[0].startswith("--repo="):
        repo, args = args[0].split("=", 1)[1], args[1:]
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
    if fast is None:
        from dvc_trail.cli import main as typer_main

        typer_main()
        return
    from dvc_trail import plain
    from dvc_trail.edge import ErrorEdge
    from dvc_trail.git import Git
    from dvc_trail.project import Project

    repo, as_json, include_deprecated = fast
    with ErrorEdge(hint="rerun as `trail --verbose ls` for the traceback"):
        registry = Project(Git.at(repo), details=False).ls(include_deprecated=include_deprecated)
        plain.print_json(registry) if as_json else plain.registry_table(registry)
        sys.stdout.flush()
