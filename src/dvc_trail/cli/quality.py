"""Quality commands: metric and param diffs with gates, the pull-request report, metric trends."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dvc_trail.cli.app import FetchOpt, JsonOpt, command, project
from dvc_trail.errors import TrailError
from dvc_trail.render import terminal
from dvc_trail.store.worktree import write_output

if TYPE_CHECKING:
    from dvc_trail.metrics.compare import Comparison

RevArg = Annotated[
    str | None,
    typer.Argument(help="Git revision, NAME@vX.Y.Z, NAME#STAGE or `workspace`.", show_default=False),
]


@command("diff")
def diff(
    ctx: typer.Context,
    a: RevArg = None,
    b: RevArg = None,
    json: JsonOpt = False,
    md: Annotated[bool, typer.Option("--md", help="Print Markdown (for a pull request comment).")] = False,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Show unchanged values too.")] = False,
    fail_on: Annotated[
        list[str] | None,
        typer.Option("--fail-on", help="Gate like acc<-0.01 or loss>+5% (default: gates in trail.yaml)."),
    ] = None,
    fetch: FetchOpt = False,
) -> None:
    """Compare metrics and params of A (default HEAD) and B (default the workspace); exit 1 if a gate fails.

    `--json` prints {"metrics": ..., "params": ...} in the shape of `dvc metrics diff --json` and
    `dvc params diff --json`.
    """
    from dvc_trail.metrics.compare import compare

    result = compare(project(ctx), a, b, all_values=all_, gates=fail_on, fetch=fetch)
    terminal.unreadable([u.message for u in result.unreadable])
    if json:
        terminal.print_json(result.to_json())
    elif md:
        from dvc_trail.render.markdown import diff_markdown

        print(diff_markdown(result), end="")
    else:
        terminal.diff_tables(result)
    _fail_gates(result)


def _fail_gates(result: Comparison) -> None:
    failed = result.failed_gates
    if failed:
        raise TrailError("gate failed: " + "; ".join(r.message for r in failed))


@command("report")
def report(
    ctx: typer.Context,
    base: Annotated[str, typer.Option("--base", help="Base revision (the PR's target).")] = "HEAD",
    head: Annotated[str, typer.Option("--head", help="Head revision (default: the workspace).")] = "workspace",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the Markdown here.")] = None,
    fail_on: Annotated[
        list[str] | None, typer.Option("--fail-on", help="Gate rules (default: gates in trail.yaml).")
    ] = None,
    fetch: FetchOpt = False,
) -> None:
    """Markdown report for a pull request: metrics, params, changed artifacts, upstream changes, gates."""
    from dvc_trail.metrics.compare import pull_request
    from dvc_trail.render import markdown

    result = pull_request(project(ctx), base, head, gates=fail_on, fetch=fetch)
    terminal.unreadable([u.message for u in result.comparison.unreadable])
    text = markdown.report(result.comparison, result.upstream)
    if output:
        write_output(output, text)
        print(f"Wrote {output}")
    else:
        print(text, end="")
    _fail_gates(result.comparison)


@command("metrics")
def metrics(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Artifact name.")],
    json: JsonOpt = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a chart: FILE.svg (+ .html) or FILE.html.")] = None,
    metric: Annotated[str | None, typer.Option("--metric", help="Metric to plot (default: the first).")] = None,
    fetch: FetchOpt = False,
) -> None:
    """Metrics of every registered version of NAME at its commit: the model's life at a glance."""
    from dvc_trail.metrics.compare import trend

    found = trend(project(ctx), name, fetch=fetch)
    terminal.unreadable([u.message for u in found.unreadable])
    rows = found.rows
    if plot:
        from dvc_trail.render.plot import write_plot

        for path in write_plot(name, rows, metric, plot):
            print(f"Wrote {path}")
    elif json:
        terminal.print_json(rows)
    else:
        terminal.trend_table(name, rows)
