"""Fixtures: real git repositories with a DVC project in temp dirs, and helpers to run trail, gto and dvc."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
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


def register_added_file_and_subfolder_artifacts(example_repo: Path) -> None:
    """Register `labels` (a `dvc add`ed file) and `team/nlp:tagger` (declared in a subfolder's dvc.yaml)."""
    import yaml

    (example_repo / "raw").mkdir()
    (example_repo / "raw" / "labels.csv").write_text("a,b\n1,2\n")
    dvc(example_repo, "add", "raw/labels.csv")
    sub = example_repo / "team" / "nlp"
    sub.mkdir(parents=True)
    (sub / "dvc.yaml").write_text("artifacts:\n  tagger:\n    path: model.bin\n    type: model\n")
    (sub / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  fit:\n    cmd: echo\n    outs:\n    - path: model.bin\n"
        "      hash: md5\n      md5: 0123456789abcdef0123456789abcdef\n      size: 3\n"
    )
    spec = yaml.safe_load((example_repo / "dvc.yaml").read_text())
    spec["artifacts"]["labels"] = {"path": "raw/labels.csv", "type": "data"}
    (example_repo / "dvc.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    commit_all(example_repo, "more artifacts")
    trail(example_repo, "register", "labels")
    trail(example_repo, "register", "team/nlp:tagger")


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


# --- S3 on loopback: moto's standalone server for the session, a fresh bucket per test -------------

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-value",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """http://127.0.0.1:PORT of a moto S3 server started for this test session."""
    import socket
    import time

    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty bucket; fake credentials in the environment (inherited by trail and dvc subprocesses)."""
    import uuid

    import boto3

    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    name = f"trail-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def reproduced_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project after `dvc repro`, committed (built once; copy it, never change it)."""
    repo = tmp_path_factory.mktemp("reproduced") / "repo"
    for rel in EXAMPLE_FILES:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    git(repo.parent, "init", "--quiet", "--initial-branch=main", str(repo))
    dvc(repo, "repro", "--quiet")
    commit_all(repo, "reproduced")
    return repo


@pytest.fixture
def s3_repo(tmp_path: Path, reproduced_repo: Path, s3_bucket: str, moto_endpoint: str) -> Path:
    """A reproduced example project whose DVC remote is the test's bucket, with a bare git `origin`."""
    repo = tmp_path / "alice"
    shutil.copytree(reproduced_repo, repo, symlinks=True)
    dvc(repo, "remote", "add", "-d", "s3remote", f"s3://{s3_bucket}/store")
    dvc(repo, "remote", "modify", "--local", "s3remote", "endpointurl", moto_endpoint)
    commit_all(repo, "S3 remote")
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(tmp_path / "origin.git"))
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(repo, "push", "--quiet", "origin", "main")
    return repo
