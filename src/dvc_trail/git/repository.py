"""The git adapter: batched reads (one for-each-ref, one cat-file session) and atomic tag writes, via `git.process`."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import NamedTuple

from dvc_trail.errors import GitError, NotFound, TrailError
from dvc_trail.git import process
from dvc_trail.registry.state import TagRecord

_TAG_FIELDS = ["%(refname:strip=2)", "%(objecttype)", "%(*objectname)", "%(taggername)", "%(taggeremail)"]
_TAG_FIELDS += ["%(taggerdate:raw)", "%(contents)"]


def _tag_fields(details: bool) -> list[str]:
    return _TAG_FIELDS if details else _TAG_FIELDS[:3] + ["%(taggerdate:raw)"]


def _tag_format(details: bool) -> str:
    return "--format=" + "%00".join(_tag_fields(details)) + "%00"


class StartedTags(NamedTuple):
    """Every tag of the repository at `path`, being read by a for-each-ref started ahead of time."""

    path: Path
    details: bool
    process: process.Pending


def start_tags(path: Path, details: bool) -> StartedTags | None:
    """Start `Git.tags(details)`'s for-each-ref now, so git works while Python imports; None if it cannot start."""
    try:
        return StartedTags(path, details, process.Pending(["for-each-ref", _tag_format(details), "refs/tags"], path))
    except OSError:  # no such folder, git not installed: the command itself says so, in its own words
        return None


class CommitInfo(NamedTuple):
    sha: str
    author: str
    email: str
    date: str
    subject: str


class NewTag(NamedTuple):
    name: str
    commit: str
    message: str


_OID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # a full commit id (SHA-1 or SHA-256)
_NETWORK_ENV = {"GIT_TERMINAL_PROMPT": "0"}  # never hang on a password prompt


class PushResult(NamedTuple):
    """What `git push --porcelain` said about each ref: updated, already there, or rejected (with why)."""

    pushed: list[str]
    up_to_date: list[str]
    rejected: dict[str, str]


class Git:
    """A git repository, addressed by its top-level folder."""

    def __init__(self, root: Path) -> None:
        self._root: Path | None = root
        self.cwd = root

    @classmethod
    def at(cls, path: Path | str = ".") -> Git:
        """A repository containing `path`, its top folder found only when a command needs it.

        `trail ls` then costs one git process (for-each-ref) instead of two.
        """
        found = cls(Path(path))
        found._root = None
        if not found.cwd.is_dir():
            raise NotFound(f"no such directory: {path}")
        return found

    @property
    def root(self) -> Path:
        """The top folder of the work tree (or the bare repository)."""
        if self._root is None:
            self._root = Git.discover(self.cwd).root
        return self._root

    @classmethod
    def discover(cls, path: Path | str = ".") -> Git:
        """The repository containing `path`, or a TrailError saying it is not in one."""
        path = Path(path)
        if not path.is_dir():
            raise NotFound(f"no such directory: {path}")
        try:
            out = process.run_git(["rev-parse", "--show-toplevel"], cwd=path)
        except GitError:
            raise TrailError(f"not a git repository: {path.resolve()} (run `git init` first)") from None
        return cls(Path(out.decode().strip()))

    def run(self, *args: str, input: bytes | None = None, env: dict | None = None) -> str:
        """Git's stdout (text) for these arguments, run at the top folder; a failure raises GitError."""
        return process.run_git(list(args), self.root, input=input, env=env).decode()

    def tags(
        self, details: bool = True, patterns: list[str] | None = None, started: StartedTags | None = None
    ) -> tuple[list[TagRecord], list[str]]:
        """Every annotated tag (as records), plus every tag name, in one for-each-ref (`patterns`: only those).

        `started`: the same for-each-ref begun earlier by `start_tags`, used when it asked for the same thing.

        Without `details` the tagger and message are left empty: a third less for git to read, for queries
        (ls, impact) that only need names, targets and dates.
        """
        fields = _tag_fields(details)
        try:
            if started is not None and started.details == details and patterns is None:
                out = started.process.output()
            else:
                out = process.read_git(["for-each-ref", _tag_format(details), *(patterns or ["refs/tags"])], self.cwd)
        except GitError:
            Git.discover(self.cwd)  # outside a repository: say so; inside one, git's own message is clearer
            raise
        values = out.decode(errors="replace").split("\0")
        records, names = [], []
        width = len(fields)
        for i in range(0, len(values) - width + 1, width):
            if details:
                name, otype, target, tagger, email, date, contents = values[i : i + width]
            else:
                (name, otype, target, date), tagger, email, contents = values[i : i + width], "", "", ""
            name = name.lstrip("\n")
            names.append(name)
            if otype != "tag" or not date:  # lightweight tags are not registry events (as in gto)
                continue
            stamp, _, tz_offset = date.partition(" ")
            records.append(
                TagRecord(name, target, tagger, email.strip("<>"), int(stamp), tz_offset or "+0000", contents)
            )
        return records, names

    def read_blobs(self, specs: list[str]) -> dict[str, bytes | None]:
        """Read many `REV:PATH` files with one `git cat-file --batch`; None where missing (or not a file)."""
        return {spec: o[2] if o and o[1] == "blob" else None for spec, o in self.read_objects(specs).items()}

    def read_objects(self, specs: list[str]) -> dict[str, process.GitObject | None]:
        """Objects (`REV`, `REV:PATH` from the top, `REV^{tree}`) as (id, type, bytes), sizes checked first."""
        return process.read_objects(self.cwd, specs)

    def resolve_commit(self, rev: str) -> str:
        """The full commit id of a revision, or a NotFound naming it."""
        try:
            out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
        except GitError:
            raise NotFound(f"unknown revision {rev!r}") from None
        return out.strip()

    def resolve_commits(self, revs: list[str]) -> list[str]:
        """The commit of each revision by one rev-parse; on any doubt (an error, a range, `^X`) one at a time."""
        if len(revs) > 1:  # one at a time also gives the error naming the first unknown revision
            try:
                out = self.run("rev-parse", "--end-of-options", *(f"{s}^{{commit}}" for s in revs)).split()
            except GitError:
                out = []
            out = out[1:] if out[:1] == ["--end-of-options"] else out  # git 2.39 echoes it, as any option
            if len(out) == len(revs) and all(_OID.fullmatch(o) for o in out):
                return out
        return [self.resolve_commit(s) for s in revs]

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

    def git_dir(self) -> Path:
        """The repository's own folder (`.git`, or the common dir of a worktree) for trail's cache."""
        return (self.root / self.run("rev-parse", "--git-common-dir").strip()).resolve()

    def last_changes(self, commit: str, paths: list[str]) -> dict[str, str]:
        """The newest commit at or before `commit` that changed each path, in one `git log`."""
        if not paths:
            return {}
        out = self.run(
            "-c",
            "core.quotePath=false",
            "--literal-pathspecs",
            "log",
            "--format=%x00%H",
            "--name-only",
            "--no-renames",
            commit,
            "--",
            *paths,
        )
        found: dict[str, str] = {}
        for chunk in out.split("\0")[1:]:
            sha, _, names = chunk.partition("\n")
            for name in names.split("\n"):
                if name and name not in found:
                    found[name] = sha.strip()
        wanted = {p: found[p] for p in paths if p in found}
        for path in paths:  # a directory: the newest change to anything inside it
            if path not in wanted:
                inside = [sha for name, sha in found.items() if name.startswith(path.rstrip("/") + "/")]
                if inside:
                    wanted[path] = inside[0]
        return wanted

    def create_tags(self, tags: list[NewTag], not_before: int = 0) -> None:
        """Create annotated tags all-or-nothing, each dated at least `not_before` (epoch seconds); returns None.

        Tag objects are written first, then one `update-ref --stdin` transaction creates every
        ref or none; it also refuses a tag that appeared meanwhile (a racing writer).
        """
        ident = self.identity(raw=True)
        if ident is None:
            raise TrailError(
                "git does not know who you are: set it with "
                "`git config user.name NAME` and `git config user.email EMAIL`"
            )
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
        except GitError:
            if self.tag_targets([t.name for t in tags]):  # a racing writer created one of them first
                names = ", ".join(t.name for t in tags)
                raise TrailError(f"tag {names} already exists (someone registered it meanwhile?)") from None
            raise

    def identity(self, raw: bool = False) -> str | None:
        """`Name <email>` git writes into tags (with `raw`: plus its date), or None when git does not know who."""
        proc = process.spawn(["var", "GIT_COMMITTER_IDENT"], self.root)
        if proc.returncode != 0:
            return None
        ident = proc.stdout.decode().strip()
        return ident if raw else ident.rsplit(" ", 2)[0]

    def tree_files(self, rev: str) -> list[str]:
        """Every path in a commit's tree (files, links, submodules), in git's order, by one `git ls-tree`."""
        return [p for p in self.run("ls-tree", "-r", "--name-only", "-z", "--end-of-options", rev).split("\0") if p]

    def config(self, key: str) -> str | None:
        """A value of git's config, None when unset."""
        try:
            return self.run("config", "--get", key).strip()
        except GitError as err:
            if err.returncode == 1:  # git's answer for a key that is not set
                return None
            raise

    def work_tree_files(self) -> list[str]:
        """Tracked and untracked-but-not-ignored files of the work tree."""
        return [p for p in self.run("ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0") if p]

    def tracked(self, paths: list[str]) -> list[str]:
        """Which of these paths git tracks."""
        return [p for p in self.run("ls-files", "-z", "--", *paths).split("\0") if p]

    # --- sharing: remotes, atomic pushes, tag fetches, blob-less copies of a remote's registry -------

    def remote_url(self, remote: str) -> str:
        """The fetch URL of a git remote, or a TrailError saying how to add it."""
        proc = process.spawn(["remote", "get-url", "--", remote], self.root, env=_NETWORK_ENV)
        if proc.returncode != 0:
            raise TrailError(f"no git remote {remote!r}: add one with `git remote add {remote} URL`")
        return proc.stdout.decode().strip()

    def push_atomic(self, remote: str, refs: list[str]) -> PushResult:
        """Push refs (as themselves) in one `git push --atomic`; returns what was pushed, already there, rejected."""
        args = ["push", "--atomic", "--porcelain", "--", remote, *(f"{r}:{r}" for r in refs)]
        proc = process.spawn(args, self.root, env=_NETWORK_ENV)
        pushed, up_to_date, rejected = [], [], {}
        for line in proc.stdout.decode(errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) < 3 or len(parts[0]) != 1:
                continue
            ref = parts[1].partition(":")[2] or parts[1]
            if parts[0] == "=":
                up_to_date.append(ref)
            elif parts[0] == "!":
                summary = re.match(r"\[([^\]]*)\](?:\s*\((.*)\))?", parts[2].strip())
                rejected[ref] = (summary[2] or summary[1]) if summary else parts[2].strip()
            else:
                pushed.append(ref)
        if proc.returncode != 0 and not rejected:
            raise TrailError(f"git push to {remote} failed: {process.first_error(proc.stderr)}")
        return PushResult(pushed, up_to_date, rejected)

    def fetch_tags(self, remote: str, patterns: list[str]) -> None:
        """Fetch tags matching `refs/tags/...` glob patterns, never overwriting a local tag; returns None."""
        args = ["fetch", "--quiet", "--no-tags", "--", remote, *(f"{p}:{p}" for p in patterns)]
        proc = process.spawn(args, self.root, env=_NETWORK_ENV)
        if proc.returncode != 0:
            raise TrailError(f"git fetch from {remote} failed: {process.first_error(proc.stderr)}")

    def tag_targets(self, names: list[str]) -> dict[str, str]:
        """The object id of each existing tag ref (the tag object for annotated tags)."""
        if not names:
            return {}
        refs = (f"refs/tags/{n}" for n in names)
        out = self.run("for-each-ref", "--format=%(refname:strip=2) %(objectname)", *refs)
        return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)

    def delete_tag(self, name: str, expected: str) -> None:
        """Delete a local tag, only if it still points where we expect (another writer may have moved it)."""
        self.run("update-ref", "-d", f"refs/tags/{name}", expected)

    @staticmethod
    def repo_kind(path: Path) -> str | None:
        """'worktree' or 'bare' for a local git repository, None when `path` is not one."""
        if not path.is_dir():
            return None
        proc = process.spawn(["rev-parse", "--is-bare-repository"], path)
        if proc.returncode != 0:
            return None
        return "bare" if proc.stdout.decode().strip() == "true" else "worktree"

    @classmethod
    def fetch_registry_copy(
        cls,
        url: str,
        dest: Path,
        patterns: list[str],
        protocols: tuple[str, ...],
        history: bool = False,
        head: str | None = None,
    ) -> Git:
        """A bare, blob-less, depth-1 copy of a remote's registry tags; git fetches file contents on first read.

        This reads a registry of any size without cloning its history: only the tag objects, the tagged
        commits and their trees travel, and later the few blobs (dvc.yaml, dvc.lock, .dvc/config) we read.
        `history`: every commit and tree behind the tags too (still no blobs), for `git log` over paths.
        `head`: also keep the remote's HEAD commit under this ref (for its `.gto`), when the remote has one.
        """
        if url.startswith("-"):
            raise TrailError(f"invalid repository URL {url!r}")
        dest.mkdir(parents=True, exist_ok=True)
        process.run_git(["init", "--bare", "--quiet", str(dest)], cwd=dest)
        git = cls(dest)
        for key, value in (
            ("core.repositoryformatversion", "1"),
            ("extensions.partialClone", "origin"),
            ("remote.origin.url", url),
            ("remote.origin.promisor", "true"),
            ("remote.origin.partialclonefilter", "blob:none"),
            ("protocol.allow", "never"),  # the later blob fetches too: only the transports allowed here
            *((f"protocol.{p}.allow", "always") for p in protocols),
        ):
            git.run("config", key, value)
        refspecs = [f"+{p}:{p}" for p in patterns]
        depth = [] if history else ["--depth=1"]
        args = ["fetch", "--quiet", "--no-tags", *depth, "--filter=blob:none", "origin", *refspecs]
        env = {**_NETWORK_ENV, "GIT_ALLOW_PROTOCOL": ":".join(protocols)}
        proc = process.spawn([*args, f"+HEAD:{head}"] if head else args, dest, env=env)
        if head and proc.returncode != 0 and b"remote ref HEAD" in proc.stderr:  # no default branch: tags only
            proc = process.spawn(args, dest, env=env)
        if proc.returncode != 0 and proc.stderr.strip():  # a silent exit 1: no ref matched, nothing to fetch
            raise TrailError(f"cannot read repository {url}: {process.first_error(proc.stderr)}")
        return git

    @staticmethod
    def version() -> str:
        """The installed git's version, like `2.43.0`."""
        return process.run_git(["version"], cwd=Path.cwd()).decode().strip().removeprefix("git version ")
