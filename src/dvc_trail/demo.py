"""`trail demo`: a guided tour on a throwaway copy of the example project (never this clone's tags)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from dvc_trail import dvc, git
from dvc_trail.errors import TrailError

_STEP = "\n\033[1m== {} ==\033[0m"


def _say(title: str) -> None:
    print(_STEP.format(title), flush=True)


def _trail(workspace: Path, *args: str) -> None:
    """Run one `trail` command in-process, echoing it as a user would type it."""
    from dvc_trail.cli import _settings, app

    print(f"$ trail {' '.join(args)}", flush=True)
    saved = dict(_settings)
    try:
        code = app(["-C", str(workspace), *args], standalone_mode=False, prog_name="trail")
    finally:
        _settings.update(saved)
    if code:
        raise TrailError(f"demo step `trail {' '.join(args)}` failed (exit {code})")


def _try(workspace: Path, *args: str) -> bool:
    """Like `_trail`, but a refusal (exit 1) is part of the tour rather than a failure."""
    try:
        _trail(workspace, *args)
    except TrailError:
        return False
    return True


def _copy_example(source: Path, workspace: Path) -> None:
    origin = git.Git.discover(source)
    is_example = (origin.root / "src" / "pipeline" / "train.py").is_file() and (origin.root / "dvc.yaml").is_file()
    if not is_example or "iris-model" not in (origin.root / "dvc.yaml").read_text():
        raise TrailError(f"{origin.root} is not a dvc-trail clone: the tour copies its example project")
    for rel in git.tracked_files(origin):
        src = origin.root / rel
        if src.is_file() and not rel.startswith((".venv/", ".dvc-storage/")):
            dst = workspace / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _set_param(workspace: Path, key: str, value: int) -> None:
    path = workspace / "params.yaml"
    text, count = re.subn(rf"(?m)^(\s+{key}:\s*)\S+", rf"\g<1>{value}", path.read_text())
    if count != 1:
        raise TrailError(f"demo: cannot find {key} in params.yaml")
    path.write_text(text)


def run_demo(source: Path, workspace: Path | None) -> Path:
    if workspace is None:
        workspace = Path(tempfile.mkdtemp(prefix="trail-demo-"))
    elif workspace.exists() and any(workspace.iterdir()):
        raise TrailError(f"demo workspace {workspace} is not empty")
    workspace.mkdir(parents=True, exist_ok=True)
    workspace = workspace.resolve()
    _say(f"Workspace: a fresh copy of the example project in {workspace}")
    _copy_example(source, workspace)
    repo = git.init_repo(workspace)
    with open(repo.git_dir() / "info" / "exclude", "a") as exclude:
        exclude.write("/.demo-origin.git/\n/.demo-fetched-model.pkl\n")
    git.commit_all(repo, "Example project: iris pipeline")

    _say("1. Run the pipeline (dvc repro) and commit dvc.lock")
    print("ran stages:", ", ".join(dvc.repro(workspace)) or "none")
    git.commit_all(repo, "Train the first model")

    _say("2. Register the first versions of the data set and the model")
    _trail(workspace, "register", "iris-data", "--version", "v1.0.0")
    _trail(workspace, "register", "iris-model", "--version", "v1.0.0")
    _trail(workspace, "assign", "iris-model@v1.0.0", "prod")

    _say("3. Change a parameter (train.n_estimators 50 -> 120), rerun, register the next version")
    _set_param(workspace, "n_estimators", 120)
    print("ran stages:", ", ".join(dvc.repro(workspace)) or "none")
    git.commit_all(repo, "More trees")
    _trail(workspace, "register", "iris-model", "--bump-minor")

    _say("4. What changed between the versions: metrics, params and lineage")
    _trail(workspace, "diff", "iris-model@v1.0.0", "iris-model@v1.1.0")
    _trail(workspace, "lineage", "iris-model@v1.1.0", "--vs", "iris-model@v1.0.0")

    _say("5. Promote it, with a gate: prod moves to v1.1.0 only if it is not worse on f1_macro")
    if not _try(workspace, "assign", "iris-model@v1.1.0", "prod", "--require-better", "f1_macro"):
        print("(refused: the promotion gate kept v1.0.0 in prod; assigning staging instead)")
        _trail(workspace, "assign", "iris-model@v1.1.0", "staging")

    _say("6. Publish: upload the data to the local DVC remote (.dvc-storage/), then push tags to a git remote")
    origin = workspace / ".demo-origin.git"
    git.init_bare(origin)
    git.add_remote(repo, "origin", str(origin))
    _trail(workspace, "publish", "iris-model#prod")
    _trail(workspace, "verify", "iris-model#prod")
    _trail(workspace, "get", "iris-model#prod", "-o", str(workspace / ".demo-fetched-model.pkl"))

    _say("7. Query the registry: list, show, history, lineage, impact")
    _trail(workspace, "ls")
    _trail(workspace, "show", "iris-model#prod")
    _trail(workspace, "history", "iris-model")
    _trail(workspace, "lineage", "iris-model#prod")
    _trail(workspace, "impact", "data/prepared")

    _say(f"Done. Explore it: cd {workspace} && trail ls")
    return workspace
