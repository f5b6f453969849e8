"""The seam between the core and git: what registry, store, metrics, lineage and the site read from a repository.

`git.repository.Git` is the adapter (git processes); `git.fake.FakeGit` answers the same calls from memory, for
tests without processes. tests/git/test_reader_contract.py runs one suite against both, so they cannot drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from dvc_trail.git.process import GitObject
    from dvc_trail.git.repository import CommitInfo, NewTag, StartedTags
    from dvc_trail.registry.state import TagRecord


class GitReader(Protocol):
    """Reads of one repository: tags, objects by `REV:PATH`, revisions, commit metadata, the work tree's names."""

    @property
    def cwd(self) -> Path:
        """Where trail runs (inside the work tree); caches are found from here without a git process."""

    @property
    def root(self) -> Path:
        """The top folder of the work tree (or the bare repository)."""

    def tags(
        self, details: bool = True, patterns: list[str] | None = None, started: StartedTags | None = None
    ) -> tuple[list[TagRecord], list[str]]:
        """Annotated tags as records and every tag name, both in refname order (`patterns`: `refs/tags/...` globs)."""

    def read_objects(self, specs: list[str]) -> dict[str, GitObject | None]:
        """(id, type, bytes) of each `REV`, `REV:PATH`, `REV^{tree}`; None where missing; oversized: TrailError."""

    def read_blobs(self, specs: list[str]) -> dict[str, bytes | None]:
        """The bytes of each `REV:PATH` file; None where missing or not a file."""

    def resolve_commit(self, rev: str) -> str:
        """The full commit id of a revision, or NotFound (`unknown revision 'REV'`)."""

    def resolve_commits(self, revs: list[str]) -> list[str]:
        """The commit of each revision, in order; the first unknown one raises as `resolve_commit` does."""

    def commit_infos(self, shas: list[str]) -> dict[str, CommitInfo]:
        """Author, ISO author date and subject of each commit, in the order given; an unknown one: GitError."""

    def last_changes(self, commit: str, paths: list[str]) -> dict[str, str]:
        """The newest commit at or before `commit` that changed each path (a folder: anything inside it)."""

    def git_dir(self) -> Path:
        """The repository's own folder (`.git`, or a worktree's common dir), where trail keeps its caches."""

    def tree_files(self, rev: str) -> list[str]:
        """Every path in a commit's tree (files, links, submodules), in git's order; an unknown REV: GitError."""

    def work_tree_files(self) -> list[str]:
        """Tracked and untracked-but-not-ignored files of the work tree, in git's order."""

    def tracked(self, paths: list[str]) -> list[str]:
        """The tracked files among these paths (a folder: the files under it), in git's order."""

    def config(self, key: str) -> str | None:
        """A value of git's config (`remote.origin.url`), None when unset."""


class GitWriter(GitReader, Protocol):
    """The reads plus the one write of the registry: annotated tags, all or none."""

    def create_tags(self, tags: list[NewTag], not_before: int = 0) -> None:
        """Create annotated tags all-or-nothing, dated at least `not_before`; an existing one: TrailError."""
