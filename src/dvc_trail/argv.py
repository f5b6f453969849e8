"""The global options and the command word of a `trail` command line, found before Typer is imported.

Global options may come before or after the command word (Typer then parses them exactly); this scan is
only for the paths that run before Typer: the fast `trail ls`/`metrics --json` and the head start of
for-each-ref. A value it misreads there is harmless (the fast paths then fall back to Typer, and tags read
ahead of time for another folder are not used).
"""

from __future__ import annotations

from typing import NamedTuple

GLOBAL_FLAGS = frozenset({"--verbose", "-q", "--quiet"})
REPO_OPTIONS = frozenset({"-C", "-r", "--repo"})  # each takes a value: the repository
HELP = frozenset({"-h", "--help"})


class CommandLine(NamedTuple):
    """A command line read before Typer: the command word, the repository options given, the other arguments."""

    word: str | None  # None when an unknown option comes before any word (Typer's job)
    repos: list[tuple[str, str]]  # (option, value) of each -C/-r/--repo, wherever given
    rest: list[str]  # every argument but the repository options (global flags and the word included)

    @property
    def repo(self) -> str:
        """The one repository named, default `.` (the last named when several: Typer then says what is wrong)."""
        return self.repos[-1][1] if self.repos else "."


def read(args: list[str]) -> CommandLine:
    """Split `args` into the repository options (before or after the word, up to `--`) and everything else."""
    repos: list[tuple[str, str]] = []
    rest: list[str] = []
    word: str | None = None
    unknown = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in REPO_OPTIONS and i + 1 < len(args):
            repos.append((arg, args[i + 1]))
            i += 2
            continue
        if arg.startswith("--repo="):
            repos.append(("--repo", arg.split("=", 1)[1]))
        else:
            if word is None and not unknown and arg not in GLOBAL_FLAGS:
                if arg.startswith("-"):
                    unknown = True
                else:
                    word = arg
            rest.append(arg)
        i += 1
    return CommandLine(word, repos, rest)


def command_of(args: list[str]) -> tuple[str, str | None]:
    """The repository (default `.`) and the command word; None when anything else comes first."""
    line = read(args)
    return line.repo, line.word
