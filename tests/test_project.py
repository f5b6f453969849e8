"""Project on a FakeGit: registry state, lookups, show and tag writes, without a process."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvc_trail.errors import NotFound, TrailError
from dvc_trail.git.fake import FakeGit
from dvc_trail.project import Project
from tests.fixtures.fakes import project_history, train


@pytest.fixture
def history(tmp_path: Path) -> tuple[FakeGit, list[str]]:
    return project_history(tmp_path)


def test_state_from_annotated_tags_only(history: tuple[FakeGit, list[str]]) -> None:
    git, commits = history
    project = Project(git)
    assert project.ls() == {
        "model": {
            "version": "v1.1.0",
            "stage": {"prod": "v1.1.0", "staging": "v1.0.0"},
            "registered": True,
            "active": True,
        }
    }
    assert "light" in project.tag_names  # a lightweight tag is a name, never an event
    assert project.check_ref("refs/tags/model#prod#2").version == "v1.1.0"  # type: ignore[union-attr]
    assert project.check_ref("refs/tags/light") is None


def test_lookups_by_name_version_and_stage(history: tuple[FakeGit, list[str]]) -> None:
    git, commits = history
    project = Project(git)
    found = {ref: project.lookup(ref)[1].commit for ref in ("model", "model@v1.0.0", "model#prod", "model#staging")}
    assert found == {
        "model": commits[1],
        "model@v1.0.0": commits[0],
        "model#prod": commits[1],
        "model#staging": commits[0],
    }
    with pytest.raises(NotFound):
        project.lookup("other")
    with pytest.raises(NotFound):
        project.lookup("model@v9.0.0")
    assert [v.version for v in Project(git).artifact_state("model").versions] == ["v1.0.0", "v1.1.0"]


def test_show_reads_hash_metrics_and_params_at_the_version(history: tuple[FakeGit, list[str]]) -> None:
    git, commits = history
    shown = Project(git).show("model@v1.0.0")
    assert (shown["commit"], shown["commit_message"], shown["stages"]) == (commits[0], "run 1", ["staging"])
    assert shown["hash"]["md5"] == "a" * 32 and shown["hash"]["source"] == "dvc.lock"
    assert shown["metrics"] == {"metrics/scores.json": {"accuracy": 0.81}}
    assert shown["params"] == {"params.yaml": {"train.n_estimators": 10}}  # the keys the stage ran with


def test_history_newest_first_with_messages(history: tuple[FakeGit, list[str]]) -> None:
    git, _ = history
    events = Project(git).history("model")
    assert [e["ref"] for e in events] == [
        "model#staging#3",
        "model#prod#2",
        "model@v1.1.0",
        "model#prod#1",
        "model@v1.0.0",
    ]
    assert events[-1]["message"] == "Registering artifact model version v1.0.0"
    assert [e["ref"] for e in Project(git).history(ascending=True)][:2] == ["model@v1.0.0", "model#prod#1"]


def test_versions_carry_the_commit_authors(history: tuple[FakeGit, list[str]]) -> None:
    git, commits = history
    latest = Project(git).versions("model")[0]
    assert (latest["version"], latest["commit_hexsha"]) == ("v1.1.0", commits[1])
    assert latest["enrichments"][0]["message"] == "run 2\n"


def test_register_and_assign_write_annotated_tags(history: tuple[FakeGit, list[str]], tmp_path: Path) -> None:
    git, commits = history
    (tmp_path / ".dvc").mkdir()
    project = Project(git)
    assert project.register("model") == "model@v1.1.1"  # HEAD, the third run; a patch bump of the highest
    assert project.assign("model@v1.1.1", "prod") == "model#prod#4"
    assert Project(git).ls()["model"]["stage"]["prod"] == "v1.1.1"
    with pytest.raises(TrailError, match="already registered at"):
        project.register("model", rev=commits[2])
    with pytest.raises(TrailError, match="no hash for models/model.pkl"):
        git.commit({"dvc.lock": None})
        project.register("model")
    new = train(git, "d" * 32, 40, 0.9)
    assert project.register("model", version="v2.0.0", rev=new, message="big") == "model@v2.0.0"
    records = {r.name: r for r in git.tags()[0]}
    assert records["model@v2.0.0"].message == "big\n"
    assert records["model@v2.0.0"].timestamp > max(r.timestamp for n, r in records.items() if n != "model@v2.0.0")


def test_register_refuses_outside_a_dvc_project(history: tuple[FakeGit, list[str]]) -> None:
    git, _ = history
    with pytest.raises(TrailError, match="not a DVC project"):
        Project(git).register("model")
