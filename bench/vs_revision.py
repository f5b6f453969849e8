"""Time this checkout's `trail` against another revision's, interleaved, on the benchmarks' generated repositories.

Build the other revision first, for example:

    git worktree add /tmp/old ba97225 && make -C /tmp/old .venv/.installed-test
    /tmp/old/.venv/bin/python -m compileall -q /tmp/old/src
    .venv/bin/python bench/vs_revision.py /tmp/old/.venv/bin/trail

Each command runs alternately with both versions (each on its own copy of the repository, so neither reads the
other's `.git/trail` cache); the table gives median wall and CPU time (user + system, children included).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench_get import build as build_example
from common import TRAIL, Report, machine, run, write_section
from generate import generate


def timed(cmd: list[str], cwd: Path, cold: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one run (`cold`: without the .git/trail cache, and without a site folder)."""
    if cold:
        shutil.rmtree(cwd / ".git" / "trail", ignore_errors=True)
        shutil.rmtree(cwd / "site-out", ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run(cmd, cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", help="the other revision's `trail` executable")
    parser.add_argument("--label", default="the other revision", help="what to call it in the table")
    parser.add_argument("--runs", type=int, default=15, help="runs of each command with each version")
    parser.add_argument("--quick", action="store_true", help="tiny repositories, three runs (smoke test)")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    scale = 20 if args.quick else 1
    repos = {  # name: (commits, tags, artifacts), as the bench_*.py scripts generate them
        "diff": (600 // scale, 1_200 // scale, 1),
        "registry": (1_000 // scale, 7_500 // scale, 10),
        "metrics": (1_000 // scale, 7_500 // scale, 6),
        "lineage": (1_000 // scale, 15_000 // scale, 10),
        "site": (1_000 // scale, 7_500 // scale, 20),
    }
    commands = [
        ("registry", ["ls", "--json"], False),
        ("registry", ["show", "model-00"], False),
        ("registry", ["history", "model-00", "--json"], False),
        ("diff", ["diff", "HEAD~1", "HEAD", "--json"], False),
        ("metrics", ["metrics", "model-00", "--json"], False),
        ("lineage", ["impact", "src/prepare.py", "--json"], True),
        ("lineage", ["impact", "src/prepare.py", "--json"], False),
        ("site", ["site", "-o", "site-out"], True),
        ("site", ["site", "-o", "site-out"], False),  # a rebuild of the folder the same version made
        ("example", ["get", "iris-model", "--repo", ".", "-o", "../get-model-{label}.pkl", "--force"], False),
        ("example", ["get", "iris-data", "--repo", ".", "-o", "../get-data-{label}", "--force"], False),
    ]
    report = Report(["command", "repository", args.label, "this checkout", "change (wall)", "change (CPU)"])
    with tempfile.TemporaryDirectory(prefix="trail-vs-") as tmp:
        made = {}
        for name, (commits, tags, artifacts) in repos.items():
            mine = generate(Path(tmp) / name, commits, tags, 0, artifacts)
            other = Path(tmp) / f"{name}-other"
            shutil.copytree(mine, other, symlinks=True)
            made[name] = (mine, other, f"{commits:,} commits, {tags:,} tags")
        if not args.quick:  # the example project, reproduced, registered, pushed (bench_get's smoke test builds it)
            mine, other = Path(tmp) / "example", Path(tmp) / "example-other"
            build_example(mine)
            shutil.copytree(mine, other, symlinks=True)
            made["example"] = (mine, other, "the example project, local remote")
        for name, cmd, cold in commands:
            if name not in made:
                continue
            mine, other, what = made[name]
            results: dict[str, list[tuple[float, float]]] = {"mine": [], "other": []}
            for i in range(runs):
                order = [("mine", TRAIL, mine), ("other", args.other, other)]
                for label, trail, repo in order if i % 2 else order[::-1]:
                    argv = [arg.replace("{label}", label) for arg in cmd]
                    results[label].append(timed([trail, *argv], repo, cold))
            wall = {k: statistics.median(w for w, _ in v) for k, v in results.items()}
            cpu = {k: statistics.median(c for _, c in v) for k, v in results.items()}
            first = " (cold: no cache, no folder)" if name == "site" else " (first run)"
            report.add(
                f"trail {' '.join(cmd)}".replace("-{label}", "") + (first if cold else ""),
                what,
                f"{wall['other'] * 1000:,.0f} ms (CPU {cpu['other'] * 1000:,.0f})",
                f"{wall['mine'] * 1000:,.0f} ms (CPU {cpu['mine'] * 1000:,.0f})",
                f"{(wall['mine'] / wall['other'] - 1) * 100:+.1f}%",
                f"{(cpu['mine'] / cpu['other'] - 1) * 100:+.1f}%",
            )
    if not args.quick:
        text = f"## This checkout against {args.label}\n\n{machine()}\n"
        text += f"Interleaved runs, {runs} of each command with each version; medians.\n\n{report.markdown()}"
        write_section("vs-revision", text)


if __name__ == "__main__":
    main()
