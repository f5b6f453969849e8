"""The Typer app, its shared options and the one command decorator that puts every command behind the error edge."""

from __future__ import annotations

import copy
import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from dvc_trail import argv
from dvc_trail.edge import ErrorEdge
from dvc_trail.errors import NotFound, UsageError
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
    context_settings={"help_option_names": ["-h", "--help"]},
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
MessageOpt = Annotated[str | None, typer.Option("-m", "--message", help="Tag message (default: GTO's).")]
RefArg = Annotated[str, typer.Argument(help="NAME (latest version), NAME@vX.Y.Z or NAME#STAGE.", show_default=False)]
VersionRefArg = Annotated[str, typer.Argument(help="The version, as NAME@vX.Y.Z.", show_default=False)]
StageArg = Annotated[str, typer.Argument(help="Stage name, like dev, staging or prod.", show_default=False)]
PushOpt = Annotated[bool, typer.Option("--push", help="Then publish: upload the data, push the tags (see publish).")]
# `-r` used to be short for --remote: it now names the repository, as in gto
RemoteOpt = Annotated[str | None, typer.Option("--remote", help="DVC remote (default: the core.remote one).")]
GitRemoteOpt = Annotated[str, typer.Option("--git-remote", help="Git remote to push the tags to.")]
FetchOpt = Annotated[
    bool,
    typer.Option("--fetch", help="Download DVC-cached metrics files missing locally from the default DVC remote."),
]

URL_READS = ("ls", "show", "history", "check-ref", "lineage", "metrics", "card", "get")  # commands taking a URL
DirectoryOpt = Annotated[
    str | None, typer.Option("-C", metavar="PATH", help="Run as if started in this directory (as git -C).")
]
RepoOpt = Annotated[
    str | None,
    typer.Option(
        "-r",
        "--repo",
        metavar="PATH|URL",
        help=f"The repository: a folder, or a git URL read without a clone ({', '.join(URL_READS)}).",
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Show tracebacks on errors.")]
QuietOpt = Annotated[bool, typer.Option("-q", "--quiet", help="No progress bars on stderr.")]


@dataclass(frozen=True)
class Settings:
    """The global options, handed to every command through Typer's context object (`ctx.obj`)."""

    named: tuple[tuple[str, str], ...] = ()  # each (`-C` or `--repo`, value) given, before or after the command
    verbose: bool = False
    quiet: bool = False
    started: StartedTags | None = None  # the tags, already being read when the command reads them first

    @property
    def repo(self) -> str:
        """The repository named by `-C` or `-r/--repo` (default: the current directory)."""
        return self.named[0][1] if self.named else "."

    @property
    def url(self) -> bool:
        """Whether `-r/--repo` names a remote repository by URL (`-C` is always a folder)."""
        if not self.named or self.named[0][0] != "--repo":
            return False
        from dvc_trail.sharing.fetch import looks_like_url

        return looks_like_url(self.repo)

    def given(self, directory: str | None, repo: str | None, verbose: bool, quiet: bool) -> Settings:
        """These settings with the options given after the command word added."""
        named = list(self.named)
        for option, value in (("-C", directory), ("--repo", repo)):
            if value is not None:
                named.append((option, value))
        return replace(self, named=tuple(named), verbose=self.verbose or verbose, quiet=self.quiet or quiet)

    def check(self, command: str) -> None:
        """Refuse two repositories, a `-C` that is no folder, and a URL for a command that needs a local one."""
        if len(set(self.named)) > 1:
            raise UsageError("name the repository once: -C PATH (a folder) or -r/--repo PATH|URL")
        if self.named and self.named[0][0] == "-C" and not os.path.isdir(self.repo):
            raise NotFound(f"no such directory: {self.repo}")
        if self.url and command not in URL_READS:
            raise UsageError(
                f"{command} needs a local repository, not the URL {self.repo} (clone it first): "
                f"only {', '.join(URL_READS)} read a URL"
            )

    def project(self, details: bool = True) -> Project:
        """The registry of the local repository given by `-C` or `--repo` (default: the current directory)."""
        from dvc_trail.project import Project

        return Project.open(self.repo, details, self.started)


@app.callback()
def main_options(
    ctx: typer.Context,
    directory: DirectoryOpt = None,
    repo: RepoOpt = None,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Keep the global options in `ctx.obj` for the command that runs next (with the tags read so far, if any)."""
    started = ctx.obj if isinstance(ctx.obj, StartedTags) else None
    ctx.obj = Settings(started=started).given(directory, repo, verbose, quiet)


_GLOBALS = {  # the global options again on every command, so they may follow the command word
    "global_directory": (DirectoryOpt, None),
    "global_repo": (RepoOpt, None),
    "global_verbose": (Annotated[bool, typer.Option("--verbose", help="Show tracebacks.", hidden=True)], False),
    "global_quiet": (Annotated[bool, typer.Option("-q", "--quiet", help="No progress bars.", hidden=True)], False),
}


F = TypeVar("F", bound=Callable[..., Any])


def command(name: str) -> Callable[[F], F]:
    """Register a Typer command named NAME (its first parameter is `ctx: typer.Context`) behind the error edge.

    The name is explicit: renaming a function never renames a command (tests/test_architecture.py checks it).
    """
    if not name:
        raise ValueError("a command needs an explicit name")

    def register(fn: F) -> F:
        app.command(name)(_Command(fn))
        return fn

    return register


class _Command:
    """A command function behind the error edge, with the global options added to its parameters.

    Its signature is built only when Typer builds this command's parser (one command per run: see `app_for`).
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn

    @functools.cached_property
    def __signature__(self) -> inspect.Signature:
        own = inspect.signature(self.fn, eval_str=True)
        extra = [
            inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
            for key, (kind, default) in _GLOBALS.items()
        ]
        return own.replace(parameters=[*own.parameters.values(), *extra])

    def __call__(self, ctx: typer.Context, *args: Any, **kwargs: Any) -> Any:
        after = [kwargs.pop(key) for key in _GLOBALS]
        ctx.obj = settings(ctx).given(*after)
        with ErrorEdge(settings(ctx).verbose, passthrough=(typer.Exit, typer.Abort)):
            settings(ctx).check(ctx.info_name or "")
            if kwargs.get("fetch") and settings(ctx).url:
                raise UsageError("--fetch downloads into a clone's DVC cache: give a local repository, not a URL")
            return self.fn(ctx, *args, **kwargs)


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the command `args` invoke: Typer then builds one command's parser, not all of them.

    Anything else (no command, `--help`, an unknown word or option before the command) gets the whole app,
    so help and usage errors stay Typer's own.
    """
    name = argv.command_of(args)[1]
    chosen = [c for c in app.registered_commands if c.name == name]
    if not chosen:
        return app
    single = copy.copy(app)
    single.registered_commands = chosen
    return single


def settings(ctx: typer.Context) -> Settings:
    """The global options of this invocation."""
    return ctx.obj if isinstance(ctx.obj, Settings) else Settings()


def project(ctx: typer.Context, details: bool = True, history: bool = False) -> Project:
    """The registry of the repository this invocation runs in: local, or a copy of a URL's (read commands).

    The copy lives in a temp folder removed when the command ends; `history`: with the commits behind the tags.
    """
    given = settings(ctx)
    if given.url:
        from dvc_trail.sharing import fetch

        return ctx.with_resource(fetch.open_registry(given.repo, details, history))
    folder = Path(given.repo)
    if (folder / "HEAD").is_file() and (folder / "objects").is_dir() and ctx.info_name in URL_READS:
        from dvc_trail.git.repository import Git  # a bare repository (a server's): read as a URL's copy is
        from dvc_trail.project import Project

        return Project(Git(folder.resolve()), details, config_rev="HEAD")
    return given.project(details)


def created(tag: str, what: str) -> None:
    """Print what a write command created and how to share it."""
    from dvc_trail.render.escapes import for_line, for_shell

    print(for_line(f"Created tag {tag!r}: {what}"))
    print(f"Share it with: {for_shell('git', 'push', 'origin', tag)}")
