"""Benchmark `trail impact` (cold and warm cache) and `trail lineage` against the git floor."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from common import TRAIL, Report, Timing, fmt, machine, median_time, ratio, run, run_json, write_section
from generate import generate

FLOOR_BLOBS = [sys.executable, str(Path(__file__).with_name("floor_blobs.py")), "dvc.lock"]


def cold(repo: Path, args: list[str], runs: int) -> Timing:
    """Median of runs that each start without the .git/trail cache (the first-run cost)."""
    times = []
    for _ in range(runs):
        shutil.rmtree(repo / ".git" / "trail", ignore_errors=True)
        times.append(median_time(args, repo, 1).seconds)
    return Timing(sorted(times)[len(times) // 2], runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny repo, one run each (smoke test)")
    args = parser.parse_args()
    runs = 1 if args.quick else 5
    commits, tags = (30, 90) if args.quick else (1_000, 15_000)  # about 5,000 registrations
    report = Report(["command", "trail", "git floor", "trail / floor"])
    with tempfile.TemporaryDirectory(prefix="trail-bench-") as tmp:
        repo = generate(Path(tmp) / "lineage", commits, tags, 0, 10)
        registry = run_json([TRAIL, "ls", "--json"], repo)
        history = run_json([TRAIL, "history", "--json"], repo)
        versions = sum(1 for e in history if e["event"] == "registration")  # type: ignore[union-attr]
        floor = median_time(FLOOR_BLOBS, repo, runs)
        impact = [TRAIL, "impact", "src/prepare.py", "--json"]
        first = cold(repo, impact, runs)
        warm = median_time(impact, repo, runs)
        hits = len(run_json(impact, repo))  # type: ignore[arg-type]
        report.add(
            f"trail impact src/prepare.py, first run ({hits} hits)",
            fmt(first),
            fmt(floor),
            f"{ratio(first.seconds, floor.seconds):.2f}",
        )
        report.add(
            "trail impact src/prepare.py, cached", fmt(warm), fmt(floor), f"{ratio(warm.seconds, floor.seconds):.2f}"
        )
        lineage = median_time([TRAIL, "lineage", "model-00", "--json"], repo, runs)
        report.add(
            "trail lineage model-00 --json", fmt(lineage), fmt(floor), f"{ratio(lineage.seconds, floor.seconds):.2f}"
        )
        run([TRAIL, "lineage", "model-00", "--mermaid"], repo)
        scaling = Report(["tags", "commits", "trail impact (first run)", "git floor", "trail / floor"])
        for n_tags, n_commits in (
            [(60, 20), (200, 40)] if args.quick else [(1_000, 150), (10_000, 1_500), (100_000, 10_000)]
        ):
            big = generate(Path(tmp) / f"scale{n_tags}", n_commits, n_tags, 0, 20 if n_tags >= 100_000 else 10)
            f, c = median_time(FLOOR_BLOBS, big, 3), cold(big, impact, 3)
            scaling.add(f"{n_tags:,}", f"{n_commits:,}", fmt(c), fmt(f), f"{ratio(c.seconds, f.seconds):.2f}")
            shutil.rmtree(big)
    ok = first.seconds <= 5 * floor.seconds
    scope = f"{versions:,} registrations ({len(registry)} artifacts, {commits:,} commits)"
    verdict = f"- {'MET' if ok else 'NOT MET'}: trail impact over {scope} within 5x of the floor, first run included"
    print(verdict)
    if not args.quick:
        text = f"## Lineage and impact\n\n{machine()}\nRepo: {commits:,} commits, {tags:,} tags, {scope}. "
        text += (
            "Floor: Python + one `git for-each-ref` + one `git cat-file --batch` of every tagged commit's dvc.lock.\n\n"
        )
        text += report.markdown() + "\n" + verdict + "\n\n### Scaling of `trail impact`\n\n" + scaling.markdown()
        write_section("lineage", text)


if __name__ == "__main__":
    main()
