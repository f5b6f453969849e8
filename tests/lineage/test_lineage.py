"""Lineage, impact and model cards: the pure graph core, and end to end on real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dvc_trail.dvcfiles import locks
from dvc_trail.dvcfiles.documents import load_yaml
from dvc_trail.lineage import graph
from tests.fixtures.repos import ROOT, commit_all, dvc, git, trail

MD5 = {name: (name * 32)[:32] for name in "abcdefgh"}


def test_fast_parser_agrees_with_yaml_on_dvc_written_locks() -> None:
    text = (ROOT / "dvc.lock").read_text()
    full = locks.parse_lock(load_yaml(text, "dvc.lock"), "dvc.lock", "dvc.lock")
    fast = locks.fast_edges(text, "dvc.lock", "dvc.lock")
    assert {n: ([d.path for d in s.deps], [d.md5 for d in s.outs]) for n, s in fast.items()} == {
        n: ([d.path for d in s.deps], [d.md5 for d in s.outs]) for n, s in full.items()
    }
    odd = (
        "schema: '2.0'\nstages:\n  s:\n    cmd: x\n    outs:\n    - path: 'quoted path'\n      md5: " + MD5["a"] + "\n"
    )
    assert locks.fast_edges(odd, "dvc.lock", "x")["s"].outs[0].path == "quoted path"


def _stage(name: str, deps: dict[str, str], outs: dict[str, str]) -> locks.StageLock:
    return locks.StageLock(
        name,
        "dvc.lock",
        tuple(locks.FileHash(p, m) for p, m in deps.items()),
        tuple(locks.FileHash(p, m) for p, m in outs.items()),
    )


def test_upstream_chain_and_leaves() -> None:
    stages = {
        "prepare": _stage("prepare", {"raw.csv": MD5["a"], "prep.py": MD5["b"]}, {"data/prepared": MD5["c"] + ".dir"}),
        "train": _stage("train", {"data/prepared/train.csv": MD5["d"], "train.py": MD5["e"]}, {"model.pkl": MD5["f"]}),
        "unrelated": _stage("unrelated", {"x": MD5["g"]}, {"y": MD5["h"]}),
    }
    chain = graph.upstream(stages, "model.pkl")
    assert [s.name for s in chain] == ["prepare", "train"]
    assert [f.path for f in graph.leaf_inputs(chain)] == ["raw.csv", "prep.py", "train.py"]
    assert graph.uses(chain, "raw.csv", MD5["a"]) and not graph.uses(chain, "x", MD5["g"])
    changed = {
        **stages,
        "prepare": _stage("prepare", {"raw.csv": MD5["b"], "prep.py": MD5["b"]}, {"data/prepared": "z"}),
    }
    kinds = [(c["kind"], c.get("path")) for c in graph.changes(chain, graph.upstream(changed, "model.pkl"))]
    assert kinds == [("dep", "raw.csv"), ("out", "data/prepared")]


def _write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)


def _lock(stages: dict[str, dict]) -> str:
    return yaml.safe_dump({"schema": "2.0", "stages": stages}, sort_keys=False)


def _h(path: str, md5: str) -> dict:
    return {"path": path, "hash": "md5", "md5": md5, "size": 1}


@pytest.fixture
def mono_repo(tmp_path: Path) -> Path:
    """A monorepo: foreach and matrix stages, params from two files, a `dvc add` file, a frozen import."""
    repo = tmp_path / "mono"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    (repo / ".dvc").mkdir()
    (repo / ".dvc" / "config").write_text("")
    project = repo / "proj"
    dvc_yaml = {
        "stages": {
            "clean": {"foreach": ["a", "b"], "do": {"cmd": "clean ${item}", "outs": ["clean/${item}.csv"]}},
            "fit": {
                "matrix": {"lr": [1, 2]},
                "cmd": "fit",
                "params": ["fit.depth", {"hyper.toml": ["opt"]}],
                "deps": ["clean/a.csv", "clean/b.csv", "fit.py", "raw/labels.csv", "ext/vocab.txt"],
                "outs": ["model"],
            },
        },
        "artifacts": {"model": {"path": "model", "type": "model"}, "cleaned": {"path": "clean/a.csv", "type": "data"}},
    }
    lock = _lock(
        {
            "clean@a": {
                "cmd": "clean a",
                "deps": [_h("raw/labels.csv", MD5["a"])],
                "outs": [_h("clean/a.csv", MD5["b"])],
            },
            "clean@b": {"cmd": "clean b", "outs": [_h("clean/b.csv", MD5["c"])]},
            "fit@lr1": {
                "cmd": "fit",
                "deps": [
                    _h("clean/a.csv", MD5["b"]),
                    _h("clean/b.csv", MD5["c"]),
                    _h("fit.py", MD5["d"]),
                    _h("ext/vocab.txt", MD5["e"]),
                ],
                "params": {"params.yaml": {"fit.depth": 3}, "hyper.toml": {"opt": "adam"}},
                "outs": [{**_h("model", MD5["f"] + ".dir"), "nfiles": 2}],
            },
        }
    )
    _write(
        project,
        {
            "dvc.yaml": yaml.safe_dump(dvc_yaml, sort_keys=False),
            "dvc.lock": lock,
            "fit.py": "print('fit')\n",
            "raw/labels.csv.dvc": yaml.safe_dump({"outs": [_h("labels.csv", MD5["a"])]}),
            "ext/vocab.txt.dvc": yaml.safe_dump(
                {
                    "frozen": True,
                    "deps": [
                        {"path": "vocab.txt", "repo": {"url": "https://example.com/data.git", "rev_lock": "f" * 40}}
                    ],
                    "outs": [_h("vocab.txt", MD5["e"])],
                }
            ),
        },
    )
    commit_all(repo, "monorepo")
    return repo


def test_lineage_in_a_monorepo(mono_repo: Path) -> None:
    trail(mono_repo, "register", "proj:cleaned")
    trail(mono_repo, "register", "proj:model")
    trail(mono_repo, "assign", "proj:model@v0.0.1", "prod")
    info = json.loads(trail(mono_repo, "lineage", "proj:model#prod", "--json").stdout)
    assert info["version"] == "v0.0.1" and info["md5"] == MD5["f"] + ".dir" and info["author"] == "Test Author"
    assert [s["stage"] for s in info["stages"]] == ["clean@a", "clean@b", "fit@lr1"]
    fit = info["stages"][-1]
    assert fit["params"] == {"proj/params.yaml": {"fit.depth": 3}, "proj/hyper.toml": {"opt": "adam"}}
    assert next(d for d in fit["deps"] if d["path"] == "proj/clean/a.csv")["versions"] == ["proj:cleaned@v0.0.1"]
    inputs = {i["path"]: i for i in info["inputs"]}
    assert inputs["proj/raw/labels.csv"]["kind"] == "dvc add"
    assert inputs["proj/ext/vocab.txt"]["kind"] == "import" and inputs["proj/ext/vocab.txt"]["frozen"]
    assert inputs["proj/ext/vocab.txt"]["source"]["url"] == "https://example.com/data.git"
    assert inputs["proj/fit.py"]["kind"] == "code"
    assert inputs["proj/fit.py"]["last_commit"] == git(mono_repo, "rev-parse", "HEAD").strip()
    mermaid = trail(mono_repo, "lineage", "proj:model", "--mermaid").stdout
    assert mermaid.startswith("```mermaid\nflowchart LR") and "proj:cleaned@v0.0.1" in mermaid
    assert "digraph lineage" in trail(mono_repo, "lineage", "proj:model", "--dot").stdout
    human = trail(mono_repo, "lineage", "proj:model").stdout
    assert "imported from https://example.com/data.git" in human and "= proj:cleaned@v0.0.1" in human


def test_impact_and_cache(mono_repo: Path) -> None:
    trail(mono_repo, "register", "proj:model")
    trail(mono_repo, "assign", "proj:model@v0.0.1", "prod")
    lock = (mono_repo / "proj" / "dvc.lock").read_text().replace(MD5["a"], MD5["h"]).replace(MD5["f"], MD5["g"])
    (mono_repo / "proj" / "dvc.lock").write_text(lock)
    commit_all(mono_repo, "new labels")
    trail(mono_repo, "register", "proj:model")
    old = json.loads(trail(mono_repo, "impact", "proj/raw/labels.csv", "--md5", MD5["a"], "--json").stdout)
    assert [(m["name"], m["version"], m["stages"]) for m in old] == [("proj:model", "v0.0.1", ["prod"])]
    assert set(old[0]) >= {"name", "version", "commit", "stages"}
    new = json.loads(trail(mono_repo, "impact", "proj/raw/labels.csv", "--json").stdout)  # hash at HEAD
    assert [m["version"] for m in new] == ["v0.0.2"]
    assert json.loads(trail(mono_repo, "impact", "proj/raw/labels.csv", "--rev", "HEAD~1", "--json").stdout) == old
    both = json.loads(trail(mono_repo, "impact", "proj/fit.py", "--json").stdout)
    assert [m["version"] for m in both] == ["v0.0.1", "v0.0.2"]
    prod = json.loads(trail(mono_repo, "impact", "proj/fit.py", "--stage", "prod", "--json").stdout)
    assert [m["version"] for m in prod] == ["v0.0.1"]
    cache = Path(git(mono_repo, "rev-parse", "--git-common-dir").strip())
    cache_file = (
        (mono_repo / cache / "trail" / "locks-v1.json")
        if not cache.is_absolute()
        else cache / "trail" / "locks-v1.json"
    )
    assert cache_file.is_file()
    cache_file.write_text("{not json")
    assert json.loads(trail(mono_repo, "impact", "proj/fit.py", "--json").stdout) == both
    cache_file.unlink()
    assert json.loads(trail(mono_repo, "impact", "proj/fit.py", "--json").stdout) == both
    missing = trail(mono_repo, "impact", "nope.csv", check=False)
    assert missing.returncode == 1 and "no hash for nope.csv" in missing.stderr


def test_malformed_and_missing_lock(mono_repo: Path) -> None:
    trail(mono_repo, "register", "proj:model")
    (mono_repo / "proj" / "dvc.lock").write_text("stages: [broken\n")
    sha = commit_all(mono_repo, "broken lock")
    git(
        mono_repo, "tag", "-a", "-m", "Registering artifact proj:model version v0.1.0", "proj=model@v0.1.0"
    )  # as gto would
    proc = trail(mono_repo, "lineage", f"proj:model@{sha[:7]}", check=False)
    assert proc.returncode == 1 and f"proj/dvc.lock at {sha[:7]}" in proc.stderr and "Traceback" not in proc.stderr
    (mono_repo / "proj" / "dvc.lock").unlink()
    sha = commit_all(mono_repo, "no lock")
    proc = trail(mono_repo, "lineage", f"proj:model@{sha[:7]}", check=False)
    assert proc.returncode == 1 and "proj/dvc.lock is missing" in proc.stderr
    ok = trail(mono_repo, "impact", "proj/fit.py", "--md5", MD5["d"], "--json")
    assert [m["version"] for m in json.loads(ok.stdout)] == ["v0.0.1"]
    assert "warning: skipped malformed YAML in proj/dvc.lock at" in ok.stderr


def test_lineage_vs_and_card_on_a_real_pipeline(example_repo: Path) -> None:
    dvc(example_repo, "repro")
    commit_all(example_repo, "v1")
    trail(example_repo, "register", "iris-data", "--version", "v1.0.0")
    trail(example_repo, "register", "iris-model", "--version", "v1.0.0")
    params = (example_repo / "params.yaml").read_text()
    (example_repo / "params.yaml").write_text(params.replace("test_size: 0.25", "test_size: 0.3"))
    dvc(example_repo, "repro")
    commit_all(example_repo, "v2")
    trail(example_repo, "register", "iris-data", "--version", "v1.1.0")
    trail(example_repo, "register", "iris-model", "--version", "v1.1.0")
    changes = json.loads(
        trail(example_repo, "lineage", "iris-model@v1.1.0", "--vs", "iris-model@v1.0.0", "--json").stdout
    )
    kinds = {(c["stage"], c["kind"], c.get("path")) for c in changes["changes"]}
    assert ("prepare", "param", "params.yaml:prepare.test_size") in kinds
    assert ("train", "dep", "data/prepared") in kinds
    dep = next(c for c in changes["changes"] if c["kind"] == "dep" and c["path"] == "data/prepared")
    assert dep["old_versions"] == ["iris-data@v1.0.0"] and dep["new_versions"] == ["iris-data@v1.1.0"]
    text = trail(example_repo, "lineage", "iris-model@v1.1.0", "--vs", "iris-model@v1.0.0").stdout
    assert "iris-data@v1.0.0 -> iris-data@v1.1.0" in text
    report = trail(example_repo, "report", "--base", "HEAD~1", "--head", "HEAD").stdout
    assert (
        "### What changed upstream" in report and "`iris-model` prepare: param params.yaml:prepare.test_size" in report
    )
    card = trail(example_repo, "card", "iris-model@v1.1.0").stdout
    for expected in (
        "# iris-model v1.1.0",
        "| License | Apache-2.0 |",
        "accuracy",
        "prepare.test_size",
        "iris-data@v1.1.0",
    ):
        assert expected in card, expected
