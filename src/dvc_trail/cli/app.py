"""The Typer app, its shared options and the one command decorator that puts every command behind the error edge."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from dvc_trail import argv
from dvc_trail.edge import ErrorEdge
from dvc_trail.git.repository import StartedTags

if TYPE_CHECKING:
    from dvc_trail.project import Project

app = typer.Typer(
    name="trail",
    help="A Git-native registry for DVC data and models. Versions and stages are GTO-format git tags.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

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


@dataclass(frozen=True)
class Settings:
    """The global options, handed to every command through Typer's context object (`ctx.obj`)."""

    repo: Path = Path(".")
    verbose: bool = False
    quiet: bool = False
    started: StartedTags | None = None  # the tags, already being read when the command reads them first

    def project(self, details: bool = True) -> Project:
        """The registry of the repository given by `-C` (default: the current directory)."""
        from dvc_trail.project import Project

        return Project.open(self.repo, details, self.started)


@app.callback()
def main_options(
    ctx: typer.Context,
    repo: Annotated[Path, typer.Option("-C", "--repo", help="Run as if started in this directory.")] = Path("."),
    verbose: Annotated[bool, typer.Option("--verbose", help="Show tracebacks on errors.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bars on stderr.")] = False,
) -> None:
    """Keep the global options in `ctx.obj` for the command that runs next (with the tags read so far, if any)."""
    ctx.obj = Settings(repo, verbose, quiet, ctx.obj if isinstance(ctx.obj, StartedTags) else None)


F = TypeVar("F", bound=Callable[..., Any])


def command(name: str | None = None) -> Callable[[F], F]:
    """Register a Typer command (its first parameter is `ctx: typer.Context`) run inside the error edge."""

    def register(fn: F) -> F:
        @functools.wraps(fn)
        def run(ctx: typer.Context, *args: Any, **kwargs: Any) -> Any:
            with ErrorEdge(settings(ctx).verbose, passthrough=(typer.Exit, typer.Abort)):
                return fn(ctx, *args, **kwargs)

        app.command(name)(run)
        return fn

    return register


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the command `args` invoke: Typer then builds one command's parser, not all of them.

    Anything else (no command, `--help`, an unknown word or option before the command) gets the whole app,
    so help and usage errors stay Typer's own.
    """
    name = argv.command_of(args)[1]
    chosen = [c for c in app.registered_commands if _command_name(c) == name]
    if not chosen:
        return app
    single = copy.copy(app)
    single.registered_commands = chosen
    return single


def _command_name(info: Any) -> str:
    """The name a command is invoked by: its explicit name, else its function's name (as Typer derives it)."""
    return info.name or info.callback.__name__.lower().replace("_", "-")


def settings(ctx: typer.Context) -> Settings:
    """The global options of this invocation."""
    return ctx.obj if isinstance(ctx.obj, Settings) else Settings()


def project(ctx: typer.Context, details: bool = True) -> Project:
    """The registry of the repository this invocation runs in."""
    return settings(ctx).project(details)


def created(tag: str, what: str) -> None:
    """Print what a write command created and how to share it."""
    from dvc_trail.render.escapes import for_line, for_shell

    print(for_line(f"Created tag {tag!r}: {what}"))
    print(f"Share it with: {for_shell('git', 'push', 'origin', tag)}")
