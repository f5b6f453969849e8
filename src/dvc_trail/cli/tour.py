"""`trail demo`: the guided tour, run command by command through this same app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dvc_trail.cli.app import app, command, settings


def run_in_process(args: list[str]) -> int:
    """Run one `trail` command line in this process; returns its exit code."""
    try:
        code = app(args, standalone_mode=False, prog_name="trail")
    except SystemExit as done:  # the error edge exits with the command's code
        return done.code if isinstance(done.code, int) else 1
    return code if isinstance(code, int) else 0


@command("demo")
def demo(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None, typer.Argument(help="Where to build the tour (default: a new temp folder).")
    ] = None,
) -> None:
    """A guided tour in a throwaway copy of the example project; never touches this clone's tags."""
    from dvc_trail.demo import run_demo

    run_demo(Path(settings(ctx).repo), workspace, run_in_process)
