"""The `trail` command line: parse arguments, call the core, render. Nothing here runs git or DVC."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from dvc_trail import render
from dvc_trail.errors import TrailError, UsageError

app = typer.Typer(
    name="trail",
    help="A Git-native registry for DVC data and models. Versions and stages are GTO-format git tags.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_settings: dict[str, Any] = {"repo": Path("."), "verbose": False}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
MessageOpt = Annotated[str | None, typer.Option("-m", "--message", help="Tag message (default: GTO's).")]
RefArg = Annotated[str, typer.Argument(help="NAME (latest version), NAME@vX.Y.Z or NAME#STAGE.", show_default=False)]
VersionRefArg = Annotated[str, typer.Argument(help="The version, as NAME@vX.Y.Z.", show_default=False)]
StageArg = Annotated[str, typer.Argument(help="Stage name, like dev, staging or prod.", show_default=False)]


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"trail: error: {message}\n")
    raise typer.Exit(code)


def handled(fn: Callable) -> Callable:
    """Turn a TrailError into one line on stderr and its exit code; a bug exits 3 with a hint."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TrailError as err:
            if _settings["verbose"]:
                traceback.print_exc()
            _fail(str(err), err.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as err:  # noqa: BLE001 - the edge: anything else is a bug in trail
            if _settings["verbose"]:
                traceback.print_exc()
            _fail(f"internal error: {type(err).__name__}: {err} (rerun with --verbose for the traceback)", 3)

    return wrapper


def _project():
    from dvc_trail.project import Project

    return Project.open(_settings["repo"])


def _done(tag: str, what: str) -> None:
    print(f"Created tag {tag!r}: {what}")
    print(f"Share it with: git push origin {tag!r}")


@app.callback()
def main_options(
    repo: Annotated[Path, typer.Option("-C", "--repo", help="Run as if started in this directory.")] = Path("."),
    verbose: Annotated[bool, typer.Option("--verbose", help="Show tracebacks on errors.")] = False,
) -> None:
    _settings.update(repo=repo, verbose=verbose)


@app.command()
@handled
def register(
    name: Annotated[str, typer.Argument(help="Artifact name from the `artifacts:` section of dvc.yaml.")],
    version: Annotated[str | None, typer.Option("--version", help="Exact version, like v1.2.0.")] = None,
    bump_major: Annotated[bool, typer.Option("--bump-major", help="Next major version.")] = False,
    bump_minor: Annotated[bool, typer.Option("--bump-minor", help="Next minor version.")] = False,
    bump_patch: Annotated[bool, typer.Option("--bump-patch", help="Next patch version (the default).")] = False,
    rev: Annotated[str, typer.Option("--rev", help="Commit to register.")] = "HEAD",
    message: MessageOpt = None,
) -> None:
    """Register a new version of an artifact at a commit (default: next patch version, or v0.0.1)."""
    bumps = [part for part, on in (("major", bump_major), ("minor", bump_minor), ("patch", bump_patch)) if on]
    if len(bumps) > 1:
        raise UsageError("give at most one --bump option")
    tag = _project().register(name, version=version, bump=bumps[0] if bumps else None, rev=rev, message=message)
    _done(tag, f"registered {tag.replace('=', ':')}")


@app.command()
@handled
def assign(
    ref: VersionRefArg,
    stage: StageArg,
    message: MessageOpt = None,
    require_better: Annotated[
        str | None,
        typer.Option("--require-better", help="Refuse unless the version is at least as good on this metric."),
    ] = None,
) -> None:
    """Assign a stage to a registered version (the stage moves from the version holding it)."""
    project = _project()
    if require_better:
        from dvc_trail.compare import require_better as check

        print(f"Promotion gate: {check(project, ref, stage, require_better)}")
    tag = project.assign(ref, stage, message=message)
    _done(tag, f"{ref} is now in stage {stage!r}")


@app.command()
@handled
def unassign(ref: VersionRefArg, stage: StageArg, message: MessageOpt = None) -> None:
    """Take a stage away from a version."""
    tag = _project().unassign(ref, stage, message=message)
    _done(tag, f"{ref} is no longer in stage {stage!r}")


@app.command()
@handled
def deregister(ref: VersionRefArg, message: MessageOpt = None) -> None:
    """Withdraw a version: it stays in history but no longer counts as latest or in any stage."""
    tag = _project().deregister(ref, message=message)
    _done(tag, f"deregistered {ref}")


@app.command()
@handled
def deprecate(
    name: Annotated[str, typer.Argument(help="Artifact name.")],
    message: MessageOpt = None,
) -> None:
    """Deprecate an artifact: `trail ls` hides it until a new version is registered."""
    tag = _project().deprecate(name, message=message)
    _done(tag, f"deprecated {name}")


@app.command("ls")
@handled
def ls(
    json: JsonOpt = False,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Include deprecated artifacts.")] = False,
) -> None:
    """List artifacts with their latest version and who holds each stage (`--json` equals `gto show --json`)."""
    registry = _project().ls(include_deprecated=all_)
    render.print_json(registry) if json else render.registry_table(registry)


@app.command()
@handled
def show(ref: RefArg, json: JsonOpt = False) -> None:
    """Show a version: commit, author, stages, path, hash, metadata, metrics and params."""
    info = _project().show(ref)
    render.print_json(info) if json else render.version_details(info)


@app.command()
@handled
def history(
    name: Annotated[str | None, typer.Argument(help="Artifact name (default: all).")] = None,
    json: JsonOpt = False,
    ascending: Annotated[bool, typer.Option("--ascending", help="Oldest first.")] = False,
) -> None:
    """Show the journal of registrations, stage assignments and deprecations, newest first."""
    events = _project().history(name, ascending=ascending)
    render.print_json(events) if json else render.history_table(events)


@app.command("check-ref")
@handled
def check_ref(
    tag: Annotated[str, typer.Argument(help="Tag name or refs/tags/... (as CI receives it).")],
    json: JsonOpt = False,
) -> None:
    """Say what a pushed tag means for the registry (for CI/CD); exit 1 for a tag outside it."""
    event = _project().check_ref(tag)
    if event is None:
        raise TrailError(f"{tag} is not a registry tag in this repository")
    if json:
        render.print_json(event.to_dict())
    else:
        print(f"{event.to_dict()['event']}: {event.artifact} {event.version or ''} {event.stage or ''}".strip())


RevArg = Annotated[
    str | None,
    typer.Argument(help="Git revision, NAME@vX.Y.Z, NAME#STAGE or `workspace`.", show_default=False),
]


@app.command()
@handled
def diff(
    a: RevArg = None,
    b: RevArg = None,
    json: JsonOpt = False,
    md: Annotated[bool, typer.Option("--md", help="Print Markdown (for a pull request comment).")] = False,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Show unchanged values too.")] = False,
    fail_on: Annotated[
        list[str] | None,
        typer.Option("--fail-on", help="Gate like acc<-0.01 or loss>+5% (default: gates in trail.yaml)."),
    ] = None,
) -> None:
    """Compare metrics and params of A (default HEAD) and B (default the workspace); exit 1 if a gate fails.

    `--json` prints {"metrics": ..., "params": ...} in the shape of `dvc metrics diff --json` and
    `dvc params diff --json`.
    """
    from dvc_trail.compare import compare

    result = compare(_project(), a, b, all_values=all_, gates=fail_on)
    if json:
        render.print_json(result.to_json())
    elif md:
        from dvc_trail.markdown import diff_markdown

        print(diff_markdown(result), end="")
    else:
        render.diff_tables(result)
    _fail_gates(result)


def _fail_gates(result: Any) -> None:
    failed = result.failed_gates
    if failed:
        raise TrailError("gate failed: " + "; ".join(r.message for r in failed))


@app.command()
@handled
def report(
    base: Annotated[str, typer.Option("--base", help="Base revision (the PR's target).")] = "HEAD",
    head: Annotated[str, typer.Option("--head", help="Head revision (default: the workspace).")] = "workspace",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the Markdown here.")] = None,
    fail_on: Annotated[
        list[str] | None, typer.Option("--fail-on", help="Gate rules (default: gates in trail.yaml).")
    ] = None,
) -> None:
    """Markdown report for a pull request: metrics, params, changed artifacts, upstream changes, gates."""
    from dvc_trail.compare import compare
    from dvc_trail.markdown import report as markdown_report

    project = _project()
    result = compare(project, base, head, gates=fail_on)
    text = markdown_report(result)
    if output:
        output.write_text(text)
        print(f"Wrote {output}")
    else:
        print(text, end="")
    _fail_gates(result)


@app.command()
@handled
def metrics(
    name: Annotated[str, typer.Argument(help="Artifact name.")],
    json: JsonOpt = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a chart: FILE.svg (+ .html) or FILE.html.")] = None,
    metric: Annotated[str | None, typer.Option("--metric", help="Metric to plot (default: the first).")] = None,
) -> None:
    """Metrics of every registered version of NAME at its commit: the model's life at a glance."""
    from dvc_trail.compare import trend

    rows = trend(_project(), name)
    if plot:
        from dvc_trail.plot import write_plot

        for path in write_plot(name, rows, metric, plot):
            print(f"Wrote {path}")
    elif json:
        render.print_json(rows)
    else:
        render.trend_table(name, rows)


@app.command()
@handled
def demo(
    workspace: Annotated[
        Path | None, typer.Argument(help="Where to build the tour (default: a new temp folder).")
    ] = None,
) -> None:
    """A guided tour in a throwaway copy of the example project; never touches this clone's tags."""
    from dvc_trail.demo import run_demo

    run_demo(_settings["repo"], workspace)


def main() -> None:
    app(prog_name="trail")
