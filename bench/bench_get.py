"""Benchmark `trail get` against `dvc artifacts get` for the same artifacts on a local-folder DVC remote."""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

from common import BIN, ENV, TRAIL, Report, fmt, machine, median_time, ratio, run, write_section

ROOT = Path(__file__).resolve().parents[1]
DVC = str(BIN / "dvc")
EXAMPLE = ["dvc.yaml", "dvc.lock", "params.yaml", "metrics/scores.json", ".dvc/config", ".dvc/.gitignore"]
EXAMPLE += [".dvcignore", ".gitignore", "data/.gitignore", "models/.gitignore", "src/pipeline/__init__.py"]
EXAMPLE += ["src/pipeline/prepare.py", "src/pipeline/train.py", "src/pipeline/evaluate.py"]


def build(repo: Path) -> None:
    """The example project, reproduced, committed, registered and pushed to its local remote (.dvc-storage/)."""
    for rel in EXAMPLE:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    run(["git", "init", "--quiet", "--initial-branch=main", str(repo)], repo)
    ident = ["-c", "user.name=Bench Bot", "-c", "user.email=bench@example.com"]
    run(["git", "add", "--all"], repo)
    run(["git", *ident, "commit", "--quiet", "-m", "example"], repo)
    ENV["PATH"] = f"{BIN}:{ENV.get('PATH', '')}"  # stage commands run this interpreter
    run([DVC, "repro", "--quiet"], repo)
    run(["git", "add", "--all"], repo)
    run(["git", *ident, "commit", "--quiet", "-m", "reproduced"], repo)
    run([DVC, "push", "--quiet"], repo)
    ENV.update(GIT_COMMITTER_NAME="Bench Bot", GIT_COMMITTER_EMAIL="bench@example.com")
    for name in ("iris-model", "iris-data"):
        run([TRAIL, "register", name, "--version", "v1.0.0"], repo)


def digest(path: Path) -> str:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return hashlib.md5(b"".join(p.read_bytes() for p in files)).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one run each (smoke test)")
    args, _ = parser.parse_known_args()
    runs = 1 if args.quick else 5
    report = Report(["artifact", "trail get", "dvc artifacts get", "dvc / trail"])
    worst = float("inf")
    with tempfile.TemporaryDirectory(prefix="bench-get-") as tmp:
        repo, work = Path(tmp) / "repo", Path(tmp) / "work"
        work.mkdir()
        build(repo)
        for name, out in (("iris-model", "model.pkl"), ("iris-data", "prepared")):
            trail_get = [TRAIL, "get", name, "--repo", str(repo), "-o", f"t-{out}", "--force"]
            dvc_get = [DVC, "artifacts", "get", str(repo), name, "-o", f"d-{out}", "--force"]
            run(trail_get, work)  # first, into empty paths: both must fetch the same bytes
            run(dvc_get, work)
            if digest(work / f"t-{out}") != digest(work / f"d-{out}"):
                print(f"MISMATCH: trail and dvc fetched different {name}", file=sys.stderr)
                return 1
            ours, theirs = median_time(trail_get, work, runs), median_time(dvc_get, work, runs)
            speedup = ratio(theirs.seconds, ours.seconds)
            worst = min(worst, speedup)
            report.add(name, fmt(ours), fmt(theirs), f"{speedup:.2f}x")
    verdict = f"trail get is {worst:.2f}x as fast as dvc artifacts get (worst case; above 1 means faster)"
    print(verdict)
    if not args.quick:
        text = f"## `trail get` vs `dvc artifacts get`\n\n{machine()}\nThe example project, local-folder remote.\n\n"
        write_section("get", text + report.markdown() + f"\n- {'MET' if worst >= 1 else 'NOT MET'}: {verdict}\n")
    return 0 if worst >= 1 or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
