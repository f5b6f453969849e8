"""Git objects read through the git adapter's one `cat-file --batch`: trees walked for file names, raw commits."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from dvc_trail.errors import TrailError

if TYPE_CHECKING:
    from collections.abc import Callable

    from dvc_trail.git.reader import GitReader

Tree = tuple[list[str], list[tuple[str, str]]]  # matching file names, subtrees (name, id)


class RawCommit(NamedTuple):
    """A commit object's people, dates (epoch seconds and `+HHMM`) and message, as git stores them."""

    sha: str
    author: str
    author_email: str
    committer: str
    committer_email: str
    commit_time: int
    commit_tz: str
    message: str


def find_files(
    git: GitReader, commits: list[str], wanted: Callable[[str], bool], limit: int = 100_000
) -> dict[str, list[str]]:
    """Paths of the files whose name `wanted` accepts in each commit's tree (a batched walk, no checkout).

    Each level of the trees is one `git cat-file --batch`; a tree shared by several commits is read once.
    `.git` and `.dvc` folders are skipped, as DVC does; more than `limit` trees is an error.
    """
    trees: dict[str, Tree] = {}
    roots = _read_trees(git, [f"{c}^{{tree}}" for c in dict.fromkeys(commits)], trees, wanted)
    pending = {oid for _, subs in trees.values() for _, oid in subs if oid not in trees}
    while pending:
        if len(trees) + len(pending) > limit:
            raise TrailError(f"more than {limit} folders in the repository's history: too many to search")
        _read_trees(git, sorted(pending), trees, wanted)
        pending = {oid for _, subs in trees.values() for _, oid in subs if oid not in trees}
    found: dict[str, list[str]] = {}

    def walk(tree: str, depth: int) -> list[str]:
        if depth > 100:
            raise TrailError("folders nested more than 100 deep in the repository: too deep to search")
        if tree not in found:
            files, subs = trees.get(tree, ([], []))
            found[tree] = [*files, *(f"{name}/{path}" for name, sub in subs for path in walk(sub, depth + 1))]
        return found[tree]

    result = {}
    for c in commits:
        root = roots.get(f"{c}^{{tree}}")
        result[c] = sorted(walk(root, 0)) if root else []
    return result


def commits(git: GitReader, shas: list[str]) -> dict[str, RawCommit]:
    """Author, committer (with dates) and full message of many commits, from one `git cat-file --batch`."""
    result = {}
    for sha, found in git.read_objects(shas).items():
        if found is not None and found[1] == "commit":
            result[sha] = _parse_commit(found[0], found[2])
    return result


def _read_trees(git: GitReader, specs: list[str], trees: dict[str, Tree], wanted: Callable[[str], bool]) -> dict:
    """Read tree objects into `trees`; returns each spec's tree id (None when it is not a tree)."""
    ids: dict[str, str | None] = {}
    for spec, found in git.read_objects(specs).items():
        ids[spec] = None
        if found is not None and found[1] == "tree":
            ids[spec] = found[0]
            trees[found[0]] = _tree_entries(found[2], len(found[0]) // 2, wanted)
    return ids


def _tree_entries(body: bytes, oid_bytes: int, wanted: Callable[[str], bool]) -> Tree:
    """A raw tree object's matching file names and its subtrees (name, id); `.git`/`.dvc` folders skipped."""
    files, subs = [], []
    pos = 0
    while pos < len(body):
        space = body.index(b" ", pos)
        nul = body.index(b"\0", space)
        mode, name = body[pos:space], body[space + 1 : nul].decode(errors="surrogateescape")
        oid = body[nul + 1 : nul + 1 + oid_bytes].hex()
        pos = nul + 1 + oid_bytes
        if mode == b"40000":
            if name not in (".git", ".dvc"):
                subs.append((name, oid))
        elif mode in (b"100644", b"100755") and wanted(name):
            files.append(name)
    return files, subs


_IDENT = re.compile(r"(?P<name>.*) <(?P<email>[^>]*)> (?P<time>-?\d+) (?P<tz>[+-]\d{4})")


def _parse_commit(sha: str, body: bytes) -> RawCommit:
    head, _, message = body.partition(b"\n\n")
    people = {}
    for line in head.decode(errors="replace").split("\n"):
        key, _, value = line.partition(" ")
        if key in ("author", "committer") and (match := _IDENT.fullmatch(value)):
            people[key] = match
    author, committer = people.get("author"), people.get("committer")
    return RawCommit(
        sha,
        author["name"] if author else "",
        author["email"] if author else "",
        committer["name"] if committer else "",
        committer["email"] if committer else "",
        int(committer["time"]) if committer else 0,
        committer["tz"] if committer else "+0000",
        message.decode(errors="replace"),
    )
