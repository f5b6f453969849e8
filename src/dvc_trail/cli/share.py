"""Sharing commands: publish, get, verify, doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dvc_trail import render
from dvc_trail.cli.app import GitRemoteOpt, JsonOpt, RefArg, RemoteOpt, command, project, settings


@command()
def publish(ctx: typer.Context, ref: RefArg, remote: RemoteOpt = None, git_remote: GitRemoteOpt = "origin") -> None:
    """Upload a version's data to the DVC remote, check it is all there, then push its tags (atomically)."""
    from dvc_trail import sharing

    render.publish_report(sharing.publish(project(ctx), ref, remote, git_remote))


@command()
def get(
    ctx: typer.Context,
    ref: RefArg,
    repo: Annotated[str | None, typer.Option("--repo", help="Repository path or git URL (default: this one).")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Where to write it (default: its name).")] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace an existing file or folder.")] = False,
    remote: RemoteOpt = None,
) -> None:
    """Download a version's data from its repository's DVC remote, every hash checked."""
    from dvc_trail import sharing

    where = repo if repo is not None else str(settings(ctx).repo)
    result = sharing.get(ref, where, out, force=force, remote=remote)
    r = result.resolved
    print(f"Downloaded {r.name}@{r.version} ({r.path}, {result.files} file(s), md5 {r.md5}) to {result.out}")


@command()
def verify(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="NAME, NAME@vX.Y.Z or NAME#STAGE.", show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Every active version of every artifact.")] = False,
    deep: Annotated[bool, typer.Option("--deep", help="Download every object and re-hash it.")] = False,
    remote: RemoteOpt = None,
    json: JsonOpt = False,
) -> None:
    """Check a version's objects are on the DVC remote (exit 1 and a list of what is missing or corrupt)."""
    from dvc_trail import sharing

    result = sharing.verify(project(ctx), ref, all_versions=all_, deep=deep, remote=remote)
    render.print_json(result) if json else render.verify_report(result)
    if not result["ok"]:
        raise typer.Exit(1)


@command()
def doctor(
    ctx: typer.Context, remote: RemoteOpt = None, git_remote: GitRemoteOpt = "origin", json: JsonOpt = False
) -> None:
    """Check git, DVC, the remotes, credentials and registry tags; say how to fix each problem."""
    from dvc_trail import sharing

    checks = [c.to_dict() for c in sharing.doctor(settings(ctx).repo, remote, git_remote)]
    render.print_json(checks) if json else render.doctor_report(checks)
    if not all(c["ok"] for c in checks):
        raise typer.Exit(1)
