"""Registry commands: register, assign, unassign, deregister, deprecate, ls, show, history, check-ref."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from dvc_trail.cli.app import (
    FetchOpt,
    GitRemoteOpt,
    JsonOpt,
    MessageOpt,
    PushOpt,
    RefArg,
    RemoteOpt,
    StageArg,
    VersionRefArg,
    command,
    created,
    project,
)
from dvc_trail.errors import TrailError, UsageError
from dvc_trail.registry import gto_json
from dvc_trail.render import terminal
from dvc_trail.render.escapes import for_line

if TYPE_CHECKING:
    from dvc_trail.project import Project


@command("register")
def register(
    ctx: typer.Context,
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
    bump = bumps[0] if bumps else None
    if push:
        from dvc_trail.cli.share import publish_version

        def register_tag(registry: Project) -> str:
            return registry.register(name, version=version, bump=bump, rev=rev, message=message)

        terminal.publish_report(publish_version(ctx, project(ctx), None, remote, git_remote, register_tag))
        return
    tag = project(ctx).register(name, version=version, bump=bump, rev=rev, message=message)
    created(tag, f"registered {tag.replace('=', ':')}")


@command("assign")
def assign(
    ctx: typer.Context,
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
    registry = project(ctx)
    if require_better:
        from dvc_trail.metrics import compare

        print(for_line(f"Promotion gate: {compare.require_better(registry, ref, stage, require_better, fetch=fetch)}"))
    if push:
        from dvc_trail.cli.share import publish_version

        def assign_tag(registry: Project) -> str:  # written after the remote check
            return registry.assign(ref, stage, message=message)

        terminal.publish_report(publish_version(ctx, registry, ref, remote, git_remote, assign_tag))
        return
    tag = registry.assign(ref, stage, message=message)
    created(tag, f"{ref} is now in stage {stage!r}")


@command("unassign")
def unassign(ctx: typer.Context, ref: VersionRefArg, stage: StageArg, message: MessageOpt = None) -> None:
    """Take a stage away from a version."""
    tag = project(ctx).unassign(ref, stage, message=message)
    created(tag, f"{ref} is no longer in stage {stage!r}")


@command("deregister")
def deregister(ctx: typer.Context, ref: VersionRefArg, message: MessageOpt = None) -> None:
    """Withdraw a version: it stays in history but no longer counts as latest or in any stage."""
    tag = project(ctx).deregister(ref, message=message)
    created(tag, f"deregistered {ref}")


@command("deprecate")
def deprecate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Artifact name.")],
    message: MessageOpt = None,
) -> None:
    """Deprecate an artifact: `trail ls` hides it until a new version is registered."""
    tag = project(ctx).deprecate(name, message=message)
    created(tag, f"deprecated {name}")


@command("ls")
def ls(
    ctx: typer.Context,
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
        versions = project(ctx).versions(name, include_inactive=all_)
        if json:
            terminal.print_json(versions)
        else:
            columns = ["artifact", "version", "stage", "created_at", "ref"]
            rows = [
                [v[c] if c != "stage" else ", ".join(s["stage"] for s in v["stages"]) for c in columns]
                for v in versions
            ]
            terminal.simple_table(columns, rows)
        return
    registry = project(ctx, details=False).ls(include_deprecated=all_)
    terminal.print_json(registry) if json else terminal.registry_table(registry)


@command("show")
def show(ctx: typer.Context, ref: RefArg, json: JsonOpt = False, fetch: FetchOpt = False) -> None:
    """Show a version: commit, author, stages, path, hash, metadata, metrics and params."""
    info, unread = project(ctx).version_info(ref, fetch=fetch)
    terminal.unreadable([u.message for u in unread])
    terminal.print_json(info) if json else terminal.version_details(info)


@command("history")
def history(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Artifact name (default: all).")] = None,
    json: JsonOpt = False,
    ascending: Annotated[bool, typer.Option("--ascending", help="Oldest first.")] = False,
) -> None:
    """Show the journal of registrations, stage assignments and deprecations, newest first."""
    events = project(ctx).history(name, ascending=ascending)
    terminal.print_json(events) if json else terminal.history_table(events)


@command("check-ref")
def check_ref(
    ctx: typer.Context,
    tag: Annotated[str, typer.Argument(help="Tag name or refs/tags/... (as CI receives it).")],
    json: JsonOpt = False,
) -> None:
    """Say what a pushed tag means for the registry (for CI/CD); exit 1 for a tag outside it."""
    event = project(ctx).check_ref(tag)
    if event is None:
        raise TrailError(f"{tag} is not a registry tag in this repository")
    if json:
        terminal.print_json(gto_json.check_ref_event(event))
    else:
        kind = gto_json.EVENT_NAME[event.action]
        print(for_line(f"{kind}: {event.artifact} {event.version or ''} {event.stage or ''}".strip()))
