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
from dvc_trail.errors import TrailError, UsageError, mask_secrets
from dvc_trail.escapes import for_terminal

app = typer.Typer(
    name="trail",
    help="A Git-native registry for DVC data and models. Versions and stages are GTO-format git tags.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_settings: dict[str, Any] = {"repo": Path("."), "verbose": False, "quiet": False}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
MessageOpt = Annotated[str | None, typer.Option("-m", "--message", help="Tag message (default: GTO's).")]
RefArg = Annotated[str, typer.Argument(help="NAME (latest version), NAME@vX.Y.Z or NAME#STAGE.", show_default=False)]
VersionRefArg = Annotated[str, typer.Argument(help="The version, as NAME@vX.Y.Z.", show_default=False)]
StageArg = Annotated[str, typer.Argument(help="Stage name, like dev, staging or prod.", show_default=False)]
PushOpt = Annotated[bool, typer.Option("--push", help="Then publish: upload the data, push the tags (see publish).")]
RemoteOpt = Annotated[str | None, typer.Option("--remote", "-r", help="DVC remote (default: the core.remote one).")]
GitRemoteOpt = Annotated[str, typer.Option("--git-remote", help="Git remote to push the tags to.")]
FetchOpt = Annotated[
    bool,
    typer.Option("--fetch", help="Download DVC-cached metrics files missing locally from the default DVC remote."),
]


def _warn_unreadable(messages: list[str]) -> None:
    """Name each declared metrics file that could not be read, with the fix (never a silent empty answer)."""
    for message in dict.fromkeys(messages):
        sys.stderr.write(f"trail: warning: {mask_secrets(message)}\n")


def _fail(message: str, code: int) -> None:
    line = " ".join(for_terminal(mask_secrets(message)).split("\n"))
    sys.stderr.write(f"trail: error: {line}\n")
    raise typer.Exit(code)


def _traceback() -> None:
    """The current exception's traceback on stderr, secrets masked (chained errors may quote URLs)."""
    sys.stderr.write(for_terminal(mask_secrets(traceback.format_exc())))


def handled(fn: Callable) -> Callable:
    """Turn a TrailError into one line on stderr and its exit code; a bug exits 3 with a hint."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TrailError as err:
            if _settings["verbose"]:
                _traceback()
            _fail(str(err), err.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as err:  # noqa: BLE001 - the edge: anything else is a bug in trail
            if _settings["verbose"]:
                _traceback()
            _fail(f"internal error: {type(err).__name__}: {err} (rerun with --verbose for the traceback)", 3)

    return wrapper


def _project(details: bool = True):
    from dvc_trail.project import Project

    return Project.open(_settings["repo"], details)


def _done(tag: str, what: str) -> None:
    print(f"Created tag {tag!r}: {what}")
    print(f"Share it with: git push origin {tag!r}")


@app.callback()
def main_options(
    repo: Annotated[Path, typer.Option("-C", "--repo", help="Run as if started in this directory.")] = Path("."),
    verbose: Annotated[bool, typer.Option("--verbose", help="Show tracebacks on errors.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bars on stderr.")] = False,
) -> None:
    _settings.update(repo=repo, verbose=verbose, quiet=quiet)


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
    push: PushOpt = False,
    remote: RemoteOpt = None,
    git_remote: GitRemoteOpt = "origin",
) -> None:
    """Register a new version of an artifact at a commit (default: next patch version, or v0.0.1)."""
    bumps = [part for part, on in (("major", bump_major), ("minor", bump_minor), ("patch", bump_patch)) if on]
    if len(bumps) > 1:
        raise UsageError("give at most one --bump option")
    options = dict(version=version, bump=bumps[0] if bumps else None, rev=rev, message=message)
    if push:
        render.publish_report(_publish(_project(), None, remote, git_remote, lambda p: p.register(name, **options)))
        return
    tag = _project().register(name, **options)
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
    fetch: FetchOpt = False,
    push: PushOpt = False,
    remote: RemoteOpt = None,
    git_remote: GitRemoteOpt = "origin",
) -> None:
    """Assign a stage to a registered version (the stage moves from the version holding it)."""
    project = _project()
    if require_better:
        from dvc_trail.compare import require_better as check

        print(f"Promotion gate: {check(project, ref, stage, require_better, fetch=fetch)}")
    if push:
        assign_tag = lambda p: p.assign(ref, stage, message=message)  # noqa: E731 - written after the remote check
        render.publish_report(_publish(project, ref, remote, git_remote, assign_tag))
        return
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
    name: Annotated[
        str | None, typer.Argument(help="List every version of this artifact (as `gto show NAME`).")
    ] = None,
    json: JsonOpt = False,
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Include deprecated artifacts (with NAME: deregistered versions).")
    ] = False,
) -> None:
    """List artifacts with their latest version and stage holders, or every version of NAME.

    `--json` equals `gto show --json`, and `gto show NAME --json` with NAME.
    """
    if name is not None:
        versions = _project().versions(name, include_inactive=all_)
        if json:
            render.print_json(versions)
        else:
            rows = [
                [v["artifact"], v["version"], ", ".join(s["stage"] for s in v["stages"]), v["created_at"], v["ref"]]
                for v in versions
            ]
            render.simple_table(["artifact", "version", "stage", "created_at", "ref"], rows)
        return
    registry = _project(details=False).ls(include_deprecated=all_)
    render.print_json(registry) if json else render.registry_table(registry)


@app.command()
@handled
def show(ref: RefArg, json: JsonOpt = False, fetch: FetchOpt = False) -> None:
    """Show a version: commit, author, stages, path, hash, metadata, metrics and params."""
    info = _project().show(ref, fetch=fetch)
    _warn_unreadable([u["message"] for u in info["unreadable"]])
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
    fetch: FetchOpt = False,
) -> None:
    """Compare metrics and params of A (default HEAD) and B (default the workspace); exit 1 if a gate fails.

    `--json` prints {"metrics": ..., "params": ...} in the shape of `dvc metrics diff --json` and
    `dvc params diff --json`.
    """
    from dvc_trail.compare import compare

    result = compare(_project(), a, b, all_values=all_, gates=fail_on, fetch=fetch)
    _warn_unreadable([u.message for u in result.unreadable])
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
    fetch: FetchOpt = False,
) -> None:
    """Markdown report for a pull request: metrics, params, changed artifacts, upstream changes, gates."""
    from dvc_trail import provenance
    from dvc_trail.compare import compare
    from dvc_trail.markdown import report as markdown_report

    project = _project()
    result = compare(project, base, head, gates=fail_on, fetch=fetch)
    _warn_unreadable([u.message for u in result.unreadable])
    upstream = provenance.upstream_summary(
        project, result.changed_artifacts(), result.old.revision.commit, result.new.revision.commit
    )
    text = markdown_report(result, upstream)
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
    fetch: FetchOpt = False,
) -> None:
    """Metrics of every registered version of NAME at its commit: the model's life at a glance."""
    from dvc_trail.compare import trend

    found = trend(_project(), name, fetch=fetch)
    _warn_unreadable([u.message for u in found.unreadable])
    rows = found.rows
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
def lineage(
    ref: Annotated[
        str, typer.Argument(help="NAME, NAME@vX.Y.Z, NAME#STAGE, or NAME@REV for an unregistered git revision.")
    ],
    json: JsonOpt = False,
    mermaid: Annotated[bool, typer.Option("--mermaid", help="Print a Mermaid graph (renders on GitHub).")] = False,
    dot: Annotated[bool, typer.Option("--dot", help="Print a Graphviz DOT graph.")] = False,
    vs: Annotated[str | None, typer.Option("--vs", help="Show what changed upstream since this other version.")] = None,
) -> None:
    """What produced a version: every upstream stage with its command, params, inputs and outputs."""
    from dvc_trail import provenance

    project = _project()
    if vs:
        changes = provenance.compare_lineage(project, ref, vs)
        render.print_json(changes) if json else render.lineage_changes(changes)
        return
    info = provenance.lineage_of(project, ref)
    info.pop("_chain")
    if mermaid or dot:
        from dvc_trail import graphs

        print(graphs.mermaid(info) if mermaid else graphs.dot(info), end="")
    elif json:
        render.print_json(info)
    else:
        render.lineage_text(info)


@app.command()
@handled
def impact(
    path: Annotated[str, typer.Argument(help="A data or code path, as dvc.lock records it.")],
    md5: Annotated[str | None, typer.Option("--md5", help="The content hash to look for.")] = None,
    rev: Annotated[str | None, typer.Option("--rev", help="Take PATH's hash at this revision (default HEAD).")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Only versions holding this stage now.")] = None,
    json: JsonOpt = False,
) -> None:
    """Which registered versions (and which in prod) were built from PATH at a given hash."""
    from dvc_trail import provenance

    matches, warnings, wanted = provenance.impact(_project(details=False), path, md5=md5, rev=rev, stage=stage)
    provenance.warn(warnings)
    if json:
        render.print_json(matches)
    elif not matches:
        print(f"No registered version used {path} at {wanted[:12]}.")
    else:
        print(f"{len(matches)} registered version(s) used {path} at {wanted[:12]}:")
        rows = [[m["name"], m["version"], m["commit"][:7], ", ".join(m["stages"])] for m in matches]
        render.simple_table(["name", "version", "commit", "stages"], rows)


@app.command()
@handled
def card(
    ref: RefArg,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the card to this file.")] = None,
    fetch: FetchOpt = False,
) -> None:
    """A Markdown model card: metadata, metrics, params, lineage and stages of a version."""
    from dvc_trail import provenance
    from dvc_trail.markdown import card as model_card

    project = _project()
    info = project.show(ref, fetch=fetch)
    _warn_unreadable([u["message"] for u in info["unreadable"]])
    text = model_card(info, provenance.lineage_of(project, ref))
    if output:
        output.write_text(text)
        print(f"Wrote {output}")
    else:
        print(text, end="")


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


@app.command()
@handled
def site(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the site into.")] = Path("site"),
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Public URL of the site (for `--registry` hints).")
    ] = None,
    repo_url: Annotated[
        str | None, typer.Option("--repo-url", help="Web page of the repository for commit links (default: origin).")
    ] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then serve it on 127.0.0.1 until interrupted.")] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve (0: any free port).")] = 8000,
) -> None:
    """Write the registry as a static web site with a JSON API under api/v1/ (only changed files are rewritten)."""
    from dvc_trail.site.build import SiteOptions, build_site

    report = build_site(_project(), output, SiteOptions(base_url=base_url, repo_url=repo_url))
    for warning in report.warnings:
        sys.stderr.write(f"trail: warning: {mask_secrets(warning)}\n")
    counts = f"{len(report.written)} written, {len(report.removed)} removed, {report.unchanged} unchanged"
    print(f"Site in {output}: {counts}")
    print(f"Open {(output / 'index.html').resolve()}")
    if serve:
        from dvc_trail.site.serve import serve as serve_folder

        serve_folder(output, port)


# --- sharing: publish, get, verify, doctor ---------------------------------------------------


def _progress(what: str) -> Any:
    """A progress display on stderr for a long transfer (None in pipes, CI logs and with -q)."""
    from dvc_trail import progress

    return progress.transfer_progress(what, progress.enabled(_settings["quiet"]))


def _publish(project: Any, ref: str | None, remote: str | None, git_remote: str, create: Any = None) -> Any:
    from dvc_trail import publishing

    with _progress("upload") as bar:
        return publishing.publish(project, ref, remote, git_remote, create=create, progress=bar)


@app.command()
@handled
def publish(ref: RefArg, remote: RemoteOpt = None, git_remote: GitRemoteOpt = "origin") -> None:
    """Upload a version's data to the DVC remote, check it is all there, then push its tags (atomically)."""
    render.publish_report(_publish(_project(), ref, remote, git_remote))


@app.command()
@handled
def get(
    ref: RefArg,
    repo: Annotated[str | None, typer.Option("--repo", help="Repository path or git URL (default: this one).")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Where to write it (default: its name).")] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace an existing file or folder.")] = False,
    remote: RemoteOpt = None,
    registry: Annotated[
        str | None, typer.Option("--registry", help="A published registry site (`trail site`): URL or folder.")
    ] = None,
) -> None:
    """Download a version's data from its repository's DVC remote, every hash checked."""
    from dvc_trail import fetching

    if registry is not None and (repo is not None or remote is not None):
        raise UsageError("--registry reads the remote the site records: give no --repo or --remote with it")
    source = repo if repo is not None else str(_settings["repo"])
    with _progress("download") as bar:
        if registry is not None:
            from dvc_trail.site import client

            result = client.get(ref, registry, out, force=force, progress=bar)
        else:
            result = fetching.get(ref, source, out, force=force, remote=remote, progress=bar)
    r = result.resolved
    print(f"Downloaded {r.name}@{r.version} ({r.path}, {result.files} file(s), md5 {r.md5}) to {result.out}")


@app.command()
@handled
def verify(
    ref: Annotated[str | None, typer.Argument(help="NAME, NAME@vX.Y.Z or NAME#STAGE.", show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Every active version of every artifact.")] = False,
    deep: Annotated[bool, typer.Option("--deep", help="Download every object and re-hash it.")] = False,
    remote: RemoteOpt = None,
    json: JsonOpt = False,
) -> None:
    """Check a version's objects are on the DVC remote (exit 1 and a list of what is missing or corrupt)."""
    from dvc_trail import verifying

    with _progress("verify") as bar:
        result = verifying.verify(_project(), ref, all_versions=all_, deep=deep, remote=remote, progress=bar)
    render.print_json(result.to_dict()) if json else render.verify_report(result)
    if not result.ok:
        raise typer.Exit(1)


@app.command()
@handled
def doctor(remote: RemoteOpt = None, git_remote: GitRemoteOpt = "origin", json: JsonOpt = False) -> None:
    """Check git, DVC, the remotes, credentials and registry tags; say how to fix each problem."""
    from dvc_trail.doctor import doctor as check_setup

    checks = [c.to_dict() for c in check_setup(_settings["repo"], remote, git_remote)]
    render.print_json(checks) if json else render.doctor_report(checks)
    if not all(c["ok"] for c in checks):
        raise typer.Exit(1)


def main() -> None:
    app(prog_name="trail")
