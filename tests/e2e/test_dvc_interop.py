"""Tags written by trail work with DVC's own `dvc artifacts get`; the demo tour runs end to end."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.repos import ROOT, commit_all, dvc, git, refs_snapshot, trail


def test_dvc_artifacts_get_reads_trail_tags(example_repo: Path, tmp_path: Path) -> None:
    dvc(example_repo, "repro")
    commit_all(example_repo, "reproduced")
    dvc(example_repo, "push")
    trail(example_repo, "register", "iris-model", "--version", "v1.0.0")
    trail(example_repo, "assign", "iris-model@v1.0.0", "prod")
    expected = json.loads(trail(example_repo, "show", "iris-model#prod", "--json").stdout)["hash"]["md5"]
    out = tmp_path / "fetched"
    out.mkdir()
    dvc(out, "artifacts", "get", str(example_repo), "iris-model", "--stage", "prod", "-o", "model.pkl")
    assert hashlib.md5((out / "model.pkl").read_bytes()).hexdigest() == expected  # noqa: S324 - DVC's hash


def test_demo_tour_runs_in_a_throwaway_workspace(tmp_path: Path) -> None:
    before = refs_snapshot(ROOT)
    workspace = tmp_path / "tour"
    proc = trail(ROOT, "demo", str(workspace))
    expected = ["iris-model@v1.0.0", "iris-model@v1.1.0", "iris-model#staging#2", "$ trail ls", "accuracy"]
    expected += ["Pushed to origin", "All good.", "Downloaded iris-model@v1.0.0", "$ trail impact data/prepared"]
    for text in expected:
        assert text in proc.stdout, text
    assert "worse on f1_macro" in proc.stderr  # the promotion gate at work
    assert "no identity" not in proc.stdout  # git knows who we are: the tour uses that identity
    registry = json.loads(trail(workspace, "ls", "--json").stdout)
    assert registry["iris-model"]["stage"] == {"prod": "v1.0.0", "staging": "v1.1.0"}
    assert git(workspace, "status", "--porcelain") == ""
    assert (workspace / "site" / "index.html").is_file() and (workspace / "site" / "index.html").as_uri() in proc.stdout
    assert refs_snapshot(ROOT) == before


def test_demo_without_git_identity_sets_one_in_its_workspace_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    identity = ("GIT_AUTHOR_", "GIT_COMMITTER_", "GIT_CONFIG_GLOBAL", "EMAIL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(identity)}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1")
    workspace = tmp_path / "tour"
    proc = subprocess.run(
        [sys.executable, "-m", "dvc_trail", "demo", str(workspace)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    notes = [line for line in proc.stdout.splitlines() if "no identity" in line]
    assert notes == [
        "git has no identity here: the tour commits as trail demo <demo@example.invalid> (in its workspace only)"
    ]
    assert "Pushed to origin" in proc.stdout and "All good." in proc.stdout
    assert git(workspace, "config", "--local", "user.email").strip() == "demo@example.invalid"
    assert sorted(p.name for p in home.rglob("*") if "git" in p.name) == []  # no global git config written
