"""Benchmark `trail site` on a generated registry: a cold build and the rebuild after one new registration,
against the git floor (one for-each-ref + one cat-file --batch of the pipeline files at every registered commit)."""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ENV, TRAIL, Report, fmt, machine, median_time, ratio, run, write_section
from generate import generate

FLOOR = [sys.executable, str(Path(__file__).with_name("floor_site.py"))]


def timed(cmd: list[str], cwd: Path) -> tuple[float, bytes]:
    start = time.perf_counter()
    out = run(cmd, cwd)
    return time.perf_counter() - start, out


def new_registration(repo: Path, n: int) -> None:
    """One more commit (new metrics) and one new version of model-00 registered at it."""
    (repo / "metrics" / "scores.json").write_text(f'{{"accuracy": 0.9{n}, "loss": 0.1{n}}}\n')
    subprocess.run(["git", "commit", "-qam", f"bench {n}"], cwd=repo, check=True, env=ENV)
    run([TRAIL, "register", "model-00"], repo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny repo, one run each (smoke test)")
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    commits, tags, artifacts = (40, 200, 4) if args.quick else (1000, 7_500, 20)
    report = Report(["what", "trail site", "git floor", "ratio", "files written", "target"])
    targets = []
    with tempfile.TemporaryDirectory(prefix="trail-bench-") as tmp:
        repo = generate(Path(tmp) / "site", commits, tags, 0, artifacts)
        out = Path(tmp) / "out"
        floor = median_time(FLOOR, repo, 5)
        cold = []
        for _ in range(runs):
            shutil.rmtree(repo / ".git" / "trail", ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
            seconds, _ = timed([TRAIL, "site", "-o", str(out)], repo)
            cold.append(seconds)
        pages = sum(1 for p in out.rglob("*") if p.is_file())
        cold_s = statistics.median(cold)
        report.add(
            f"cold build ({pages} files)",
            f"{cold_s * 1000:,.0f} ms ({runs}x)",
            fmt(floor),
            f"{ratio(cold_s, floor.seconds):.1f}x",
            pages,
            "40x",
        )
        targets.append(("cold build within 40x of the floor", cold_s <= 40 * floor.seconds))
        again, written = [], []
        for n in range(max(runs, 3)):
            new_registration(repo, n)
            seconds, text = timed([TRAIL, "site", "-o", str(out)], repo)
            again.append(seconds)
            written.append(int(text.split(b": ", 1)[1].split(b" ", 1)[0]))
        again_s = statistics.median(again)
        report.add(
            "rebuild after one registration",
            f"{again_s * 1000:,.0f} ms ({len(again)}x)",
            fmt(floor),
            f"{ratio(again_s, floor.seconds):.1f}x",
            max(written),
            "5x, <= 20 files",
        )
        targets.append(("rebuild within 5x of the floor", again_s <= 5 * floor.seconds))
        targets.append(("rebuild rewrites at most 20 files", max(written) <= 20))
        nothing = median_time([TRAIL, "site", "-o", str(out)], repo, runs)
        report.add(
            "rebuild, nothing new", fmt(nothing), fmt(floor), f"{ratio(nothing.seconds, floor.seconds):.1f}x", 0, ""
        )
    verdicts = [f"- {'MET' if ok else 'NOT MET'}: {what}" for what, ok in targets]
    print("\n".join(verdicts))
    if not args.quick:
        text = (
            f"## Registry site\n\n{machine()}\nRepo: {commits} commits, {tags} tags, {artifacts} artifacts. "
            "Wall-clock medians on a shared, noisy machine (other jobs were running).\n\n"
        )
        write_section("site", text + report.markdown() + "\n" + "\n".join(verdicts) + "\n")


if __name__ == "__main__":
    main()
