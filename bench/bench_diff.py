"""Benchmark `trail diff` vs `dvc metrics diff` + `dvc params diff`, and `trail metrics` vs the git floor."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import TRAIL, Report, fmt, machine, median_time, ratio, run_json, write_section
from generate import generate

BIN = Path(sys.executable).parent
DVC = str(BIN / "dvc")
FLOOR_BLOBS = [sys.executable, str(Path(__file__).with_name("floor_blobs.py"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny repo, one run each (smoke test)")
    args = parser.parse_args()
    runs = 1 if args.quick else 5
    commits, tags = (30, 60) if args.quick else (600, 1_200)
    report = Report(["command", "trail", "peer", "git floor", "trail vs peer", "trail / floor"])
    targets = []
    with tempfile.TemporaryDirectory(prefix="trail-bench-") as tmp:
        repo = generate(Path(tmp) / "diff", commits, tags, 0, 1)
        pair = ["HEAD~1", "HEAD"]
        t = median_time([TRAIL, "diff", *pair, "--json"], repo, runs)
        metrics = median_time([DVC, "metrics", "diff", *pair, "--json"], repo, runs)
        params = median_time([DVC, "params", "diff", *pair, "--json"], repo, runs)
        report.add(
            "trail diff HEAD~1 HEAD --json",
            fmt(t),
            f"metrics {fmt(metrics)}",
            "-",
            f"{ratio(metrics.seconds, t.seconds):.1f}x",
            "-",
        )
        report.add(
            "(same)",
            "",
            f"metrics+params {fmt(metrics)} + {fmt(params)}",
            "-",
            f"{ratio(metrics.seconds + params.seconds, t.seconds):.1f}x",
            "-",
        )
        targets.append(("trail diff >= 4x faster than dvc metrics diff", metrics.seconds >= 4 * t.seconds))
        ours = run_json([TRAIL, "diff", *pair, "--json"], repo)
        theirs = run_json([DVC, "metrics", "diff", *pair, "--json"], repo)
        same = isinstance(ours, dict) and ours["metrics"].keys() == theirs.keys()  # type: ignore[union-attr]
        versions = run_json([TRAIL, "metrics", "model-00", "--json"], repo)
        n = len(versions)  # type: ignore[arg-type]
        floor = median_time([*FLOOR_BLOBS, "metrics/scores.json", "refs/tags/model-00@*"], repo, runs)
        tm = median_time([TRAIL, "metrics", "model-00", "--json"], repo, runs)
        dvc_all = median_time([DVC, "metrics", "show", "--json", "-T"], repo, 1, budget=1) if not args.quick else None
        peer = f"dvc metrics show -T {fmt(dvc_all)}" if dvc_all else "-"
        vs_peer = f"{ratio(dvc_all.seconds, tm.seconds):.0f}x" if dvc_all else "-"
        report.add(
            f"trail metrics model-00 ({n} versions)",
            fmt(tm),
            peer,
            fmt(floor),
            vs_peer,
            f"{ratio(tm.seconds, floor.seconds):.2f}",
        )
        targets.append((f"trail metrics over {n} versions within 5x of the floor", tm.seconds <= 5 * floor.seconds))
    verdicts = [f"- {'MET' if ok else 'NOT MET'}: {what}" for what, ok in targets]
    print("\n".join(verdicts))
    print(f"metric files in trail diff --json equal dvc's: {same}")
    if not args.quick:
        text = f"## Diffs and metric trends\n\n{machine()}\nRepo: {commits} commits, {tags} tags, one artifact.\n\n"
        text += report.markdown() + "\n" + "\n".join(verdicts) + "\n"
        write_section("diff", text)


if __name__ == "__main__":
    main()
