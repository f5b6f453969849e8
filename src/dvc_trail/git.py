"""The only module that runs git: batched reads (one for-each-ref, one cat-file --batch) and atomic tag writes."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from dvc_trail.errors import NotFound, TrailError
from dvc_trail.registry import TagRecord

_TAG_FIELDS = [
    "%(refname:strip=2)",
    "%(objecttype)",
    "%(*objecttype)",
    "%(*objectname)",
    "%(taggername)",
    "%(taggeremail)",
    "%(taggerdate:raw)",
    "%(contents)",
]


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author: str
    email: str
    date: str
    subject: str


@dataclass(frozen=True)
class NewTag:
    name: str
    commit: str
    message: str


def run_git(args: list[str], cwd: Path, input: bytes | None = None, env: dict | None = None) -> bytes:
    """Run git with an argument list; a failure becomes a TrailError with git's own first line."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            env={**os.environ, **(env or {})},
        )
    except FileNotFoundError:
        raise TrailError("git is not installed or not on PATH") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        detail = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[0] if lines else "")
        raise TrailError(f"git {args[0]} failed: {detail or f'exit code {proc.returncode}'}")
    return proc.stdout


class Git:
    """A git repository, addressed by its top-level folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def discover(cls, path: Path | str = ".") -> Git:
        path = Path(path)
        if not path.is_dir():
            raise NotFound(f"no such directory: {path}")
        try:
            out = run_git(["rev-parse", "--show-toplevel"], cwd=path)
        except TrailError:
            raise TrailError(f"not a git repository: {path.resolve()} (run `git init` first)") from None
        return cls(Path(out.decode().strip()))

    def run(self, *args: str, input: bytes | None = None, env: dict | None = None) -> str:
        return run_git(list(args), self.root, input=input, env=env).decode()

    def tags(self) -> tuple[list[TagRecord], list[str]]:
        """Every annotated tag on a commit (as records), plus every tag name, in one for-each-ref."""
        out = run_git(["for-each-ref", "--format=" + "%00".join(_TAG_FIELDS) + "%00", "refs/tags"], self.root)
        fields = out.decode(errors="replace").split("\0")
        records, names = [], []
        width = len(_TAG_FIELDS)
        for i in range(0, len(fields) - width + 1, width):
            name, otype, target_type, target, tagger, email, date, contents = fields[i : i + width]
            name = name.lstrip("\n")
            names.append(name)
            if otype != "tag" or target_type != "commit" or not date:
                continue
            stamp, _, tz_offset = date.partition(" ")
            records.append(
                TagRecord(name, target, tagger, email.strip("<>"), int(stamp), tz_offset or "+0000", contents)
            )
        return records, names

    def read_blobs(self, specs: list[str]) -> dict[str, bytes | None]:
        """Read many `REV:PATH` objects with one `git cat-file --batch`; None where missing."""
        if not specs:
            return {}
        unique = list(dict.fromkeys(specs))
        out = run_git(["cat-file", "--batch"], self.root, input="".join(s + "\n" for s in unique).encode())
        result: dict[str, bytes | None] = {}
        pos = 0
        for spec in unique:
            end = out.index(b"\n", pos)
            header = out[pos:end].decode(errors="replace").split(" ")
            pos = end + 1
            if len(header) != 3 or header[1] in ("missing", "ambiguous"):
                result[spec] = None
                continue
            size = int(header[2])
            result[spec] = out[pos : pos + size] if header[1] == "blob" else None
            pos += size + 1
        return result

    def resolve_commit(self, rev: str) -> str:
        """The full commit id of a revision, or a NotFound naming it."""
        try:
            out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
        except TrailError:
            raise NotFound(f"unknown revision {rev!r}") from None
        return out.strip()

    def commit_infos(self, shas: list[str]) -> dict[str, CommitInfo]:
        """Author, date and subject of many commits in one `git log --no-walk`."""
        if not shas:
            return {}
        unique = list(dict.fromkeys(shas))
        out = self.run("log", "--no-walk=unsorted", "--format=%H%x00%an%x00%ae%x00%aI%x00%s%x00", *unique, "--")
        fields = out.split("\0")
        infos = {}
        for i in range(0, len(fields) - 4, 5):
            sha = fields[i].strip()
            infos[sha] = CommitInfo(sha, fields[i + 1], fields[i + 2], fields[i + 3], fields[i + 4])
        return infos

    def is_shallow(self) -> bool:
        return self.run("rev-parse", "--is-shallow-repository").strip() == "true"

    def create_tags(self, tags: list[NewTag], not_before: int = 0) -> None:
        """Create annotated tags all-or-nothing, each dated at least `not_before` (epoch seconds).

        Tag objects are written first, then one `update-ref --stdin` transaction creates every
        ref or none; it also refuses a tag that appeared meanwhile (a racing writer).
        """
        ident = self._committer_ident()
        who, stamp, tz_offset = ident.rsplit(" ", 2)
        stamp = str(max(int(stamp), not_before, int(time.time())))
        lines = ["start"]
        for tag in tags:
            body = (
                f"object {tag.commit}\ntype commit\ntag {tag.name}\ntagger {who} {stamp} {tz_offset}\n\n{tag.message}\n"
            )
            sha = self.run("mktag", input=body.encode()).strip()
            lines.append(f"create refs/tags/{tag.name} {sha}")
        lines += ["prepare", "commit", ""]
        try:
            self.run("update-ref", "--stdin", input="\n".join(lines).encode())
        except TrailError as err:
            if "reference already exists" in str(err) or "cannot lock ref" in str(err):
                names = ", ".join(t.name for t in tags)
                raise TrailError(f"tag {names} already exists (someone registered it meanwhile?)") from None
            raise

    def _committer_ident(self) -> str:
        try:
            return self.run("var", "GIT_COMMITTER_IDENT").strip()
        except TrailError:
            raise TrailError(
                "git does not know who you are: set it with "
                "`git config user.name NAME` and `git config user.email EMAIL`"
            ) from None


def init_repo(path: Path) -> Git:
    """`git init` a new repository on branch main (for the demo's throwaway workspace)."""
    run_git(["init", "--quiet", "--initial-branch=main", str(path)], cwd=path)
    return Git(path.resolve())


def tracked_files(git: Git) -> list[str]:
    """Tracked and untracked-but-not-ignored files of the work tree."""
    return [p for p in git.run("ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0") if p]


def commit_all(git: Git, message: str) -> str:
    """Stage everything and commit it; returns the new commit id."""
    git.run("add", "--all")
    git.run("commit", "--quiet", "--allow-empty", "-m", message)
    return git.resolve_commit("HEAD")
