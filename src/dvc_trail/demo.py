"""`trail demo`: a guided tour on a throwaway copy of the example project (never this clone's tags)."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from dvc_trail.dvc import adapter
from dvc_trail.errors import GitError, TrailError
from dvc_trail.git.repository import Git

_STEP = "\n\033[1m== {} ==\033[0m"
DEMO_NAME = "trail demo"
DEMO_EMAIL = "demo@example.invalid"


def _say(title: str) -> None:
    print(_STEP.format(title), flush=True)


class Tour:
    """The demo's workspace: its git repository, and the `trail` command line it drives in-process."""

    def __init__(self, workspace: Path, run: Callable[[list[str]], int]) -> None:
        self.workspace, self._run = workspace, run
        self.git = Git(workspace)

    def trail(self, *args: str) -> None:
        """Run one `trail` command in the workspace, echoing it as a user would type it."""
        print(f"$ trail {' '.join(args)}", flush=True)
        code = self._run(["-C", str(self.workspace), *args])
        if code:
            raise TrailError(f"demo step `trail {' '.join(args)}` failed (exit {code})")

    def attempt(self, *args: str) -> bool:
        """Like `trail`, but a refusal (exit 1) is part of the tour rather than a failure."""
        try:
            self.trail(*args)
        except TrailError:
            return False
        return True

    def init(self) -> None:
        """`git init` the workspace on branch main, with an identity of its own if git has none."""
        self.git.run("init", "--quiet", "--initial-branch=main", ".")
        try:  # useConfigOnly: an identity from config or GIT_* variables, never one guessed from the host
            for ident in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
                self.git.run("-c", "user.useConfigOnly=true", "var", ident)
        except GitError:
            self.git.run("config", "user.name", DEMO_NAME)
            self.git.run("config", "user.email", DEMO_EMAIL)
            print(f"git has no identity here: the tour commits as {DEMO_NAME} <{DEMO_EMAIL}> (in its workspace only)")

    def commit_all(self, message: str) -> None:
        """Stage everything and commit it."""
        self.git.run("add", "--all")
        self.git.run("commit", "--quiet", "--allow-empty", "-m", message)

    def add_origin(self, path: Path) -> None:
        """A bare repository at `path` as the workspace's `origin` (the stand-in for a team's remote)."""
        Git(path.parent).run("init", "--quiet", "--bare", str(path))
        self.git.run("remote", "add", "--", "origin", str(path))


def _copy_example(source: Path, workspace: Path) -> None:
    origin = Git.discover(source)
    is_example = (origin.root / "src" / "pipeline" / "train.py").is_file() and (origin.root / "dvc.yaml").is_file()
    if not is_example or "iris-model" not in (origin.root / "dvc.yaml").read_text():
        raise TrailError(f"{origin.root} is not a dvc-trail clone: the tour copies its example project")
    for rel in origin.work_tree_files():
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


def run_demo(source: Path, workspace: Path | None, run: Callable[[list[str]], int]) -> Path:
    """Build the tour in WORKSPACE (default: a new temp folder) from the example project at SOURCE; returns it.

    `run` runs one `trail` command line and returns its exit code.
    """
    if workspace is None:
        workspace = Path(tempfile.mkdtemp(prefix="trail-demo-"))
    elif workspace.exists() and any(workspace.iterdir()):
        raise TrailError(f"demo workspace {workspace} is not empty")
    workspace.mkdir(parents=True, exist_ok=True)
    workspace = workspace.resolve()
    _say(f"Workspace: a fresh copy of the example project in {workspace}")
    _copy_example(source, workspace)
    tour = Tour(workspace, run)
    tour.init()
    with open(tour.git.git_dir() / "info" / "exclude", "a") as exclude:
        exclude.write("/.demo-origin.git/\n/.demo-fetched-model.pkl\n")
    tour.commit_all("Example project: iris pipeline")

    _say("1. Run the pipeline (dvc repro) and commit dvc.lock")
    print("ran stages:", ", ".join(adapter.repro(workspace)) or "none")
    tour.commit_all("Train the first model")

    _say("2. Register the first versions of the data set and the model")
    tour.trail("register", "iris-data", "--version", "v1.0.0")
    tour.trail("register", "iris-model", "--version", "v1.0.0")
    tour.trail("assign", "iris-model@v1.0.0", "prod")

    _say("3. Change a parameter (train.n_estimators 50 -> 120), rerun, register the next version")
    _set_param(workspace, "n_estimators", 120)
    print("ran stages:", ", ".join(adapter.repro(workspace)) or "none")
    tour.commit_all("More trees")
    tour.trail("register", "iris-model", "--bump-minor")

    _say("4. What changed between the versions: metrics, params and lineage")
    tour.trail("diff", "iris-model@v1.0.0", "iris-model@v1.1.0")
    tour.trail("lineage", "iris-model@v1.1.0", "--vs", "iris-model@v1.0.0")

    _say("5. Promote it, with a gate: prod moves to v1.1.0 only if it is not worse on f1_macro")
    if not tour.attempt("assign", "iris-model@v1.1.0", "prod", "--require-better", "f1_macro"):
        print("(refused: the promotion gate kept v1.0.0 in prod; assigning staging instead)")
        tour.trail("assign", "iris-model@v1.1.0", "staging")

    _say("6. Publish: upload the data to the local DVC remote (.dvc-storage/), then push tags to a git remote")
    tour.add_origin(workspace / ".demo-origin.git")
    tour.trail("publish", "iris-model#prod")
    tour.trail("verify", "iris-model#prod")
    tour.trail("get", "iris-model#prod", "-o", str(workspace / ".demo-fetched-model.pkl"))

    _say("7. Query the registry: list, show, history, lineage, impact")
    tour.trail("ls")
    tour.trail("show", "iris-model#prod")
    tour.trail("history", "iris-model")
    tour.trail("lineage", "iris-model#prod")
    tour.trail("impact", "data/prepared")

    _say("8. The registry site: static pages and a JSON API from the tags (trail site)")
    tour.trail("site", "-o", str(workspace / "site"))

    _say(f"Done. Explore it: cd {workspace} && trail ls; open {(workspace / 'site' / 'index.html').as_uri()}")
    return workspace
