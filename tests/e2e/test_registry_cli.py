"""End to end: the registry commands on real git repositories, read back by trail and by gto."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from tests.fixtures.repos import (
    commit_all,
    git,
    gto,
    refs_snapshot,
    register_added_file_and_subfolder_artifacts,
    run,
    trail,
)


def tag_message(repo: Path, tag: str) -> str:
    return git(repo, "for-each-ref", "--format=%(objecttype) %(contents)", f"refs/tags/{tag}").strip()


def test_register_defaults_and_bumps(example_repo: Path) -> None:
    assert "iris-model@v0.0.1" in trail(example_repo, "register", "iris-model").stdout
    assert tag_message(example_repo, "iris-model@v0.0.1") == "tag Registering artifact iris-model version v0.0.1"
    commit_all(example_repo, "second")
    trail(example_repo, "register", "iris-model")
    commit_all(example_repo, "third")
    trail(example_repo, "register", "iris-model", "--bump-minor", "-m", "better model")
    commit_all(example_repo, "fourth")
    trail(example_repo, "register", "iris-model", "--version", "v2.0.0-rc.1")
    registry = json.loads(trail(example_repo, "ls", "--json").stdout)
    assert registry["iris-model"]["version"] == "v2.0.0-rc.1"
    versions = [e["version"] for e in json.loads(trail(example_repo, "history", "iris-model", "--json").stdout)]
    assert versions == ["v2.0.0-rc.1", "v0.1.0", "v0.0.2", "v0.0.1"]
    assert tag_message(example_repo, "iris-model@v0.1.0") == "tag better model"


def test_stage_lifecycle_matches_gto(example_repo: Path) -> None:
    trail(example_repo, "register", "iris-model", "--version", "v1.0.0")
    trail(example_repo, "register", "iris-data", "--version", "v1.0.0")
    commit_all(example_repo, "next")
    trail(example_repo, "register", "iris-model")
    trail(example_repo, "assign", "iris-model@v1.0.0", "prod")
    trail(example_repo, "assign", "iris-model@v1.0.1", "staging")
    trail(example_repo, "assign", "iris-model@v1.0.1", "prod")
    assert json.loads(trail(example_repo, "ls", "--json").stdout)["iris-model"]["stage"] == {
        "prod": "v1.0.1",
        "staging": "v1.0.1",
    }
    trail(example_repo, "unassign", "iris-model@v1.0.1", "prod")
    trail(example_repo, "deregister", "iris-model@v1.0.1")
    trail(example_repo, "assign", "iris-data@v1.0.0", "prod")
    trail(example_repo, "deprecate", "iris-data")
    ours = json.loads(trail(example_repo, "ls", "--json").stdout)
    assert ours == json.loads(gto(example_repo, "show", "--json").stdout)
    assert ours["iris-model"] == {"version": "v1.0.0", "stage": {"prod": "v1.0.0"}, "registered": True, "active": True}
    assert "iris-data" not in ours
    with_deprecated = json.loads(trail(example_repo, "ls", "--json", "--all").stdout)
    assert with_deprecated == json.loads(gto(example_repo, "show", "--json", "--deprecated").stdout)
    assert git(example_repo, "tag", "-l", "iris-model#*").split() == [
        "iris-model#prod!#4",
        "iris-model#prod#1",
        "iris-model#prod#3",
        "iris-model#staging#2",
    ]


def test_history_and_check_ref_match_gto(example_repo: Path) -> None:
    trail(example_repo, "register", "iris-model")
    trail(example_repo, "assign", "iris-model@v0.0.1", "prod")
    for tag in ("iris-model@v0.0.1", "iris-model#prod#1", "refs/tags/iris-model#prod#1"):
        ours = json.loads(trail(example_repo, "check-ref", tag, "--json").stdout)
        assert ours == json.loads(gto(example_repo, "check-ref", tag, "--json").stdout)
    ours = json.loads(trail(example_repo, "history", "iris-model", "--json").stdout)
    theirs = json.loads(gto(example_repo, "history", "iris-model", "--json").stdout)
    assert ours == theirs
    assert trail(example_repo, "check-ref", "v1.0", check=False).returncode == 1


def test_reads_tags_written_by_gto(example_repo: Path) -> None:
    import time

    gto(example_repo, "register", "iris-model", "--version", "v1.0.0")
    time.sleep(1.1)  # gto dates tags to the second and ignores GIT_COMMITTER_DATE
    gto(example_repo, "assign", "iris-model", "--version", "v1.0.0", "--stage", "prod")
    commit_all(example_repo, "next")
    time.sleep(1.1)
    gto(example_repo, "register", "iris-model", "--bump-minor")
    time.sleep(1.1)
    gto(example_repo, "assign", "iris-model", "--version", "v1.1.0", "--stage", "prod")
    git(example_repo, "tag", "lightweight-tag")
    git(example_repo, "tag", "-a", "-m", "release", "v9.9.9")
    ours = json.loads(trail(example_repo, "ls", "--json").stdout)
    assert ours == json.loads(gto(example_repo, "show", "--json").stdout)
    assert ours["iris-model"]["stage"]["prod"] == "v1.1.0"
    shown = json.loads(trail(example_repo, "show", "iris-model#prod", "--json").stdout)
    assert shown["version"] == "v1.1.0" and shown["tag"] == "iris-model@v1.1.0"
    # trail continues gto's counter
    trail(example_repo, "assign", "iris-model@v1.0.0", "prod")
    assert "iris-model#prod#3" in git(example_repo, "tag", "-l")
    assert json.loads(gto(example_repo, "show", "--json").stdout)["iris-model"]["stage"]["prod"] == "v1.0.0"


def test_show_gives_hash_metadata_metrics_and_params(example_repo: Path) -> None:
    trail(example_repo, "register", "iris-model", "--version", "v1.0.0")
    trail(example_repo, "assign", "iris-model@v1.0.0", "prod")
    info = json.loads(trail(example_repo, "show", "iris-model#prod", "--json").stdout)
    lock = yaml.safe_load((example_repo / "dvc.lock").read_text())
    model_md5 = next(o["md5"] for o in lock["stages"]["train"]["outs"] if o["path"] == "models/model.pkl")
    assert info["hash"]["md5"] == model_md5 and info["path"] == "models/model.pkl"
    assert info["stages"] == ["prod"] and info["author"] == "Test Author"
    assert info["artifact"]["type"] == "model" and info["artifact"]["meta"]["license"] == "Apache-2.0"
    assert set(info["metrics"]["metrics/scores.json"]) >= {"accuracy", "loss"}
    assert "train.n_estimators" in info["params"]["params.yaml"]
    human = trail(example_repo, "show", "iris-model").stdout
    assert "v1.0.0" in human and model_md5 in human and "accuracy" in human


def test_dvc_add_files_and_subfolder_projects(example_repo: Path) -> None:
    register_added_file_and_subfolder_artifacts(example_repo)
    assert "team/nlp=tagger@v0.0.1" in git(example_repo, "tag", "-l")
    info = json.loads(trail(example_repo, "show", "team/nlp:tagger", "--json").stdout)
    assert info["hash"]["md5"] == "0123456789abcdef0123456789abcdef" and info["path"] == "team/nlp/model.bin"
    labels = json.loads(trail(example_repo, "show", "labels", "--json").stdout)
    assert labels["hash"]["source"] == "raw/labels.csv.dvc"
    assert json.loads(trail(example_repo, "ls", "--json").stdout) == json.loads(
        gto(example_repo, "show", "--json").stdout
    )


def _expect_refusal(repo: Path, args: list[str], code: int, pattern: str) -> None:
    before = refs_snapshot(repo)
    proc = trail(repo, *args, check=False)
    assert proc.returncode == code, (args, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trail: error:"), proc.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in proc.stderr
    assert refs_snapshot(repo) == before


@pytest.mark.parametrize(
    ("args", "code", "pattern"),
    [
        (["register", "bad name"], 2, "invalid artifact name"),
        (["register", "a..b:model"], 2, "invalid artifact name"),
        (["register", "--", "-model"], 2, "invalid artifact name"),
        (["register", "naïve"], 2, "invalid artifact name"),
        (["register", "iris-model", "--version", "1.0.0"], 2, "start with 'v'"),
        (["register", "iris-model", "--version", "v1.0"], 2, "invalid version"),
        (["register", "iris-model", "--version", "v1.0.0", "--bump-minor"], 2, "either"),
        (["register", "iris-model", "--bump-minor", "--bump-major"], 2, "at most one"),
        (["register", "unknown-model"], 1, "not declared"),
        (["register", "iris-model", "--rev", "no-such-branch"], 1, "unknown revision"),
        (["register", "iris-model", "--rev", "--output=/tmp/x"], 1, "unknown revision"),
        (["register", "iris-model", "--version", "v1.0.0"], 1, "already registered"),
        (["register", "iris-model"], 1, "already registered at"),
        (["assign", "iris-model", "prod"], 2, "NAME@VERSION"),
        (["assign", "iris-model@v9.0.0", "prod"], 1, "not registered"),
        (["assign", "nope@v1.0.0", "prod"], 1, "no registry tags"),
        (["assign", "iris-model@v1.0.0", "bad stage"], 2, "invalid stage"),
        (["assign", "iris-model@v1.0.0", "prod"], 1, "already in stage"),
        (["unassign", "iris-model@v1.0.0", "dev"], 1, "not in stage"),
        (["deregister", "iris-model@v3.0.0"], 1, "not registered"),
        (["deprecate", "nope"], 1, "no registry tags"),
        (["show", "iris-model#dev"], 1, "no version of iris-model is in stage 'dev'"),
        (["show", "iris-model@v1.0"], 2, "invalid version"),
        (["history", "nope"], 1, "no registry tags"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(example_repo: Path, args: list[str], code: int, pattern: str) -> None:
    trail(example_repo, "register", "iris-model", "--version", "v1.0.0")
    trail(example_repo, "assign", "iris-model@v1.0.0", "prod")
    _expect_refusal(example_repo, args, code, pattern)


def test_artifact_without_hash_is_refused(example_repo: Path) -> None:
    spec = yaml.safe_load((example_repo / "dvc.yaml").read_text())
    spec["artifacts"]["ghost"] = {"path": "models/ghost.pkl", "type": "model"}
    (example_repo / "dvc.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    commit_all(example_repo, "declare ghost")
    _expect_refusal(example_repo, ["register", "ghost"], 1, "no hash for models/ghost.pkl")


def test_repo_without_dvc_and_dir_outside_git(tmp_path: Path, example_repo: Path) -> None:
    git(example_repo, "rm", "-r", "--quiet", ".dvc")
    commit_all(example_repo, "drop dvc")
    _expect_refusal(example_repo, ["register", "iris-model"], 1, "not a DVC project")
    outside = tmp_path / "plain"
    outside.mkdir()
    for args in (["ls"], ["register", "iris-model"], ["show", "iris-model"]):
        proc = trail(outside, *args, check=False)
        assert proc.returncode == 1 and "not a git repository" in proc.stderr and "Traceback" not in proc.stderr


def test_malformed_dvc_yaml_names_file_and_commit(example_repo: Path) -> None:
    (example_repo / "dvc.yaml").write_text("artifacts: [unclosed\n")
    sha = commit_all(example_repo, "broken")
    _expect_refusal(example_repo, ["register", "iris-model"], 1, f"malformed YAML in dvc.yaml at {sha[:7]}")


def test_read_commands_do_not_import_dvc(example_repo: Path) -> None:
    trail(example_repo, "register", "iris-model")
    for args in (["ls", "--json"], ["show", "iris-model"], ["history"], ["check-ref", "iris-model@v0.0.1"]):
        proc = run([sys.executable, "-X", "importtime", "-m", "dvc_trail", *args], example_repo)
        imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
        assert not {m for m in imported if m == "dvc" or m.startswith("dvc.")}, args


def test_every_cli_parameter_has_help() -> None:
    import typer.main

    from dvc_trail.cli import app

    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), f"{name} {param.name}"


def test_each_command_parses_the_same_when_built_alone() -> None:
    """`trail CMD` builds only CMD's parser (app_for); its help and options must equal the full app's."""
    import typer

    from dvc_trail.cli import app, app_for

    full = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name, command in full.items():
        for args in ([name, "--help"], ["-C", ".", "--verbose", name], ["--repo=x", "-q", name, "--json"]):
            single = typer.main.get_command(app_for(args)).commands  # type: ignore[attr-defined]
            assert list(single) == [name]
            alone = single[name]
            assert alone.get_help(typer.Context(alone, info_name=name)) == command.get_help(
                typer.Context(command, info_name=name)
            )
            assert [(p.name, p.opts, p.default) for p in alone.params] == [
                (p.name, p.opts, p.default) for p in command.params
            ]
    for args in ([], ["--help"], ["dif"], ["--bogus", "diff"], ["-C"]):
        assert app_for(args) is app


def test_gto_assign_that_registers_in_the_same_second(example_repo: Path) -> None:
    gto(example_repo, "assign", "iris-model", "HEAD", "--version", "v0.0.1", "--stage", "prod")
    ours = json.loads(trail(example_repo, "ls", "--json").stdout)
    assert ours == json.loads(gto(example_repo, "show", "--json").stdout)
    assert ours["iris-model"]["stage"]["prod"] == "v0.0.1"


def test_no_second_version_at_a_deregistered_commit(example_repo: Path) -> None:
    trail(example_repo, "register", "iris-model", "--version", "v1.0.0")
    trail(example_repo, "deregister", "iris-model@v1.0.0")
    _expect_refusal(example_repo, ["register", "iris-model"], 1, "already deregistered at")


def test_gto_config_stages_are_listed_and_enforced(example_repo: Path) -> None:
    (example_repo / ".gto").write_text("stages: [dev, staging, prod]\n")
    trail(example_repo, "register", "iris-model")
    trail(example_repo, "assign", "iris-model@v0.0.1", "prod")
    ours = json.loads(trail(example_repo, "ls", "--json").stdout)
    assert ours == json.loads(gto(example_repo, "show", "--json").stdout)
    assert ours["iris-model"]["stage"] == {"dev": None, "staging": None, "prod": "v0.0.1"}
    _expect_refusal(example_repo, ["assign", "iris-model@v0.0.1", "qa"], 2, "not allowed by .gto")
