"""The size-checked object reader on real repositories: one `--batch-command` session, and the two-process path
that git before 2.36 takes, give the same answers and the same refusals."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dvc_trail.errors import GitError, TrailError
from dvc_trail.git import process
from tests.fixtures.repos import commit_all, git

Reader = Callable[[Path, list[str]], dict[str, process.GitObject | None]]
READERS: list[Reader] = [process.read_objects, process._read_objects_two_pass]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "sub dir").mkdir(parents=True)
    git(repo, "init", "--quiet")
    (repo / "a.txt").write_bytes(b"alpha\n")
    (repo / "sub dir" / "b c.txt").write_bytes(b"beta")
    (repo / "empty").write_bytes(b"")
    (repo / "bin").write_bytes(bytes(range(256)) * 3)
    commit_all(repo, "one")
    (repo / "a.txt").write_bytes(b"alpha, again\n")
    commit_all(repo, "two")
    return repo


@pytest.mark.parametrize("read", READERS)
def test_objects_of_every_kind_and_the_missing(repo: Path, read: Reader) -> None:
    specs = ["HEAD:a.txt", "HEAD~1:a.txt", "HEAD:sub dir/b c.txt", "HEAD:empty", "HEAD:bin", "HEAD:sub dir"]
    specs += ["HEAD", "HEAD^{tree}", "HEAD:missing", "nosuchrev:a.txt", "HEAD:a.txt"]
    found: dict[str, Any] = read(repo, specs)
    assert list(found) == list(dict.fromkeys(specs))
    assert found["HEAD:a.txt"][1:] == ("blob", b"alpha, again\n")
    assert found["HEAD~1:a.txt"][1:] == ("blob", b"alpha\n")
    assert found["HEAD:sub dir/b c.txt"][1:] == ("blob", b"beta")
    assert found["HEAD:empty"][1:] == ("blob", b"")
    assert found["HEAD:bin"][2] == bytes(range(256)) * 3
    assert found["HEAD:sub dir"][1] == "tree" and found["HEAD^{tree}"][1] == "tree"
    assert found["HEAD"][1] == "commit" and found["HEAD"][0] == git(repo, "rev-parse", "HEAD").strip()
    assert found["HEAD:missing"] is None and found["nosuchrev:a.txt"] is None
    assert found == READERS[0](repo, specs) == READERS[1](repo, specs)


def test_a_batch_larger_than_the_pipes_does_not_deadlock(repo: Path) -> None:
    commits = [f"HEAD~{i % 2}" for i in range(3000)]
    specs = [f"{c}:a.txt" for c in commits] + [f"HEAD:nothing-{i}" for i in range(3000)] + ["HEAD:bin"] * 10
    specs += [f"{git(repo, 'rev-parse', 'HEAD').strip()}:sub dir/b c.txt"]
    assert process.read_objects(repo, specs) == process._read_objects_two_pass(repo, specs)


@pytest.mark.parametrize("read", READERS)
def test_oversized_objects_are_refused_before_their_contents(repo: Path, read, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "MAX_BLOB", 700)
    with pytest.raises(TrailError, match="refusing HEAD:bin: more than"):
        read(repo, ["HEAD:a.txt", "HEAD:bin"])
    monkeypatch.setattr(process, "MAX_BLOB", 1000)
    monkeypatch.setattr(process, "MAX_BLOBS", 1000)
    with pytest.raises(TrailError, match="refusing 2 objects"):
        read(repo, ["HEAD:bin", "HEAD:bin", "HEAD~1:bin"])
    assert read(repo, ["HEAD:a.txt"])["HEAD:a.txt"][2] == b"alpha, again\n"  # nothing left behind


@pytest.mark.parametrize("read", READERS)
def test_outside_a_repository_is_a_git_error(tmp_path: Path, read: Reader) -> None:
    with pytest.raises(GitError) as raised:
        read(tmp_path, ["HEAD:a.txt"])
    assert raised.value.returncode != 0 and "not a git repository" in str(raised.value)


def test_a_newline_in_a_spec_is_refused(repo: Path) -> None:
    with pytest.raises(TrailError, match="newline"):
        process.read_objects(repo, ["HEAD:a.txt\nHEAD:bin"])
    assert process.read_objects(repo, []) == {}


def test_no_git_process_is_left_running(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def git_children() -> list[str]:  # zombies included: every git process must have been waited for
        out = subprocess.run(["ps", "-o", "comm=", "--ppid", str(os.getpid())], capture_output=True, text=True)
        return [name for name in out.stdout.split() if name.startswith("git")]

    process.read_objects(repo, ["HEAD:a.txt"])
    monkeypatch.setattr(process, "MAX_BLOB", 700)
    with pytest.raises(TrailError):  # refused between `info` and `contents`: git is stopped, not left waiting
        process.read_objects(repo, ["HEAD:a.txt", "HEAD:bin"])
    assert git_children() == []


def test_a_started_command_drains_large_output_and_reports_failure(repo: Path) -> None:
    for i in range(400):  # about 100 KB of for-each-ref output: more than a pipe holds
        git(repo, "tag", f"t-{i:03}-{'x' * 200}")
    started = process.Pending(["for-each-ref", "--format=%(refname)", "refs/tags"], repo)
    out = started.output().decode().split()
    assert len(out) == 400 and out[0].startswith("refs/tags/t-000-")
    failed = process.Pending(["rev-parse", "--verify", "nosuchrev"], repo)
    with pytest.raises(GitError) as raised:
        failed.output()
    assert raised.value.returncode != 0


def test_tags_read_ahead_are_used_only_by_the_same_query(repo: Path) -> None:
    from dvc_trail.git.repository import Git, start_tags
    from dvc_trail.project import Project

    git(repo, "tag", "-a", "-m", "Registering", "model@v1.0.0")
    for details in (True, False):
        started = start_tags(repo, details)
        assert started is not None
        project = Project.open(repo, details, started)
        assert project.started is started
        assert project.state.artifacts["model"].versions[0].version == "v1.0.0"
        assert project.started is None and started.process.proc.returncode == 0
        assert Git(repo).tags(details) == Git(repo).tags(details, started=start_tags(repo, details))
    other = start_tags(repo / "sub dir", True)
    assert other is not None and Project.open(repo, True, other).started is None  # another folder: not used
    assert other.process.close() in (0, -9)
    assert start_tags(repo / "nowhere", True) is None  # the command itself reports the missing folder
