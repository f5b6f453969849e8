"""An in-memory repository answering `GitWriter` as `git.repository.Git` does, with no process (as httpx ships
`MockTransport`): git's own object encodings and ids, so the same history gives the same answers, byte for byte.

    git = FakeGit(tmp_path)
    first = git.commit({"dvc.yaml": "artifacts: ...", "dvc.lock": "..."}, "train", date=1_700_000_000)
    git.tag("model@v1.0.0", first, "Registering artifact model version v1.0.0")

Not modelled: index and ignore rules (the work tree is HEAD's files plus any file under the root), pathspec
globs, history simplification of `last_changes` through merges, and revision syntax beyond names, ids,
`~N`, `^N` and `^{type}`; tests/git/test_reader_contract.py holds both to the same answers.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from dvc_trail.errors import GitError, NotFound, TrailError
from dvc_trail.git import process
from dvc_trail.git.repository import CommitInfo
from dvc_trail.registry.state import TagRecord

if TYPE_CHECKING:
    from dvc_trail.git.process import GitObject
    from dvc_trail.git.repository import NewTag, StartedTags

_SUFFIX = re.compile(r"(\^\{(\w*)\}|\^(\d*)|~(\d*))$")
_TAGGER = re.compile(r"tagger (?P<name>.*) <(?P<email>[^>]*)> (?P<time>-?\d+) (?P<tz>[+-]\d{4})")


class _Commit(NamedTuple):
    parents: list[str]
    files: dict[str, bytes]
    author: str
    email: str
    time: int
    body: str  # the commit object's text: headers, a blank line, the message


class FakeGit:
    """One branch (`main`, HEAD), commits of whole trees, annotated and lightweight tags, git config values."""

    def __init__(self, root: Path | str, name: str = "Test Author", email: str = "author@example.com") -> None:
        self.cwd = Path(root)
        self.name, self.email = name, email
        self.clock = 1_700_000_000  # epoch seconds: each commit or tag without a date comes one second later
        self.settings: dict[str, str] = {}  # git config (`remote.origin.url`)
        self.objects: dict[str, tuple[str, bytes]] = {}
        self.refs: dict[str, str] = {}  # `refs/heads/main`, `refs/tags/NAME` -> object id
        self._commits: dict[str, _Commit] = {}

    # --- building a history --------------------------------------------------------------------------------

    def commit(
        self,
        changes: dict[str, bytes | str | None],
        message: str = "commit",
        parents: list[str] | None = None,
        date: int | None = None,
        author: str | None = None,
        email: str | None = None,
    ) -> str:
        """Commit these files (a None deletes one) on the first parent's tree (default parent: HEAD); its id."""
        parents = [self.refs["refs/heads/main"]] if parents is None and "refs/heads/main" in self.refs else parents
        parents = [self.resolve_commit(p) for p in parents or []]
        files = dict(self._commits[parents[0]].files) if parents else {}
        for path, data in changes.items():
            if data is None:
                files.pop(path, None)
            else:
                files[path] = data.encode() if isinstance(data, str) else data
        stamp, who = self._tick(date), f"{author or self.name} <{email or self.email}>"
        head = f"tree {self._tree(files)}\n" + "".join(f"parent {p}\n" for p in parents)
        body = f"{head}author {who} {stamp} +0000\ncommitter {who} {stamp} +0000\n\n{message.rstrip(chr(10))}\n"
        sha = self._put("commit", body.encode())
        self._commits[sha] = _Commit(parents, files, author or self.name, email or self.email, stamp, body)
        self.refs["refs/heads/main"] = sha
        return sha

    def tag(
        self, name: str, target: str = "HEAD", message: str | None = None, date: int | None = None, **who: str
    ) -> str:
        """An annotated tag (`tagger=`, `email=` optional), or a lightweight one when `message` is None; its id."""
        commit = self.resolve_commit(target)
        if message is None:
            self.refs[f"refs/tags/{name}"] = commit
            return commit
        ident = f"{who.get('tagger', self.name)} <{who.get('email', self.email)}> {self._tick(date)} +0000"
        body = f"object {commit}\ntype commit\ntag {name}\ntagger {ident}\n\n{message}\n"
        self.refs[f"refs/tags/{name}"] = self._put("tag", body.encode())
        return self.refs[f"refs/tags/{name}"]

    # --- GitReader -----------------------------------------------------------------------------------------

    @property
    def root(self) -> Path:
        """The work tree's top folder (the root given)."""
        return self.cwd

    def tags(
        self, details: bool = True, patterns: list[str] | None = None, started: StartedTags | None = None
    ) -> tuple[list[TagRecord], list[str]]:
        """As `Git.tags` (`started` is a real git's head start: a fake has none to collect)."""
        records, names = [], []
        for ref in sorted(r for r in self.refs if r.startswith("refs/tags/") and _matches(r, patterns)):
            names.append(ref.removeprefix("refs/tags/"))
            kind, body = self.objects[self.refs[ref]]
            if kind == "tag":
                head, _, message = body.decode(errors="replace").partition("\n\n")
                tagger = next(m for line in head.split("\n") if (m := _TAGGER.fullmatch(line)))
                kept = (tagger["name"], tagger["email"], message) if details else ("", "", "")
                target = head.split("\n", 1)[0].removeprefix("object ")
                records.append(
                    TagRecord(names[-1], target, kept[0], kept[1], int(tagger["time"]), tagger["tz"], kept[2])
                )
        return records, names

    def read_objects(self, specs: list[str]) -> dict[str, GitObject | None]:
        """As `Git.read_objects`: None where missing, the same refusal past `process.MAX_BLOB(S)`."""
        unique = list(dict.fromkeys(specs))
        if any("\n" in s for s in unique):
            raise TrailError("a revision or path with a newline cannot be read from git")
        found = {s: self._object(s) for s in unique}
        sizes = {s: len(o[2]) for s, o in found.items() if o is not None}
        big = next((s for s, n in sizes.items() if n > process.MAX_BLOB), f"{len(sizes)} objects")
        if big in sizes or sum(sizes.values()) > process.MAX_BLOBS:
            limit = (process.MAX_BLOBS, process.MAX_BLOB)[big in sizes] >> 20
            raise TrailError(f"refusing {big}: more than {limit:,} MiB in git")
        return found

    def read_blobs(self, specs: list[str]) -> dict[str, bytes | None]:
        """As `Git.read_blobs`."""
        return {spec: o[2] if o and o[1] == "blob" else None for spec, o in self.read_objects(specs).items()}

    def resolve_commit(self, rev: str) -> str:
        """As `Git.resolve_commit`."""
        found = self._peel(self._rev(rev), "commit")
        if found is None:
            raise NotFound(f"unknown revision {rev!r}")
        return found

    def resolve_commits(self, revs: list[str]) -> list[str]:
        """As `Git.resolve_commits`."""
        return [self.resolve_commit(r) for r in revs]

    def commit_infos(self, shas: list[str]) -> dict[str, CommitInfo]:
        """As `Git.commit_infos`."""
        infos = {}
        for rev in dict.fromkeys(shas):
            sha = self._peel(self._rev(rev), "commit")
            if sha is None:
                unknown = f"bad object {rev}" if re.fullmatch(r"[0-9a-f]{40}", rev) else f"ambiguous argument '{rev}'"
                raise GitError("log", 128, f"fatal: {unknown}")
            c = self._commits[sha]
            date = datetime.fromtimestamp(c.time, timezone(timedelta(0))).isoformat()
            infos[sha] = CommitInfo(sha, c.author, c.email, date, _subject(c.body.partition("\n\n")[2]))
        return infos

    def last_changes(self, commit: str, paths: list[str]) -> dict[str, str]:
        """As `Git.last_changes` (merges show no change, as `git log` without `-m`)."""
        if not paths:
            return {}
        start = self._peel(self._rev(commit), "commit")
        if start is None:
            raise GitError("log", 128, f"fatal: bad revision '{commit}'")
        found: dict[str, str] = {}
        queue, seen = [(-self._commits[start].time, 0, start)], {start}
        while queue:
            _, _, sha = heapq.heappop(queue)
            c = self._commits[sha]
            for p in c.parents:
                if p not in seen:
                    seen.add(p)
                    heapq.heappush(queue, (-self._commits[p].time, len(seen), p))
            if len(c.parents) <= 1:
                before = self._commits[c.parents[0]].files if c.parents else {}
                changed = {n for n in {*before, *c.files} if before.get(n) != c.files.get(n)}
                for name in sorted(n for n in changed if _matches(n, paths, globs=False)):
                    found.setdefault(name, sha)
        wanted = {p: found[p] for p in paths if p in found}
        for path in paths:
            inside = [sha for name, sha in found.items() if name.startswith(path.rstrip("/") + "/")]
            if path not in wanted and inside:
                wanted[path] = inside[0]
        return wanted

    def git_dir(self) -> Path:
        """`ROOT/.git` (trail's caches go under it; nothing else is written)."""
        return (self.root / ".git").resolve()

    def tree_files(self, rev: str) -> list[str]:
        """As `Git.tree_files`."""
        tree = self._peel(self._rev(rev), "tree")
        if tree is None:
            raise GitError("ls-tree", 128, f"fatal: Not a valid object name {rev}")
        return sorted(self._walk(tree), key=str.encode)

    def work_tree_files(self) -> list[str]:
        """Files under the root that HEAD lacks (no ignore rules), then HEAD's files, as `git ls-files` orders them."""
        head = self._commits[self.refs["refs/heads/main"]].files if "refs/heads/main" in self.refs else {}
        disk = [p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()]
        untracked = {p for p in disk if p.split("/")[0] != ".git" and p not in head}
        return sorted(untracked, key=str.encode) + sorted(head, key=str.encode)  # git lists the untracked first

    def tracked(self, paths: list[str]) -> list[str]:
        """HEAD's files among these paths (a folder: the files under it; no globs)."""
        head = self._commits[self.refs["refs/heads/main"]].files if "refs/heads/main" in self.refs else {}
        return sorted((f for f in head if _matches(f, paths, globs=False)), key=str.encode)

    def config(self, key: str) -> str | None:
        """A value of `settings`, None when unset."""
        return self.settings.get(key)

    def create_tags(self, tags: list[NewTag], not_before: int = 0) -> None:
        """As `Git.create_tags`, dated by the fake's clock (at least `not_before`)."""
        if any(f"refs/tags/{t.name}" in self.refs for t in tags):
            raise TrailError(f"tag {', '.join(t.name for t in tags)} already exists (someone registered it meanwhile?)")
        for t in tags:
            if self._peel(t.commit, "commit") is None:
                raise GitError("mktag", 128, f"fatal: could not read tagged object '{t.commit}'")
        stamp = max(self._tick(None), not_before)
        for t in tags:
            self.tag(t.name, t.commit, t.message, stamp)

    # --- objects and revisions -----------------------------------------------------------------------------

    def _tick(self, date: int | None) -> int:
        self.clock = date if date is not None else self.clock + 1
        return self.clock

    def _put(self, kind: str, data: bytes) -> str:
        sha = hashlib.sha1(f"{kind} {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()
        self.objects[sha] = (kind, data)
        return sha

    def _tree(self, files: dict[str, bytes]) -> str:
        """Write a tree (and its subtrees and blobs) in git's format and entry order; its id."""
        entries: dict[str, tuple[bytes, str]] = {}
        folders: dict[str, dict[str, bytes]] = {}
        for path, data in files.items():
            name, slash, rest = path.partition("/")
            if slash:
                folders.setdefault(name, {})[rest] = data
            else:
                entries[name] = (b"100644", self._put("blob", data))
        entries.update((name, (b"40000", self._tree(sub))) for name, sub in folders.items())
        order = sorted(entries, key=lambda n: n.encode() + (b"/" if entries[n][0] == b"40000" else b""))
        return self._put(
            "tree", b"".join(entries[n][0] + b" " + n.encode() + b"\0" + bytes.fromhex(entries[n][1]) for n in order)
        )

    def _walk(self, tree: str, prefix: str = "") -> list[str]:
        found = []
        for name, oid in self._entries(tree):
            found += self._walk(oid, f"{prefix}{name}/") if self.objects[oid][0] == "tree" else [prefix + name]
        return found

    def _object(self, spec: str) -> GitObject | None:
        rev, colon, path = spec.partition(":")
        oid = self._rev(rev) if rev else None
        if colon and oid is not None:
            oid = self._peel(oid, "tree")
            for name in (n for n in path.split("/") if n):
                entries = {} if oid is None or self.objects[oid][0] != "tree" else dict(self._entries(oid))
                oid = entries.get(name)
        return (oid, *self.objects[oid]) if oid is not None else None

    def _entries(self, tree: str) -> list[tuple[str, str]]:
        body, pos, found = self.objects[tree][1], 0, []
        while pos < len(body):
            space, nul = body.index(b" ", pos), body.index(b"\0", pos)
            found.append((body[space + 1 : nul].decode(), body[nul + 1 : nul + 21].hex()))
            pos = nul + 21
        return found

    def _rev(self, rev: str) -> str | None:
        """The object a revision names, tags not peeled; None when it names none."""
        suffix = _SUFFIX.search(rev)
        if suffix is not None and suffix.start() > 0:
            base = self._rev(rev[: suffix.start()])
            if suffix[0].startswith("^{"):
                return self._peel(base, suffix[2] or None)
            commit = self._peel(base, "commit")
            if suffix[0].startswith("^"):
                n = int(suffix[3] or 1)
                parents = self._commits[commit].parents if commit else []
                return commit if n == 0 else parents[n - 1] if len(parents) >= n else None
            for _ in range(int(suffix[4] or 1)):
                commit = next(iter(self._commits[commit].parents), None) if commit else None
            return commit
        if rev in ("HEAD", "@"):
            return self.refs.get("refs/heads/main")
        for ref in (rev, f"refs/{rev}", f"refs/tags/{rev}", f"refs/heads/{rev}"):
            if ref.startswith("refs/") and ref in self.refs:
                return self.refs[ref]
        if re.fullmatch(r"[0-9a-f]{4,40}", rev):
            ids = [o for o in self.objects if o.startswith(rev)]
            return ids[0] if len(ids) == 1 else None
        return None

    def _peel(self, oid: str | None, kind: str | None) -> str | None:
        """Follow tags (and a commit to its tree) to an object of `kind` (None: any but a tag)."""
        while oid is not None and oid in self.objects:
            found, body = self.objects[oid]
            if found == kind or (kind is None and found != "tag"):
                return oid
            if found == "tag" or (found == "commit" and kind == "tree"):
                oid = body.split(b"\n", 1)[0].split(b" ")[1].decode()
            else:
                return None
        return None


def _matches(name: str, patterns: list[str] | None, globs: bool = True) -> bool:
    """for-each-ref's rule (ls-files' and log's with literal paths: no `globs`): equal, inside, or a `*`/`?` glob."""
    for pattern in patterns or ["refs/tags"]:
        if globs and ("*" in pattern or "?" in pattern):
            glob = re.escape(pattern).replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
            if re.fullmatch(glob, name):
                return True
        elif name == pattern or name.startswith(pattern.rstrip("/") + "/"):
            return True
    return False


def _subject(message: str) -> str:
    """`%s`: the message's first paragraph on one line."""
    lines: list[str] = []
    for line in message.split("\n"):
        if not line.strip() and lines:
            break
        if line.strip():
            lines.append(line.rstrip())
    return " ".join(lines)


if TYPE_CHECKING:  # mypy holds the fake to the protocol (the adapter is held by Project's callers)
    from dvc_trail.git.reader import GitWriter

    _CONFORMS: GitWriter = FakeGit(Path("."))
