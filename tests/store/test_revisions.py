"""RevisionReader on a FakeGit: metrics, params and output hashes at revisions and in the work tree, no process."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dvc_trail.errors import TrailError
from dvc_trail.git.fake import FakeGit
from dvc_trail.store.revisions import WORKSPACE, Revision, RevisionReader
from tests.fixtures.fakes import DVC_YAML, lock, project_history


class CountingGit(FakeGit):
    """A FakeGit that counts its object reads (each one a `cat-file` session for the real adapter)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.asked: list[list[str]] = []

    def read_objects(self, specs: list[str]):  # type: ignore[no-untyped-def]
        self.asked += [specs] if specs else []  # the real adapter starts no process for none
        return super().read_objects(specs)


def test_metrics_params_and_outputs_at_each_revision(tmp_path: Path) -> None:
    git, commits = project_history(tmp_path)
    old, new = RevisionReader(git).read([Revision("v1", commits[0]), Revision("HEAD", commits[2])])
    assert old.metrics == {"metrics/scores.json": {"accuracy": 0.81}}
    assert new.metrics == {"metrics/scores.json": {"accuracy": 0.83}}
    assert new.params == {"params.yaml": {"train.n_estimators": 30, "train.seed": 1, "other": "x"}}
    assert old.outputs()["models/model.pkl"].md5 == "a" * 32 and new.output_hashes == {"models/model.pkl": "c" * 32}
    assert old.artifacts()["model"].path == "models/model.pkl"
    assert old.declared == {"dvc.yaml": ["metrics/scores.json"]} and not old.unreadable


def test_a_metrics_file_inside_a_dvc_output_comes_from_the_local_cache(tmp_path: Path) -> None:
    git = FakeGit(tmp_path)
    cached = json.dumps({"loss": 0.5}).encode()
    md5 = hashlib.md5(cached, usedforsecurity=False).hexdigest()
    yaml = DVC_YAML.replace("metrics/scores.json", "eval/scores.json")
    eval_out = f"    - path: eval/scores.json\n      hash: md5\n      md5: {md5}\n      size: {len(cached)}\n"
    commit = git.commit({"dvc.yaml": yaml, "dvc.lock": lock("a" * 32, 1) + eval_out}, "metrics in DVC's cache")
    revision = Revision("HEAD", commit)
    (missing,) = RevisionReader(git).read([revision], params=False)
    assert missing.metrics == {} and [(u.path, u.md5) for u in missing.unreadable] == [("eval/scores.json", md5)]
    assert "not in the local DVC cache" in missing.unreadable[0].message
    (tmp_path / ".dvc" / "cache" / "files" / "md5" / md5[:2]).mkdir(parents=True)
    (tmp_path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).write_bytes(cached)
    (found,) = RevisionReader(git).read([revision], params=False)
    assert found.metrics == {"eval/scores.json": {"loss": 0.5}} and not found.unreadable


def test_the_workspace_is_read_from_disk(tmp_path: Path) -> None:
    git, _ = project_history(tmp_path)
    for name, text in {"dvc.yaml": DVC_YAML, "params.yaml": "train:\n  n_estimators: 7\n"}.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "scores.json").write_text('{"accuracy": 0.99}')
    (data,) = RevisionReader(git).read([Revision(WORKSPACE, None)])
    assert data.revision.short == WORKSPACE
    assert data.metrics == {"metrics/scores.json": {"accuracy": 0.99}}
    assert data.params == {"params.yaml": {"train.n_estimators": 7}}


def test_dvc_files_and_declared_metrics_are_worked_out_once_per_commit(tmp_path: Path) -> None:
    git = CountingGit(tmp_path)
    commit = git.commit({"dvc.yaml": DVC_YAML, "dvc.lock": lock("b" * 32, 5), "metrics/scores.json": "{}"})
    first = RevisionReader(git).read([Revision("HEAD", commit)])
    cold, git.asked = git.asked, []
    second = RevisionReader(git).read([Revision("HEAD", commit)])
    assert second[0].metrics == first[0].metrics == {"metrics/scores.json": {}}
    assert {p.name for p in (tmp_path / ".git" / "trail").iterdir()} == {"dvcfiles-v1.json", "declared-v1.json"}
    assert any(":" not in s for specs in cold for s in specs)  # the first read walks the commit's trees
    assert all(":" in s for specs in git.asked for s in specs) and len(git.asked) < len(cold)  # then files only
    assert f"{commit}:metrics/scores.json" in git.asked[0]  # declared metrics come with the DVC files


def test_malformed_params_name_the_revision_and_a_non_mapping_gives_none(tmp_path: Path) -> None:
    git, _ = project_history(tmp_path)
    bad = git.commit({"params.yaml": "train: ["})
    with pytest.raises(TrailError, match=rf"^malformed YAML in params.yaml at {bad[:7]} \(line 2\)$"):
        RevisionReader(git).read([Revision("HEAD", bad)])
    listed = git.commit({"params.yaml": "- a list"})
    assert RevisionReader(git).read([Revision("HEAD", listed)])[0].params == {"params.yaml": {}}
