"""Metric and param diffs: the pure core, and end to end against the real `dvc metrics/params diff`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dvc_trail.errors import UsageError
from dvc_trail.metrics import diff as core
from dvc_trail.store.revisions import params_to_read, python_params
from tests.fixtures.repos import commit_all, dvc, git, refs_snapshot, trail


def test_subtract_has_no_float_noise() -> None:
    assert core.subtract(0.88, 0.873) == 0.007
    assert core.subtract(0.1, 0.3) == -0.2
    assert core.subtract(5, 3) == 2 and isinstance(core.subtract(5, 3), int)
    assert core.format_change({"old": 0.873, "new": 0.88, "diff": 0.007}) == "+0.007 (+0.8%)"


def test_diff_documents_in_dvc_shape() -> None:
    old = {"m.json": {"acc": 0.9, "n": 3, "tags": [1, 2], "same": 1}, "gone.json": {"x": 1}}
    new = {"m.json": {"acc": 0.95, "n": 3, "tags": [1, 3], "same": 1, "new": "a"}}
    assert core.diff_documents(old, new) == {
        "m.json": {
            "acc": {"old": 0.9, "new": 0.95, "diff": 0.05},
            "tags": {"old": "[1, 2]", "new": "[1, 3]"},
            "new": {"old": None, "new": "a"},
        },
        "gone.json": {"x": {"old": 1, "new": None}},
    }
    assert core.diff_documents(old, new, all_values=True)["m.json"]["same"] == {"old": 1, "new": 1, "diff": 0}


@pytest.mark.parametrize(
    ("rule", "old", "new", "breached"),
    [
        ("acc<-0.01", 0.90, 0.88, True),
        ("acc<-0.01", 0.90, 0.895, False),
        ("loss>+5%", 0.20, 0.22, True),
        ("loss>+5%", 0.20, 0.18, False),  # a drop in loss is good
        ("m.json:acc<-0.01", 0.90, 0.85, True),
        ("loss>+5%", 0.0, 0.3, True),  # from zero, any rise is infinitely relative
        ("loss>+5%", 0.0, 0.0, False),
    ],
)
def test_gates(rule: str, old: float, new: float, breached: bool) -> None:
    key = rule.split("<")[0].split(">")[0].split(":")[-1]
    results = core.check_gates([core.parse_gate(rule)], {"m.json": {key: old}}, {"m.json": {key: new}})
    assert [r.breached for r in results] == [breached]


def test_gate_syntax_and_unknown_metric() -> None:
    with pytest.raises(UsageError):
        core.parse_gate("acc is lower")
    (result,) = core.check_gates([core.parse_gate("nope<0")], {"m.json": {"acc": 1}}, {"m.json": {"acc": 1}})
    assert result.breached and "no such metric" in result.message


def test_directions() -> None:
    assert core.lower_is_better("loss") and core.lower_is_better("val.rmse")
    assert not core.lower_is_better("accuracy")
    assert not core.lower_is_better("loss", {"loss": "higher"})


def test_params_collection_like_dvc() -> None:
    docs = {
        "dvc.yaml": {
            "stages": {
                "train": {"params": ["train.lr", {"conf/model.toml": ["depth"]}, {"extra.json": None}]},
                "loop": {"foreach": [1, 2], "do": {"params": ["loop.x"]}},
            },
            "params": ["global.yaml"],
        }
    }
    assert params_to_read(docs, root_params_exists=True) == {
        "params.yaml": None,
        "conf/model.toml": {"depth"},
        "extra.json": None,
        "global.yaml": None,
    }
    assert python_params(b"LR = 0.1\nclass Train:\n    depth = 3\nx = f()\n", "p.py") == {
        "LR": 0.1,
        "Train": {"depth": 3},
    }


def _write(repo: Path, files: dict[str, object]) -> None:
    for rel, content in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))


@pytest.fixture
def metrics_repo(example_repo: Path) -> Path:
    """Two commits that change metrics in JSON, YAML and TOML, and params in YAML, TOML and Python files."""
    spec = yaml.safe_load((example_repo / "dvc.yaml").read_text())
    spec["metrics"] = ["metrics/scores.json", "metrics/extra.yaml", "metrics/perf.toml"]
    spec["stages"]["train"]["params"] += [{"conf/model.toml": ["optimizer"]}, {"conf/params.py": ["Model"]}]
    (example_repo / "dvc.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    _write(
        example_repo,
        {
            "metrics/scores.json": {"accuracy": 0.873, "loss": 0.2, "per_class": {"a": 0.5, "b": 0.7}, "top": [1, 2]},
            "metrics/extra.yaml": "auc: 0.91\nnested:\n  depth: {f1: 0.6}\n",
            "metrics/perf.toml": "latency_ms = 12.5\n[memory]\npeak_mb = 300\n",
            "conf/model.toml": "optimizer = {name = 'adam', lr = 0.001}\nunused = 1\n",
            "conf/params.py": "class Model:\n    layers = 2\n    act = 'relu'\nOTHER = 5\n",
        },
    )
    commit_all(example_repo, "base metrics")
    params = (example_repo / "params.yaml").read_text().replace("n_estimators: 50", "n_estimators: 80")
    (example_repo / "params.yaml").write_text(params)
    _write(
        example_repo,
        {
            "metrics/scores.json": {"accuracy": 0.88, "loss": 0.19, "per_class": {"a": 0.55, "b": 0.7}, "top": [1, 3]},
            "metrics/extra.yaml": "auc: 0.93\nnested:\n  depth: {f1: 0.61}\n",
            "metrics/perf.toml": "latency_ms = 11.0\n[memory]\npeak_mb = 310\n",
            "conf/model.toml": "optimizer = {name = 'sgd', lr = 0.01}\nunused = 2\n",
            "conf/params.py": "class Model:\n    layers = 3\n    act = 'relu'\nOTHER = 6\n",
        },
    )
    commit_all(example_repo, "better model")
    return example_repo


def _approx(doc: dict) -> object:
    return {
        p: {k: {f: pytest.approx(v) if isinstance(v, float) else v for f, v in e.items()} for k, e in keys.items()}
        for p, keys in doc.items()
    }


def test_json_equals_dvc_metrics_and_params_diff(metrics_repo: Path) -> None:
    for extra in ([], ["--all"]):
        ours = json.loads(trail(metrics_repo, "diff", "HEAD~1", "HEAD", "--json", *extra).stdout)
        metrics = json.loads(dvc(metrics_repo, "metrics", "diff", "HEAD~1", "HEAD", "--json", *extra).stdout)
        params = json.loads(dvc(metrics_repo, "params", "diff", "HEAD~1", "HEAD", "--json", *extra).stdout)
        assert ours["metrics"] == _approx(metrics)
        assert ours["params"] == _approx(params)
    assert ours["metrics"]["metrics/scores.json"]["accuracy"]["diff"] == 0.007
    assert "Model.layers" in ours["params"]["conf/params.py"]


def test_default_is_head_against_workspace(metrics_repo: Path) -> None:
    _write(metrics_repo, {"metrics/scores.json": {"accuracy": 0.5, "loss": 0.19, "per_class": {"a": 0.55, "b": 0.7}}})
    ours = json.loads(trail(metrics_repo, "diff", "--json").stdout)
    theirs = json.loads(dvc(metrics_repo, "metrics", "diff", "--json").stdout)
    assert ours["metrics"] == _approx(theirs)
    human = trail(metrics_repo, "diff").stdout
    assert "-0.38" in human and "workspace" in human


def test_registry_refs_and_gates(metrics_repo: Path) -> None:
    trail(metrics_repo, "register", "iris-model", "--rev", "HEAD~1", "--version", "v1.0.0")
    trail(metrics_repo, "register", "iris-model", "--version", "v1.1.0")
    trail(metrics_repo, "assign", "iris-model@v1.0.0", "prod")
    ok = trail(
        metrics_repo,
        "diff",
        "iris-model#prod",
        "iris-model@v1.1.0",
        "--fail-on",
        "loss>+5%",
        "--fail-on",
        "accuracy<-0.01",
    )
    assert "ok" in ok.stdout
    failed = trail(
        metrics_repo, "diff", "iris-model@v1.1.0", "iris-model#prod", "--fail-on", "accuracy<-0.005", check=False
    )
    assert failed.returncode == 1 and "gate failed: accuracy<-0.005" in failed.stderr
    (metrics_repo / "trail.yaml").write_text("gates:\n  - auc<-0.01\ndirections:\n  auc: higher\n")
    assert trail(metrics_repo, "diff", "HEAD", "HEAD~1").returncode == 0  # gates come from A's trail.yaml
    commit_all(metrics_repo, "declare gates")
    failed = trail(metrics_repo, "diff", "HEAD", "HEAD~2", check=False)
    assert failed.returncode == 1 and "auc<-0.01" in failed.stderr
    (metrics_repo / "metrics" / "perf.toml").unlink()
    gone = trail(metrics_repo, "diff", "HEAD", "workspace", "--fail-on", "latency_ms<-100", check=False)
    assert gone.returncode == 1 and "latency_ms<-100: FAILED" in gone.stderr  # a vanished metric never passes
    bad = trail(metrics_repo, "diff", "HEAD", "--fail-on", "accuracy is worse", check=False)
    assert bad.returncode == 2 and "invalid gate" in bad.stderr


def test_report_markdown(metrics_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    trail(metrics_repo, "report", "--base", "HEAD~1", "--head", "HEAD", "-o", str(out), "--fail-on", "accuracy<-0.01")
    text = out.read_text()
    assert text.startswith("<!-- trail-report -->")
    assert "| metrics/scores.json | accuracy | 0.873 | 0.88 | 🟢 ▲ +0.007 (+0.8%) |" in text
    assert "| metrics/perf.toml | latency_ms | 12.5 | 11 | 🟢 ▼ -1.5 (-12.0%) |" in text
    assert "train.n_estimators" in text and "✅ accuracy<-0.01" in text


def test_promotion_gate_refuses_a_worse_candidate(metrics_repo: Path) -> None:
    trail(metrics_repo, "register", "iris-model", "--rev", "HEAD~1", "--version", "v1.0.0")
    trail(metrics_repo, "register", "iris-model", "--version", "v1.1.0")
    trail(metrics_repo, "assign", "iris-model@v1.1.0", "prod")
    before = refs_snapshot(metrics_repo)
    proc = trail(metrics_repo, "assign", "iris-model@v1.0.0", "prod", "--require-better", "accuracy", check=False)
    assert proc.returncode == 1 and "worse on accuracy" in proc.stderr
    assert refs_snapshot(metrics_repo) == before
    proc = trail(metrics_repo, "assign", "iris-model@v1.0.0", "prod", "--require-better", "loss", check=False)
    assert proc.returncode == 1  # loss 0.2 vs 0.19: higher loss is worse
    trail(metrics_repo, "assign", "iris-model@v1.0.0", "staging", "--require-better", "accuracy")


def test_metrics_trend_and_plot(metrics_repo: Path, tmp_path: Path) -> None:
    trail(metrics_repo, "register", "iris-model", "--rev", "HEAD~1", "--version", "v1.0.0")
    trail(metrics_repo, "register", "iris-model", "--version", "v1.1.0")
    trail(metrics_repo, "assign", "iris-model@v1.1.0", "prod")
    rows = json.loads(trail(metrics_repo, "metrics", "iris-model", "--json").stdout)
    assert [r["version"] for r in rows] == ["v1.0.0", "v1.1.0"]
    assert rows[1]["stages"] == ["prod"] and rows[1]["metrics"]["metrics/scores.json"]["accuracy"] == 0.88
    assert set(rows[0]) == {"version", "commit", "created_at", "stages", "metrics"}
    trail(metrics_repo, "metrics", "iris-model", "--plot", str(tmp_path / "acc.svg"), "--metric", "accuracy")
    assert "<svg" in (tmp_path / "acc.svg").read_text() and "prod" in (tmp_path / "acc.html").read_text()
    assert "accuracy" in trail(metrics_repo, "metrics", "iris-model").stdout


def test_dvc_cached_metrics_are_read_from_the_cache(example_repo: Path) -> None:
    spec = yaml.safe_load((example_repo / "dvc.yaml").read_text())
    spec["stages"]["score"] = {
        "cmd": "python -c \"import json; json.dump({'auc': 0.8}, open('cached.json', 'w'))\"",
        "metrics": [{"cached.json": {"cache": True}}],
    }
    (example_repo / "dvc.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    dvc(example_repo, "repro", "score")
    commit_all(example_repo, "cached metric")
    assert "cached.json" in git(example_repo, "check-ignore", "cached.json")
    ours = json.loads(trail(example_repo, "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert ours["metrics"]["cached.json"] == {"auc": {"old": None, "new": 0.8}}
    theirs = json.loads(dvc(example_repo, "metrics", "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert ours["metrics"] == theirs
