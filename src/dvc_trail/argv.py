"""The global options and the command word of a `trail` command line, found before Typer is imported."""

from __future__ import annotations

GLOBAL_FLAGS = frozenset({"--verbose", "-q", "--quiet"})
GLOBAL_VALUES = frozenset({"-C", "--repo"})


def command_of(args: list[str]) -> tuple[str, str | None]:
    """The `-C`/`--repo` folder (default `.`) and the command word; None when anything else comes first."""
    repo, i = ".", 0
    while i < len(args):
        if args[i] in GLOBAL_FLAGS:
            i += 1
        elif args[i] in GLOBAL_VALUES and i + 1 < len(args):
            repo, i = args[i + 1], i + 2
        elif args[i].startswith("--repo="):
            repo, i = args[i].split("=", 1)[1], i + 1
        else:
            break
    return repo, args[i] if i < len(args) and not args[i].startswith("-") else None
