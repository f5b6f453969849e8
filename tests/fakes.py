"""A DVC project's history in a FakeGit, in a few lines: the unit tests of the core readers run on it (no process)."""

from __future__ import annotations

import json
from pathlib import Path

from dvc_trail.git.fake import FakeGit

DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps:
      - train.py
    params:
      - train.n_estimators
    outs:
      - models/model.pkl
    metrics:
      - metrics/scores.json:
          cache: false
artifacts:
  model:
    path: models/model.pkl
    type: model
    desc: A classifier
"""


def lock(md5: str, n_estimators: int) -> str:
    """dvc.lock for DVC_YAML: the model's hash and the params the stage ran with."""
    return f"""\
schema: '2.0'
stages:
  train:
    cmd: python train.py
    deps:
    - path: train.py
      hash: md5
      md5: {"e" * 32}
      size: 5
    params:
      params.yaml:
        train.n_estimators: {n_estimators}
    outs:
    - path: models/model.pkl
      hash: md5
      md5: {md5}
      size: 10
"""


def train(git: FakeGit, md5: str, n_estimators: int, accuracy: float, message: str = "train") -> str:
    """Commit one training run: dvc.yaml, its dvc.lock, params.yaml and the metrics file; the commit id.

    The first run also commits the stage's code, `train.py`.
    """
    code = {} if "refs/heads/main" in git.refs else {"train.py": "fit()"}
    return git.commit(
        {
            **code,
            "dvc.yaml": DVC_YAML,
            "dvc.lock": lock(md5, n_estimators),
            "params.yaml": f"train:\n  n_estimators: {n_estimators}\n  seed: 1\nother: x\n",
            "metrics/scores.json": json.dumps({"accuracy": accuracy}),
        },
        message,
    )


def project_history(root: Path) -> tuple[FakeGit, list[str]]:
    """Three training runs; v1.0.0 on the first (in prod, then moved), v1.1.0 on the second (now in prod)."""
    git = FakeGit(root)
    commits = [train(git, "abc"[n - 1] * 32, 10 * n, round(0.8 + n / 100, 2), f"run {n}") for n in (1, 2, 3)]
    git.tag("model@v1.0.0", commits[0], "Registering artifact model version v1.0.0")
    git.tag("model#prod#1", commits[0], "Assigning stage prod to artifact model version v1.0.0")
    git.tag("model@v1.1.0", commits[1], "Registering artifact model version v1.1.0")
    git.tag("model#prod#2", commits[1], "Assigning stage prod to artifact model version v1.1.0")
    git.tag("model#staging#3", commits[0], "Assigning stage staging to artifact model version v1.0.0")
    git.tag("light", commits[2])  # a lightweight tag: never a registry event
    return git, commits
