"""Fixtures: real git repositories with a DVC project in temp dirs, and helpers to run trail, gto and dvc."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE_FILES = [
    "dvc.yaml",
    "dvc.lock",
    "params.yaml",
    "metrics/scores.json",
    ".dvc/config",
    ".dvc/.gitignore",
    ".dvcignore",
    ".gitignore",
    "src/pipeline/__init__.py",
    "src/pipeline/prepare.py",
    "src/pipeline/train.py",
    "src/pipeline/evaluate.py",
    "data/.gitignore",
    "models/.gitignore",
]


@pytest.fixture(autouse=True, scope="session")
def _git_identity() -> None:
    os.environ.update(
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.com",
        GIT_COMMITTER_NAME="Test Author",
        GIT_COMMITTER_EMAIL="author@example.com",
        GIT_CONFIG_NOSYSTEM="1",
        DVC_NO_ANALYTICS="1",
    )
    os.environ.pop("GIT_DIR", None)


def run(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def trail(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "dvc_trail", *args], cwd, check=check)


def gto(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([str(BIN / "gto"), *args], cwd, check=check)


def dvc(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env_path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    proc = subprocess.run(
        [str(BIN / "dvc"), *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, "PATH": env_path}
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"dvc {args} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd).stdout


def commit_all(cwd: Path, message: str) -> str:
    git(cwd, "add", "--all")
    git(cwd, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(cwd, "rev-parse", "HEAD").strip()


def refs_snapshot(repo: Path) -> str:
    """Every ref and the work tree status: what a failed command must leave unchanged."""
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)") + git(repo, "status", "--porcelain")


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A committed copy of the example project (dvc.lock included), with no tags."""
    repo = tmp_path / "repo"
    for rel in EXAMPLE_FILES:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    commit_all(repo, "example project")
    return repo
