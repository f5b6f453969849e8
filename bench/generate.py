"""Build a synthetic DVC project with GTO registry tags in one `git fast-import` stream (deterministic)."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

STAGES = ("dev", "staging", "prod")
BASE_EPOCH = 1_600_000_000
WHO = "Bench Bot <bench@example.com>"


@dataclass
class Version:
    name: str
    mark: int
    active: bool = True
    stages: dict[str, int] = field(default_factory=dict)  # stage -> seq of the assignment that put it there


@dataclass
class Artifact:
    name: str
    semver: tuple[int, int, int] = (0, 0, 0)
    versions: list[Version] = field(default_factory=list)
    pushed: dict[str, list[tuple[Version, int]]] = field(default_factory=dict)  # per stage, in assignment order
    last_mark: int = 0
    counter: int = 0
    frozen: bool = False

    def active(self) -> list[Version]:
        return [v for v in self.versions[-8:] if v.active] or [v for v in self.versions if v.active]

    def holder(self, stage: str) -> Version | None:
        """The version holding a stage: newest assignment still in force (lazy stack, amortized O(1))."""
        stack = self.pushed.setdefault(stage, [])
        while stack and not (stack[-1][0].active and stack[-1][0].stages.get(stage) == stack[-1][1]):
            stack.pop()
        return stack[-1][0] if stack else None


def _md5(*parts: object) -> str:
    return hashlib.md5("-".join(map(str, parts)).encode()).hexdigest()


def _files(c: int, names: list[str], rng: random.Random, seed: int) -> dict[str, str]:
    """params.yaml, metrics/scores.json and dvc.lock of commit number c."""
    depth, trees, lr = 2 + c % 7, 50 + 10 * (c % 13), round(0.001 * (1 + c % 50), 3)
    params = f"prepare:\n  test_size: 0.25\n  seed: {seed}\ntrain:\n  n_estimators: {trees}\n  max_depth: {depth}\n"
    params += f"  optimizer:\n    lr: {lr}\n"
    acc = round(0.7 + 0.29 * rng.random(), 4)
    scores = {"accuracy": acc, "loss": round(1 - acc + 0.05 * rng.random(), 4)}
    scores["per_class"] = {"a": {"f1": round(acc - 0.01, 4)}, "b": {"f1": round(acc + 0.005, 4)}}
    metrics = json.dumps(scores, indent=2) + "\n"
    data = f"      md5: {_md5(seed, c, 'data')}.dir\n      size: {20000 + c}\n      nfiles: 2\n"
    models = "".join(
        f"    - path: models/{n}.pkl\n      hash: md5\n      md5: {_md5(seed, c, n)}\n      size: {50000 + c}\n"
        for n in names
    )
    lock = (
        "schema: '2.0'\nstages:\n  prepare:\n    cmd: python src/prepare.py\n    deps:\n    - path: src/prepare.py\n"
        f"      hash: md5\n      md5: {_md5(seed, 'prep')}\n      size: 900\n    params:\n      params.yaml:\n"
        f"        prepare.seed: {seed}\n        prepare.test_size: 0.25\n    outs:\n    - path: data/prepared\n"
        f"      hash: md5\n{data}  train:\n    cmd: python src/train.py\n    deps:\n    - path: data/prepared\n"
        f"      hash: md5\n{data}    params:\n      params.yaml:\n        train.max_depth: {depth}\n"
        f"        train.n_estimators: {trees}\n        train.optimizer.lr: {lr}\n    outs:\n{models}"
        "  evaluate:\n    cmd: python src/evaluate.py\n    deps:\n"
        + models
        + f"    outs:\n    - path: metrics/scores.json\n      hash: md5\n      md5: {_md5(metrics)}\n"
        f"      size: {len(metrics)}\n"
    )
    return {"params.yaml": params, "metrics/scores.json": metrics, "dvc.lock": lock}


def _dvc_yaml(names: list[str]) -> str:
    outs = "".join(f"      - models/{n}.pkl\n" for n in names)
    arts = "".join(f"  {n}:\n    path: models/{n}.pkl\n    type: model\n    desc: Synthetic model {n}\n" for n in names)
    return (
        "stages:\n  prepare:\n    cmd: python src/prepare.py\n    deps:\n      - src/prepare.py\n"
        "    params:\n      - prepare.test_size\n      - prepare.seed\n    outs:\n      - data/prepared\n"
        "  train:\n    cmd: python src/train.py\n    deps:\n      - data/prepared\n    params:\n"
        f"      - train.n_estimators\n      - train.max_depth\n      - train.optimizer.lr\n    outs:\n{outs}"
        f"  evaluate:\n    cmd: python src/evaluate.py\n    deps:\n{outs}    metrics:\n"
        "      - metrics/scores.json:\n          cache: false\n\nmetrics:\n  - metrics/scores.json\n\n"
        f"artifacts:\n{arts}"
    )


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


class Planner:
    """Chooses registry actions that are valid for GTO and trail, and emits them as fast-import tags."""

    def __init__(self, names: list[str], rng: random.Random) -> None:
        self.arts = [Artifact(n) for n in names]
        self.rng, self.count = rng, 0
        self.out: list[bytes] = []

    def tag(self, name: str, mark: int, epoch: int, message: str) -> None:
        self.out.append(f"tag {name}\nfrom :{mark}\ntagger {WHO} {epoch} +0000\n".encode() + _data(message))
        self.count += 1

    def step(self, art: Artifact, mark: int, epoch: int) -> bool:
        """Do one action on `art` at the commit `mark`; False when nothing valid was possible."""
        rng = self.rng
        order = rng.choices(["register", "assign", "unassign", "deregister"], weights=[40, 42, 9, 9])
        for action in order + ["register", "assign", "unassign", "deregister"]:
            if action == "register" and art.last_mark != mark:
                ma, mi, pa = art.semver
                roll = rng.random()
                art.semver = (ma + 1, 0, 0) if roll < 0.01 else (ma, mi + 1, 0) if roll < 0.1 else (ma, mi, pa + 1)
                v = Version("v{}.{}.{}".format(*art.semver), mark)
                art.versions.append(v)
                art.last_mark = mark
                self.tag(f"{art.name}@{v.name}", mark, epoch, f"Registering artifact {art.name} version {v.name}")
                return True
            active = art.active()
            if action == "assign" and active:
                v = rng.choice(active[-5:])
                free = [s for s in STAGES if art.holder(s) is not v]
                if free:
                    stage = rng.choice(free)
                    art.counter += 1
                    v.stages[stage] = self.count
                    art.pushed.setdefault(stage, []).append((v, self.count))
                    msg = f"Assigning stage {stage} to artifact {art.name} version {v.name}"
                    self.tag(f"{art.name}#{stage}#{art.counter}", v.mark, epoch, msg)
                    return True
            held = [(s, h) for s in STAGES if (h := art.holder(s)) is not None]
            if action == "unassign" and held:
                stage, v = rng.choice(held)
                art.counter += 1
                del v.stages[stage]
                msg = f"Unassigning stage '{stage}' to artifact '{art.name}' version '{v.name}'"
                self.tag(f"{art.name}#{stage}!#{art.counter}", v.mark, epoch, msg)
                return True
            if action == "deregister" and len(active) > 1:
                v = rng.choice(active[:-1] if rng.random() < 0.8 else active)
                v.active = False
                msg = f"Deregistering artifact {art.name} version {v.name}"
                self.tag(f"{art.name}@{v.name}!", v.mark, epoch, msg)
                return True
        return False

    def deprecate(self, art: Artifact, epoch: int) -> None:
        mark = max(v.mark for v in art.versions)
        self.tag(f"{art.name}@deprecated", mark, epoch, f"Deprecating artifact '{art.name}'")


def generate(
    path: Path | str,
    commits: int = 1000,
    tags: int = 7500,
    seed: int = 0,
    artifacts: int = 10,
    cached_metrics: bool = False,
) -> Path:
    """Create the repository at `path` (must not exist or be empty) and return it.

    `cached_metrics`: metrics/scores.json is kept out of git and in the local DVC cache (by its dvc.lock hash).
    """
    path, rng = Path(path), random.Random(seed)
    names = [f"model-{i:02d}" for i in range(artifacts)]
    spacing = tags // commits + 100
    deprecations = {int(tags * 0.5): names[-2], int(tags * 0.9): names[-1]} if artifacts >= 3 and tags >= 40 else {}
    plan = Planner(names, rng)
    stream: list[bytes] = []
    cache: dict[str, bytes] = {}
    for c in range(commits):
        mark, epoch = c + 1, BASE_EPOCH + c * spacing
        files = _files(c, names, rng, seed)
        if cached_metrics:
            metrics = files.pop("metrics/scores.json").encode()
            cache[hashlib.md5(metrics).hexdigest()] = metrics
        if c == 0:
            files |= {
                "dvc.yaml": _dvc_yaml(names),
                ".dvc/config": "",
                ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n",
            }
            ignored = "/data/prepared\n/models/*.pkl\n" + ("/metrics/scores.json\n" if cached_metrics else "")
            files |= {".gitignore": ignored}
        ident = f"{WHO} {epoch} +0000"
        head = f"commit refs/heads/main\nmark :{mark}\nauthor {ident}\ncommitter {ident}\n".encode()
        head += _data(f"Experiment {c}: retrain all models") + (f"from :{mark - 1}\n".encode() if c else b"")
        stream += [head] + [f"M 100644 inline {p}\n".encode() + _data(t) for p, t in files.items()]
        due = (c + 1) * tags // commits
        while plan.count < due:
            epoch += 1
            if plan.count in deprecations:
                art = next(a for a in plan.arts if a.name == deprecations[plan.count])
                plan.deprecate(art, epoch)
                art.frozen = plan.count > tags * 0.8
                continue
            live = [a for a in plan.arts if not a.frozen]
            if not any(plan.step(a, mark, epoch) for a in rng.sample(live, len(live))):
                raise RuntimeError(f"no valid registry action at commit {c}")
        stream += plan.out
        plan.out = []
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(path)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True)
    subprocess.run(["git", "pack-refs", "--all"], cwd=path, check=True)
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=path, check=True)
    for md5, data in cache.items():
        obj = path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
        obj.parent.mkdir(parents=True, exist_ok=True)
        obj.write_bytes(data)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--artifacts", type=int, default=10)
    parser.add_argument("--tags", type=int, help="total tags (default: artifacts * versions * 5/2)")
    parser.add_argument("--versions-per-artifact", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tags = args.tags or args.artifacts * args.versions_per_artifact * 5 // 2
    start = time.perf_counter()
    generate(args.out, args.commits, tags, args.seed, args.artifacts)
    print(f"{args.out}: {args.commits} commits, {tags} tags in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
