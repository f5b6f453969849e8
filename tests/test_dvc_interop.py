"""Tags written by trail work with DVC's own `dvc artifacts get`; the demo tour runs end to end."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.conftest import ROOT, commit_all, dvc, git, refs_snapshot, trail


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
    registry = json.loads(trail(workspace, "ls", "--json").stdout)
    assert registry["iris-model"]["stage"] == {"prod": "v1.0.0", "staging": "v1.1.0"}
    assert git(workspace, "status", "--porcelain") == ""
    assert refs_snapshot(ROOT) == before
