"""`trail site`: the JSON API equals the CLI and gto, output is deterministic and incremental, secrets stay out."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest

from dvc_trail.dvcfiles.documents import load_yaml
from dvc_trail.dvcfiles.locks import parse_lock
from dvc_trail.site import lockscan, paths
from dvc_trail.site.sources import web_url
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
from tests.fixtures.repos import ROOT, commit_all, git, gto, register_added_file_and_subfolder_artifacts, trail
from tests.fixtures.sites import HOSTILE_DESC, HOSTILE_MESSAGE, build, example_registry, generated_registry


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_api_equals_cli_and_gto(example_repo: Path, tmp_path: Path) -> None:
    repo = example_registry(example_repo)
    out = tmp_path / "site"
    build(repo, out)
    api = out / "api" / "v1"
    assert json.loads((api / "registry.json").read_text()) == json.loads(gto(repo, "show", "--json").stdout)
    assert json.loads((api / "history.json").read_text()) == json.loads(trail(repo, "history", "--json").stdout)
    for ref in ("iris-model@v1.0.0", "iris-model@v1.1.0", "iris-data@v1.0.0", "scores@v0.0.1"):
        name, version = ref.split("@")
        mine = json.loads((out / paths.version_api(name, version)).read_text())
        assert mine["show"] == json.loads(trail(repo, "show", ref, "--json").stdout)
        lineage = json.loads(trail(repo, "lineage", ref, "--json").stdout)
        for entry in lineage["inputs"]:
            entry.pop("last_commit", None)  # the site leaves out the per-version `git log`
        assert mine["lineage"] == lineage
        assert mine["path"] == mine["show"]["path"] and mine["hash"] == mine["show"]["hash"]
        assert mine["remote"] == {"name": "local", "url": "../.dvc-storage"}
    model = json.loads((out / paths.artifact_api("iris-model")).read_text())
    assert [v["version"] for v in model["versions"]] == ["v1.1.0", "v1.0.0"]
    assert model["stages"] == {"prod": "v1.0.0", "staging": "v1.1.0"}
    v11 = json.loads((out / paths.version_api("iris-model", "v1.1.0")).read_text())
    assert v11["previous"] == "v1.0.0" and v11["changes"]["metrics"]
    assert v11["lineage"]["stages"][1]["deps"][0]["versions"] == ["iris-data@v1.0.0"]


def test_escaped_deterministic_incremental(example_repo: Path, tmp_path: Path) -> None:
    repo = example_registry(example_repo)
    one, two = tmp_path / "one", tmp_path / "two"
    build(repo, one)
    shutil.rmtree(repo / git(repo, "rev-parse", "--git-common-dir").strip() / "trail")
    build(repo, two)
    assert files(one) == files(two)  # same repository, same bytes, with or without the cache
    pages = b"".join(v for k, v in files(one).items() if k.endswith(".html"))
    assert HOSTILE_DESC.encode() not in pages and HOSTILE_MESSAGE.encode() not in pages
    assert b"&lt;script&gt;document.title" in pages and b"&lt;img src=x onerror=" in pages
    assert "Site in" in build(repo, one) and files(one) == files(two)
    assert "0 written, 0 removed" in build(repo, one)

    before = {k: (one / k).stat().st_mtime_ns for k in files(one)}
    commit_all(repo, "another")
    trail(repo, "register", "iris-model")
    trail(repo, "deregister", "iris-model@v1.0.0")
    report = build(repo, one)
    after = files(one)
    assert paths.version_page("iris-model", "v1.1.1") in after
    assert paths.version_page("iris-model", "v1.0.0") not in after
    assert paths.version_api("iris-model", "v1.0.0") not in after
    changed = {k for k in after if k in before and (one / k).stat().st_mtime_ns != before[k]}
    assert paths.version_page("iris-data", "v1.0.0") not in changed  # untouched pages keep their bytes and dates
    assert len(changed) + 2 <= 20, report
    build(repo, two)
    assert files(one) == files(two)


def test_credentials_never_reach_the_site(example_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = example_registry(example_repo)
    (repo / ".dvc" / "config").write_text(
        "[core]\n    remote = team\n['remote \"team\"']\n    url = https://tracked-user:tracked-pass@example.com/store\n"
    )
    commit_all(repo, "team remote")
    (repo / ".dvc" / "config.local").write_text(
        "['remote \"team\"']\n    url = https://local-user:SECRETLOCALPW@example.com/other\n"
        "    access_key_id = AKIASECRETLOCAL\n    secret_access_key = SECRETLOCALKEY\n    password = SECRETLOCALPW\n"
    )
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "SECRETFROMENV123")
    git(repo, "remote", "add", "origin", "https://someone:ORIGINTOKEN@github.com/org/models.git")
    out = tmp_path / "site"
    build(repo, out)
    everything = b"".join(files(out).values())
    for secret in (b"SECRETLOCAL", b"AKIASECRET", b"SECRETFROMENV", b"tracked-pass", b"local-user", b"/other"):
        assert secret not in everything
    assert b"ORIGINTOKEN" not in everything and b"someone" not in everything
    page = (out / paths.artifact_page("iris-model")).read_text()
    assert "trail get 'iris-model#prod' --repo https://github.com/org/models.git" in html.unescape(page)
    commit = git(repo, "rev-list", "-n1", "iris-model@v1.1.0").strip()
    assert f'href="https://github.com/org/models/commit/{commit}"' in page
    mine = json.loads((out / paths.version_api("iris-model", "v1.1.0")).read_text())
    assert mine["remote"] == {"name": "team", "url": "https://example.com/store"}


def test_refuses_a_folder_that_is_not_a_site(example_repo: Path, tmp_path: Path) -> None:
    repo = example_registry(example_repo)
    out = tmp_path / "mine"
    (out / "a").mkdir(parents=True)
    (out / "a" / "keep.txt").write_text("mine")
    proc = trail(repo, "site", "-o", str(out), check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("trail: error:") and "not empty" in proc.stderr
    assert (out / "a" / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in out.rglob("*")) == ["a", "keep.txt"]


def test_generated_registry_builds(tmp_path: Path) -> None:
    repo = generated_registry(tmp_path / "gen")
    out = tmp_path / "site"
    build(repo, out)
    registry = json.loads((out / "api" / "v1" / "registry.json").read_text())
    assert registry == json.loads(trail(repo, "ls", "--json").stdout)
    for name in registry:
        versions = json.loads(trail(repo, "metrics", name, "--json").stdout)
        assert all((out / paths.version_page(name, v["version"])).is_file() for v in versions)


def test_slugs_are_safe_and_reversible() -> None:
    for name in ("iris-model", "team/nlp:tagger", "a_b.c", "v1.0.0+build.1", "v2.0.0-rc.1"):
        slug = paths.slug(name)
        assert paths.unslug(slug) == name and "/" not in slug and ":" not in slug and slug.isascii()
    assert paths.version_page("team/nlp:tagger", "v1.0.0") == "a/team~2fnlp~3atagger/v1.0.0.html"
    assert paths.relative("a/x/v1.html", "index.html") == "../../index.html"


def test_lock_scan_equals_the_full_parse() -> None:
    text = (ROOT / "dvc.lock").read_text()
    for lockfile in ("dvc.lock", "sub/dvc.lock"):
        doc = load_yaml(text, "x")
        stages, _ = lockscan.scan(text, lockfile, "x")
        assert stages == parse_lock(doc, lockfile, "x")
    odd = text.replace("    - path: src/pipeline/prepare.py", "    - path: 'src/pipeline/prepare.py'")
    assert lockscan.scan(odd, "dvc.lock", "x")[0] == parse_lock(load_yaml(odd, "x"), "dvc.lock", "x")


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("git@github.com:org/models.git", "https://github.com/org/models"),
        ("https://user:token@github.com/org/models.git", "https://github.com/org/models"),
        ("ssh://git@gitlab.com/group/sub/models.git", "https://gitlab.com/group/sub/models"),
        ("https://example.com/org/models.git", None),
        ("/srv/git/models.git", None),
    ],
)
def test_repository_web_page(remote: str, expected: str | None) -> None:
    assert web_url(remote) == expected


def test_serve_previews_on_loopback(example_repo: Path, tmp_path: Path) -> None:
    import re
    import subprocess
    import sys
    import urllib.request

    repo = example_registry(example_repo)
    out = tmp_path / "site"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dvc_trail", "site", "-o", str(out), "--serve", "--port", "0"],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = ""
        while "Serving" not in line:
            line = proc.stdout.readline()
            assert line, "trail site --serve stopped"
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url is not None
        with urllib.request.urlopen(url[0] + "index.html", timeout=10) as response:
            assert b"iris-model" in response.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_folder_names_and_dvc_add_artifacts(example_repo: Path, tmp_path: Path) -> None:
    register_added_file_and_subfolder_artifacts(example_repo)
    trail(example_repo, "assign", "team/nlp:tagger@v0.0.1", "prod")
    out = tmp_path / "site"
    build(example_repo, out)
    assert (out / "a" / "team~2fnlp~3atagger" / "v0.0.1.html").is_file()
    for ref in ("team/nlp:tagger@v0.0.1", "labels@v0.0.1"):
        name, version = ref.rsplit("@", 1)
        mine = json.loads((out / paths.version_api(name, version)).read_text())
        assert mine["show"] == json.loads(trail(example_repo, "show", ref, "--json").stdout)
    index = (out / "index.html").read_text()
    assert 'href="a/team~2fnlp~3atagger/index.html"' in index and 'href="a/team~2fnlp~3atagger/v0.0.1.html"' in index


@pytest.fixture(scope="module")
def get_started(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DVC's get-started layout (metrics inside the cached folder `eval/`), two versions of `model` registered."""
    from tests.fixtures.repos import dvc

    repo = new_project(tmp_path_factory.mktemp("get-started") / "repo")
    write(repo, {"train.py": TRAIN, "evaluate.py": EVALUATE, "dvc.yaml": GET_STARTED})
    for lr in (0.01, 0.05):
        set_lr(repo, lr)
        dvc(repo, "repro", "--quiet")
        commit_all(repo, f"lr {lr}")
        trail(repo, "register", "model")
    return repo


def test_metrics_kept_in_the_dvc_cache(get_started: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(get_started, site)
    for version in ("v0.0.1", "v0.0.2"):
        mine = json.loads((site / paths.version_api("model", version)).read_text())
        assert mine["show"] == json.loads(trail(get_started, "show", f"model@{version}", "--json").stdout)
        assert mine["show"]["metrics"]["eval/metrics.json"]["roc_auc"] == 0.7
    assert 'data-metric="eval/metrics.json:avg_prec.test"' in (site / paths.artifact_page("model")).read_text()

    bare = copy_without_cache(get_started, tmp_path / "bare")  # a fresh clone before `dvc pull`
    shutil.rmtree(bare / ".git" / "trail", ignore_errors=True)
    proc = trail(bare, "site", "-o", str(tmp_path / "site2"))
    assert "eval/metrics.json at" in proc.stderr and "not in the local DVC cache" in proc.stderr
    mine = json.loads((tmp_path / "site2" / paths.version_api("model", "v0.0.2")).read_text())
    assert mine["show"]["metrics"] == {}
    shutil.copytree(get_started / ".dvc" / "cache", bare / ".dvc" / "cache")  # `dvc pull`: the next build has them
    proc = trail(bare, "site", "-o", str(tmp_path / "site2"))
    assert "not in the local DVC cache" not in proc.stderr
    mine = json.loads((tmp_path / "site2" / paths.version_api("model", "v0.0.2")).read_text())
    assert mine["show"]["metrics"]["eval/metrics.json"]["roc_auc"] == 0.7


def test_wdir_and_nested_pipelines_equal_the_core(tmp_path: Path) -> None:
    """Layouts the batched reader does not model (`wdir`, several pipelines) are answered by the core's queries."""
    from tests.fixtures.repos import dvc

    repo = new_project(tmp_path / "repo")
    write_wdir_and_nested(repo)
    dvc(repo, "repro", "--quiet", "--all-pipelines")
    commit_all(repo, "first")
    trail(repo, "register", "model")
    trail(repo, "register", "features")
    site = tmp_path / "site"
    proc = trail(repo, "site", "-o", str(site))
    assert "warning" not in proc.stderr
    for ref in ("model@v0.0.1", "features@v0.0.1"):
        name, version = ref.split("@")
        mine = json.loads((site / paths.version_api(name, version)).read_text())
        assert mine["show"] == json.loads(trail(repo, "show", ref, "--json").stdout)
        assert mine["lineage"] == json.loads(trail(repo, "lineage", ref, "--json").stdout)
    assert mine["show"]["hash"]["source"] == "nested/dvc.lock"
    assert 'data-metric="sub/metrics.json:acc"' in (site / paths.artifact_page("model")).read_text()
