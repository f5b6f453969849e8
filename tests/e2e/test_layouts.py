"""Repositories laid out the way DVC's get-started example, DVC's docs and dvclive lay them out, with the real DVC."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.fixtures.layouts import (
    EVALUATE,
    GET_STARTED,
    TRAIN,
    copy_without_cache,
    new_project,
    set_lr,
    write,
    write_wdir_and_nested,
)
from tests.fixtures.repos import commit_all, dvc, git, gto, refs_snapshot, run, trail


def without_noise(value: object) -> object:
    """Round floats so DVC's `0.007000000000000006` and trail's `0.007` compare equal."""
    if isinstance(value, dict):
        return {k: without_noise(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 9)
    return value


@pytest.fixture(scope="module")
def get_started(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DVC's get-started layout: `evaluate` outputs the cached folder `eval/`, metrics and plots inside it.

    Two versions of `model` registered (v0.0.1, v0.0.2), data pushed to a local DVC remote.
    """
    repo = new_project(tmp_path_factory.mktemp("get-started") / "repo")
    write(repo, {"train.py": TRAIN, "evaluate.py": EVALUATE, "dvc.yaml": GET_STARTED})
    dvc(repo, "remote", "add", "-d", "local", str(repo.parent / "storage"))
    for lr in (0.01, 0.05):
        set_lr(repo, lr)
        dvc(repo, "repro", "--quiet")
        commit_all(repo, f"lr {lr}")
        trail(repo, "register", "model")
        dvc(repo, "push", "--quiet")
    return repo


def test_cached_metrics_diff_equals_dvc(get_started: Path) -> None:
    ours = json.loads(trail(get_started, "diff", "HEAD~1", "HEAD", "--json").stdout)
    theirs = json.loads(dvc(get_started, "metrics", "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert ours["metrics"] and without_noise(ours["metrics"]) == without_noise(theirs)
    params = json.loads(dvc(get_started, "params", "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert ours["params"] == params


def test_cached_metrics_in_show_metrics_card(get_started: Path) -> None:
    proc = trail(get_started, "show", "model@v0.0.2", "--json")
    show = json.loads(proc.stdout)
    assert show["metrics"]["eval/metrics.json"]["avg_prec.test"] == pytest.approx(0.85) and not proc.stderr
    rows = json.loads(trail(get_started, "metrics", "model", "--json").stdout)
    assert [r["metrics"]["eval/metrics.json"]["roc_auc"] for r in rows] == [0.7, 0.7]
    assert "avg_prec.train" in trail(get_started, "card", "model@v0.0.1").stdout


def test_missing_cache_is_named_never_no_change(get_started: Path, tmp_path: Path) -> None:
    repo = copy_without_cache(get_started, tmp_path / "clone")
    proc = trail(repo, "diff", "HEAD~1", "HEAD")
    assert "eval/metrics.json at HEAD~1 (" in proc.stderr and "eval/metrics.json at HEAD (" in proc.stderr
    assert "dvc pull" in proc.stderr and "--fetch" in proc.stderr
    assert "No metrics changed" not in proc.stdout and "could not be read" in proc.stdout
    assert json.loads(trail(repo, "diff", "HEAD~1", "HEAD", "--json").stdout)["metrics"] == {}
    gated = trail(repo, "diff", "HEAD~1", "HEAD", "--fail-on", "roc_auc<-0.1", check=False)
    assert gated.returncode == 1 and "could not read eval/metrics.json" in gated.stderr
    assert "No metric changed" not in trail(repo, "diff", "HEAD~1", "HEAD", "--md").stdout
    shown = trail(repo, "show", "model@v0.0.1")
    assert "eval/metrics.json at model@v0.0.1" in shown.stderr and "dvc pull" in shown.stderr
    assert "eval/metrics.json at model@v0.0.2" in trail(repo, "metrics", "model").stderr
    trail(repo, "assign", "model@v0.0.1", "prod")
    before = refs_snapshot(repo)
    blocked = trail(repo, "assign", "model@v0.0.2", "prod", "--require-better", "roc_auc", check=False)
    assert blocked.returncode == 1 and "eval/metrics.json" in blocked.stderr and "dvc pull" in blocked.stderr
    assert refs_snapshot(repo) == before


def test_fetch_downloads_just_the_metrics_objects(get_started: Path, tmp_path: Path) -> None:
    repo = copy_without_cache(get_started, tmp_path / "clone")
    ours = json.loads(trail(repo, "diff", "HEAD~1", "HEAD", "--json", "--fetch").stdout)
    theirs = json.loads(dvc(get_started, "metrics", "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert without_noise(ours["metrics"]) == without_noise(theirs)
    cached = sorted(p.name for p in (repo / ".dvc" / "cache").rglob("*") if p.is_file())
    assert len(cached) == 4  # two `.dir` manifests and two metrics.json: no model, no plots
    rows = json.loads(trail(repo, "metrics", "model", "--json").stdout)
    assert all(r["metrics"] for r in rows)


def test_corrupt_or_hostile_cache_entries(get_started: Path, tmp_path: Path) -> None:
    repo = tmp_path / "clone"
    shutil.copytree(get_started, repo, symlinks=True)
    lock = (repo / "dvc.lock").read_text()
    manifest = next(p for p in (repo / ".dvc" / "cache").rglob("*.dir"))
    manifest.chmod(0o644)
    manifest.write_text('[{"md5": "../../../../etc/passwd", "relpath": "metrics.json"}]')
    proc = trail(repo, "diff", "HEAD~1", "HEAD", check=False)
    assert proc.returncode == 1 and "corrupt" in proc.stderr and "Traceback" not in proc.stderr
    eval_md5 = yaml.safe_load(lock)["stages"]["evaluate"]["outs"][0]["md5"]
    (repo / "dvc.lock").write_text(lock.replace(eval_md5, "../../x.dir"))
    commit_all(repo, "hostile lock")
    proc = trail(repo, "diff", "HEAD~1", "HEAD", check=False)
    assert proc.returncode == 1 and "malformed DVC hash" in proc.stderr


@pytest.fixture(scope="module")
def dvclive_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dvclive's own files: it writes dvclive/metrics.json, dvclive/params.yaml and their dvc.yaml entries."""
    repo = new_project(tmp_path_factory.mktemp("dvclive") / "repo")
    script = (
        "import sys\nfrom dvclive import Live\nlr = float(sys.argv[1])\n"
        "with Live(save_dvc_exp=False) as live:\n"
        "    live.log_params({'lr': lr, 'epochs': 2})\n"
        "    for step in range(2):\n"
        "        live.log_metric('acc', 0.5 + lr * step)\n"
        "        live.next_step()\n"
        "    open('model.pkl', 'w').write(str(lr))\n"
        "    live.log_artifact('model.pkl', type='model', name='model')\n"
    )
    write(repo, {"train.py": script})
    for lr in ("0.1", "0.2"):
        run([sys.executable, "train.py", lr], repo)
        commit_all(repo, f"lr {lr}")
        trail(repo, "register", "model")
    return repo


def test_dvclive_files(dvclive_repo: Path) -> None:
    declared = yaml.safe_load((dvclive_repo / "dvc.yaml").read_text())
    assert declared["metrics"] == ["dvclive/metrics.json"] and declared["params"] == ["dvclive/params.yaml"]
    ours = json.loads(trail(dvclive_repo, "diff", "HEAD~1", "HEAD", "--json").stdout)
    theirs = json.loads(dvc(dvclive_repo, "metrics", "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert ours["metrics"] and without_noise(ours["metrics"]) == without_noise(theirs)
    assert ours["params"] == json.loads(dvc(dvclive_repo, "params", "diff", "HEAD~1", "HEAD", "--json").stdout)
    show = json.loads(trail(dvclive_repo, "show", "model", "--json").stdout)
    assert show["metrics"]["dvclive/metrics.json"]["acc"] == pytest.approx(0.7)
    assert show["hash"]["source"] == "model.pkl.dvc"
    rows = json.loads(trail(dvclive_repo, "metrics", "model", "--json").stdout)
    assert [r["metrics"]["dvclive/metrics.json"]["acc"] for r in rows] == [pytest.approx(0.6), pytest.approx(0.7)]


@pytest.fixture(scope="module")
def wdir_nested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `wdir: sub` stage (its dvc.lock paths relative to sub/) and a pipeline in `nested/` whose output is
    declared as an artifact in the root dvc.yaml."""
    repo = new_project(tmp_path_factory.mktemp("wdir") / "repo")
    write_wdir_and_nested(repo)
    dvc(repo, "repro", "--quiet", "--all-pipelines")
    commit_all(repo, "first")
    trail(repo, "register", "model")
    trail(repo, "register", "features")
    write(repo, {"nested/raw.csv": "a,b\n3,4\n", "sub/params.yaml": {"lr": 0.2}})
    dvc(repo, "repro", "--quiet", "--all-pipelines")
    commit_all(repo, "second")
    trail(repo, "register", "model")
    trail(repo, "register", "features")
    return repo


def test_wdir_and_nested_register_show_diff(wdir_nested: Path) -> None:
    lock = yaml.safe_load((wdir_nested / "dvc.lock").read_text())
    model_md5 = lock["stages"]["train"]["outs"][0]["md5"]
    nested_lock = yaml.safe_load((wdir_nested / "nested" / "dvc.lock").read_text())
    features_md5 = nested_lock["stages"]["featurize"]["outs"][0]["md5"]
    model = json.loads(trail(wdir_nested, "show", "model@v0.0.2", "--json").stdout)
    assert model["hash"]["md5"] == model_md5 and model["hash"]["stage"] == "train"
    assert model["metrics"] == {"sub/metrics.json": {"acc": 0.2}}
    features = json.loads(trail(wdir_nested, "show", "features@v0.0.2", "--json").stdout)
    assert features["hash"]["md5"] == features_md5 and features["hash"]["source"] == "nested/dvc.lock"
    ours = json.loads(trail(wdir_nested, "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert ours["metrics"] == json.loads(dvc(wdir_nested, "metrics", "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert ours["params"] == json.loads(dvc(wdir_nested, "params", "diff", "HEAD~1", "HEAD", "--json").stdout)


def test_wdir_and_nested_lineage_and_impact(wdir_nested: Path) -> None:
    info = json.loads(trail(wdir_nested, "lineage", "model@v0.0.2", "--json").stdout)
    assert [s["stage"] for s in info["stages"]] == ["nested/dvc.yaml:featurize", "train"]
    inputs = {i["path"]: i for i in info["inputs"]}
    assert set(inputs) == {"sub/train.py", "nested/featurize.py", "nested/raw.csv"}
    deps = {d["path"]: d for s in info["stages"] for d in s["deps"]}
    assert deps["nested/out"]["versions"] == ["features@v0.0.2"]
    assert json.loads(trail(wdir_nested, "lineage", "features@v0.0.1", "--json").stdout)["md5"]
    impacted = json.loads(trail(wdir_nested, "impact", "nested/raw.csv", "--json").stdout)
    assert [(m["name"], m["version"]) for m in impacted] == [("features", "v0.0.2"), ("model", "v0.0.2")]
    old = json.loads(trail(wdir_nested, "impact", "nested/raw.csv", "--rev", "HEAD~1", "--json").stdout)
    assert [(m["name"], m["version"]) for m in old] == [("features", "v0.0.1"), ("model", "v0.0.1")]
    assert json.loads(trail(wdir_nested, "impact", "sub/train.py", "--json").stdout)[0]["name"] == "model"


def test_impact_md5_prefixes(wdir_nested: Path) -> None:
    nested_lock = yaml.safe_load((wdir_nested / "nested" / "dvc.lock").read_text())
    md5 = next(d["md5"] for d in nested_lock["stages"]["featurize"]["deps"] if d["path"] == "raw.csv")
    full = json.loads(trail(wdir_nested, "impact", "nested/raw.csv", "--md5", md5, "--json").stdout)
    assert [m["version"] for m in full] == ["v0.0.2", "v0.0.2"]
    for given in (md5[:8], md5.upper(), md5[:7].upper()):
        assert json.loads(trail(wdir_nested, "impact", "nested/raw.csv", "--md5", given, "--json").stdout) == full
    before = refs_snapshot(wdir_nested)
    for bad in ("zz;x", md5[:6], "", md5 + "0"):
        proc = trail(wdir_nested, "impact", "nested/raw.csv", "--md5", bad, check=False)
        assert proc.returncode == 2 and proc.stderr.startswith("trail: error:") and "Traceback" not in proc.stderr
    assert refs_snapshot(wdir_nested) == before


def test_impact_md5_dir_suffix_and_ambiguous(wdir_nested: Path) -> None:
    nested_lock = yaml.safe_load((wdir_nested / "nested" / "dvc.lock").read_text())
    md5 = nested_lock["stages"]["featurize"]["outs"][0]["md5"]
    assert md5.endswith(".dir")
    for given in (md5, md5.removesuffix(".dir"), md5[:9] + ".dir", md5[:9].upper()):
        found = json.loads(trail(wdir_nested, "impact", "nested/out", "--md5", given, "--json").stdout)
        assert [(m["name"], m["version"]) for m in found] == [("features", "v0.0.2"), ("model", "v0.0.2")]


COUNT = "import pathlib\ntext = open('data/iris.csv').read()\npathlib.Path('count.txt').write_text(str(len(text)))\n"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data set brought in with `dvc import` from another local git repository, declared as an artifact."""
    base = tmp_path_factory.mktemp("import")
    source = new_project(base / "source")
    dvc(source, "remote", "add", "-d", "local", str(base / "source-storage"))
    write(source, {"data/iris.csv": "a,b\n1,2\n"})
    dvc(source, "add", "--quiet", "data/iris.csv")
    commit_all(source, "data")
    dvc(source, "push", "--quiet")
    repo = new_project(base / "repo")
    (repo / "data").mkdir()
    dvc(repo, "import", "--quiet", str(source), "data/iris.csv", "-o", "data/iris.csv")
    write(
        repo,
        {
            "count.py": COUNT,
            "dvc.yaml": {
                "stages": {
                    "count": {"cmd": "python count.py", "deps": ["count.py", "data/iris.csv"], "outs": ["count.txt"]}
                },
                "artifacts": {
                    "iris": {"path": "data/iris.csv", "type": "data"},
                    "counter": {"path": "count.txt", "type": "model"},
                },
            },
        },
    )
    dvc(repo, "repro", "--quiet")
    commit_all(repo, "import")
    trail(repo, "register", "iris")
    trail(repo, "register", "counter")
    return repo


def test_dvc_import(imported: Path) -> None:
    dvcfile = yaml.safe_load((imported / "data" / "iris.csv.dvc").read_text())
    md5 = dvcfile["outs"][0]["md5"]
    show = json.loads(trail(imported, "show", "iris", "--json").stdout)
    assert show["hash"]["md5"] == md5 and show["hash"]["source"] == "data/iris.csv.dvc"
    info = json.loads(trail(imported, "lineage", "counter", "--json").stdout)
    entry = next(i for i in info["inputs"] if i["path"] == "data/iris.csv")
    assert entry["kind"] == "artifact" and entry["versions"] == ["iris@v0.0.1"]
    found = json.loads(trail(imported, "impact", "data/iris.csv", "--md5", md5[:8], "--json").stdout)
    assert [m["name"] for m in found] == ["counter", "iris"]  # iris: its own .dvc file records that hash


def test_ls_name_equals_gto_show_name(get_started: Path, tmp_path: Path) -> None:
    repo = tmp_path / "clone"
    shutil.copytree(get_started, repo, symlinks=True)
    trail(repo, "assign", "model@v0.0.1", "prod")
    trail(repo, "assign", "model@v0.0.2", "staging")
    commit_all(repo, "third")
    trail(repo, "register", "model", "--bump-minor")
    trail(repo, "deregister", "model@v0.0.2")
    ours = json.loads(trail(repo, "ls", "model", "--json").stdout)
    assert ours == json.loads(gto(repo, "show", "model", "--json").stdout)
    assert [v["version"] for v in ours] == ["v0.1.0", "v0.0.1"]  # as gto: deregistered versions only with --all
    every = json.loads(trail(repo, "ls", "model", "--json", "--all").stdout)
    assert every == json.loads(gto(repo, "show", "model", "--json", "--deprecated").stdout)
    assert [v["version"] for v in every] == ["v0.1.0", "v0.0.2", "v0.0.1"]
    table = trail(repo, "ls", "model").stdout
    assert "v0.1.0" in table and "prod" in table
    missing = trail(repo, "ls", "nope", check=False)
    assert missing.returncode != 0 and missing.stderr.startswith("trail: error:")


def test_ls_name_bare_commit_and_folder_names_equal_gto(tmp_path: Path) -> None:
    repo = new_project(tmp_path / "repo")
    write(repo, {"dvc.yaml": {"artifacts": {"m": {"path": "m.pkl"}}}})
    write(repo, {"team/nlp/dvc.yaml": {"artifacts": {"tagger": {"path": "model.bin"}}}})
    commit_all(repo, "declared")
    gto(repo, "assign", "m", "HEAD", "--stage", "dev")  # a bare commit holding a stage, no version
    trail(repo, "register", "team/nlp:tagger", check=False)  # no hash: refused, nothing written
    git(repo, "tag", "-a", "team/nlp=tagger@v0.0.1", "-m", "Registering artifact team/nlp:tagger version v0.0.1")
    for name in ("m", "team/nlp:tagger"):
        ours = json.loads(trail(repo, "ls", name, "--json").stdout)
        assert ours == json.loads(gto(repo, "show", name, "--json").stdout), name
    assert json.loads(trail(repo, "ls", "m", "--json").stdout)[0]["stages"][0]["stage"] == "dev"
