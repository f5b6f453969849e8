"""One way to build a history, for FakeGit and for real git: the same calls give the same commits and tags."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dvc_trail.git.fake import FakeGit
from dvc_trail.git.reader import GitWriter
from dvc_trail.git.repository import Git
from tests.conftest import git


class RealRepo:
    """FakeGit's builder calls (`commit`, `tag`, `configure`) made by real git in `root`; `reader` is the adapter."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.monkeypatch = root, monkeypatch
        git(root, "init", "--quiet", "--initial-branch=main")
        self.reader: GitWriter = Git(root)
        self.clock = FakeGit(root).clock
        self.files: dict[str, dict[str, bytes]] = {}

    def commit(
        self,
        changes: dict[str, bytes | str | None],
        message: str = "commit",
        parents: list[str] | None = None,
        date: int | None = None,
        author: str = "Test Author",
        email: str = "author@example.com",
    ) -> str:
        """As FakeGit.commit: the work tree becomes the commit's files (a clean checkout)."""
        head = git(self.root, "for-each-ref", "--format=%(objectname)", "refs/heads/main").strip()
        parents = ([head] if head else []) if parents is None else parents
        files = dict(self.files[parents[0]]) if parents else {}
        for path, data in changes.items():
            if data is None:
                files.pop(path, None)
            else:
                files[path] = data.encode() if isinstance(data, str) else data
        for entry in self.root.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        for path, data in files.items():
            (self.root / path).parent.mkdir(parents=True, exist_ok=True)
            (self.root / path).write_bytes(data)
        git(self.root, "add", "--all")
        tree = git(self.root, "write-tree").strip()
        self._as(author, email, self._tick(date))
        sha = git(self.root, "commit-tree", tree, *(a for p in parents for a in ("-p", p)), "-m", message).strip()
        git(self.root, "update-ref", "refs/heads/main", sha)
        self.files[sha] = files
        return sha

    def tag(
        self, name: str, target: str = "HEAD", message: str | None = None, date: int | None = None, **who: str
    ) -> str:
        """As FakeGit.tag."""
        if message is None:
            git(self.root, "tag", name, target)
        else:
            self._as(who.get("tagger", "Test Author"), who.get("email", "author@example.com"), self._tick(date))
            git(self.root, "tag", "--annotate", "-m", message, name, target)
        return git(self.root, "rev-parse", f"refs/tags/{name}").strip()

    def configure(self, key: str, value: str) -> None:
        """Set a git config value."""
        git(self.root, "config", key, value)

    def _tick(self, date: int | None) -> int:
        self.clock = date if date is not None else self.clock + 1
        return self.clock

    def _as(self, name: str, email: str, stamp: int) -> None:
        for role in ("AUTHOR", "COMMITTER"):
            self.monkeypatch.setenv(f"GIT_{role}_NAME", name)
            self.monkeypatch.setenv(f"GIT_{role}_EMAIL", email)
            self.monkeypatch.setenv(f"GIT_{role}_DATE", f"@{stamp} +0000")


class FakeRepo(FakeGit):
    """FakeGit with the builders' common names: `reader` (itself) and `configure`."""

    @property
    def reader(self) -> GitWriter:
        """The fake itself."""
        return self

    def configure(self, key: str, value: str) -> None:
        """Set a git config value."""
        self.settings[key] = value


def build(kind: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> FakeRepo | RealRepo:
    """An empty repository of that kind (`fake` or `real`) in `root`."""
    return FakeRepo(root) if kind == "fake" else RealRepo(root, monkeypatch)
