"""Lineage, lineage changes and impact on a FakeGit: stage graphs from dvc.lock, code from git history, no process."""

from __future__ import annotations

from pathlib import Path

from dvc_trail.lineage import provenance
from dvc_trail.project import Project
from tests.fixtures.fakes import project_history


def test_lineage_names_the_stage_its_params_and_the_code_commit(tmp_path: Path) -> None:
    git, commits = project_history(tmp_path)
    found = provenance.lineage_of(Project(git), "model@v1.1.0").to_dict()
    assert (found["commit"], found["md5"], found["created_at"]) == (commits[1], "b" * 32, "2023-11-14T22:13:26+00:00")
    (stage,) = found["stages"]
    assert (stage["stage"], stage["params"]) == ("train", {"params.yaml": {"train.n_estimators": 20}})
    # train.py came with the first run and never changed: its last change is that commit
    assert found["inputs"] == [{"path": "train.py", "md5": "e" * 32, "kind": "code", "last_commit": commits[0]}]


def test_lineage_changes_between_versions(tmp_path: Path) -> None:
    git, _ = project_history(tmp_path)
    changes = provenance.compare_lineage(Project(git), "model@v1.1.0", "model@v1.0.0").changes
    assert changes == [
        {"stage": "train", "kind": "param", "path": "params.yaml:train.n_estimators", "old": 10, "new": 20},
        {"stage": "train", "kind": "out", "path": "models/model.pkl", "old": "a" * 32, "new": "b" * 32},
    ]


def test_impact_of_the_code_finds_every_active_version(tmp_path: Path) -> None:
    git, commits = project_history(tmp_path)
    found = provenance.impact(Project(git), "train.py")
    assert found.md5 == "e" * 32 and not found.warnings
    assert [(m["version"], m["commit"], m["stages"]) for m in found.matches] == [
        ("v1.0.0", commits[0], ["staging"]),
        ("v1.1.0", commits[1], ["prod"]),
    ]
    assert provenance.impact(Project(git), "models/model.pkl", md5="a" * 7).matches[0]["version"] == "v1.0.0"
