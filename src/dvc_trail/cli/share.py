"""Sharing commands: publish, get, verify, doctor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dvc_trail.cli.app import GitRemoteOpt, JsonOpt, RefArg, RemoteOpt, command, project, settings
from dvc_trail.errors import UsageError
from dvc_trail.render import terminal
from dvc_trail.render.escapes import for_line

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from dvc_trail.project import Project
    from dvc_trail.render.progress import TransferProgress
    from dvc_trail.sharing.publish import PublishResult


def progress_bar(ctx: typer.Context, what: str) -> AbstractContextManager[TransferProgress | None]:
    """A progress display on stderr for a long transfer (None in pipes, CI logs and with -q)."""
    from dvc_trail.render import progress

    return progress.transfer_progress(what, progress.enabled(settings(ctx).quiet))


def publish_version(
    ctx: typer.Context,
    registry: Project,
    ref: str | None,
    remote: str | None,
    git_remote: str,
    create: Callable[[Project], str] | None = None,
) -> PublishResult:
    """Publish a version (created first by `create`, for `register --push` and `assign --push`); the result."""
    from dvc_trail.sharing import publish

    with progress_bar(ctx, "upload") as bar:
        return publish.publish(registry, ref, remote, git_remote, create=create, progress=bar)


@command("publish")
def publish(ctx: typer.Context, ref: RefArg, remote: RemoteOpt = None, git_remote: GitRemoteOpt = "origin") -> None:
    """Upload a version's data to the DVC remote, check it is all there, then push its tags (atomically)."""
    terminal.publish_report(publish_version(ctx, project(ctx), ref, remote, git_remote))


@command("get")
def get(
    ctx: typer.Context,
    ref: RefArg,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Where to write it (default: its name).")] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace an existing file or folder.")] = False,
    remote: RemoteOpt = None,
    registry: Annotated[
        str | None, typer.Option("--registry", help="A published registry site (`trail site`): URL or folder.")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="With --registry: seconds each file of the site may take, plus 1 per MiB (default: 60).",
        ),
    ] = None,
) -> None:
    """Download a version's data from its repository's DVC remote, every hash checked.

    The repository is `-r/--repo PATH|URL` (default: this one); a URL is read without a clone.
    """
    from dvc_trail.sharing import fetch

    given = settings(ctx)
    if registry is not None and (any(o == "--repo" for o, _ in given.named) or remote is not None):
        raise UsageError("--registry reads the remote the site records: give no -r/--repo or --remote with it")
    if timeout is not None and registry is None:
        raise UsageError("--timeout bounds the reads from a registry site: give it with --registry")
    source = given.repo  # a folder (`-C`, `-r`) or a URL (`-r`): open_source tells them apart
    with progress_bar(ctx, "download") as bar:
        if registry is not None:
            from dvc_trail.site import client

            result = client.get(ref, registry, out, force=force, progress=bar, timeout=timeout)
        else:
            result = fetch.get(ref, source, out, force=force, remote=remote, progress=bar)
    r = result.resolved
    print(for_line(f"Downloaded {r.name}@{r.version} ({r.path}, {result.files} file(s), md5 {r.md5}) to {result.out}"))


@command("verify")
def verify(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="NAME, NAME@vX.Y.Z or NAME#STAGE.", show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Every active version of every artifact.")] = False,
    deep: Annotated[bool, typer.Option("--deep", help="Download every object and re-hash it.")] = False,
    remote: RemoteOpt = None,
    json: JsonOpt = False,
) -> None:
    """Check a version's objects are on the DVC remote (exit 1 and a list of what is missing or corrupt)."""
    from dvc_trail.sharing import verify

    with progress_bar(ctx, "verify") as bar:
        result = verify.verify(project(ctx), ref, all_versions=all_, deep=deep, remote=remote, progress=bar)
    terminal.print_json(result.to_dict()) if json else terminal.verify_report(result)
    if not result.ok:
        raise typer.Exit(1)


@command("doctor")
def doctor(
    ctx: typer.Context, remote: RemoteOpt = None, git_remote: GitRemoteOpt = "origin", json: JsonOpt = False
) -> None:
    """Check git, DVC, the remotes, credentials and registry tags; say how to fix each problem."""
    from dvc_trail.sharing import doctor

    checks = [c.to_dict() for c in doctor.doctor(settings(ctx).repo, remote, git_remote)]
    terminal.print_json(checks) if json else terminal.doctor_report(checks)
    if not all(c["ok"] for c in checks):
        raise typer.Exit(1)
