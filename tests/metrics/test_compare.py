"""Metric trends, revision specs and diffs with gates on a FakeGit (no process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvc_trail.errors import NotFound, UsageError
from dvc_trail.metrics import compare
from dvc_trail.project import Project
from dvc_trail.store.revisions import WORKSPACE, Revision
from tests.fixtures.fakes import project_history


def test_trend_of_the_active_versions(tmp_path: Path) -> None:
    git, commits = project_history(tmp_path)
    rows = compare.trend(Project(git), "model").rows
    assert [(r["version"], r["commit"], r["stages"], r["metrics"]) for r in rows] == [
        ("v1.0.0", commits[0], ["staging"], {"metrics/scores.json": {"accuracy": 0.81}}),
        ("v1.1.0", commits[1], ["prod"], {"metrics/scores.json": {"accuracy": 0.82}}),
    ]
    with pytest.raises(NotFound):
        compare.trend(Project(git), "nothing")


def test_revision_specs_resolve_through_the_registry_then_git(tmp_path: Path) -> None:
    git, commits = project_history(tmp_path)
    specs: list[str | None] = ["model@v1.0.0", "model#prod", "HEAD~2", None, WORKSPACE]
    assert compare.revisions(Project(git), specs) == [
        Revision("model@v1.0.0", commits[0]),
        Revision("model#prod", commits[1]),
        Revision("HEAD~2", commits[0]),
        Revision(WORKSPACE, None),
        Revision(WORKSPACE, None),
    ]
    with pytest.raises(NotFound, match="^unknown revision 'nope'$"):
        compare.revisions(Project(git), ["HEAD", "nope"])
    with pytest.raises(UsageError, match="empty revision"):
        compare.revision(Project(git), " ")


def test_diff_with_gates_from_the_old_sides_trail_yaml(tmp_path: Path) -> None:
    git, commits = project_history(tmp_path)
    git.commit({"trail.yaml": "gates:\n  - accuracy<-0.005\n"})
    result = compare.compare(Project(git), "HEAD", "model@v1.0.0")
    assert result.to_json() == {
        "metrics": {"metrics/scores.json": {"accuracy": {"old": 0.83, "new": 0.81, "diff": -0.02}}},
        "params": {"params.yaml": {"train.n_estimators": {"old": 30, "new": 10, "diff": -20}}},
    }
    assert [g.breached for g in result.gates] == [True] and result.failed_gates == result.gates
    assert result.changed_artifacts() == [
        {"name": "model", "path": "models/model.pkl", "old": "c" * 32, "new": "a" * 32}
    ]
    assert compare.compare(Project(git), "model@v1.1.0", "model@v1.0.0").gates == []  # v1.1.0 has no trail.yaml
