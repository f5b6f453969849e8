"""Benchmark `trail metrics NAME` over ~250 versions in a 7,500-tag registry against the git floor, with the
metrics file tracked by git, and kept in the local DVC cache (read through dvc.lock hashes)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import TRAIL, Report, fmt, machine, median_time, ratio, run_json, write_section
from generate import generate

HERE = Path(__file__).resolve().parent
FLOOR_BLOBS = [sys.executable, str(HERE / "floor_blobs.py")]
FLOOR_CACHED = [sys.executable, str(HERE / "floor_cached.py")]
METRICS = "metrics/scores.json"
ARTIFACTS = 6  # 7,500 tags over 6 artifacts: at least 250 versions of model-00


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny repo, one run each (smoke test)")
    args = parser.parse_args()
    runs = 1 if args.quick else 7
    commits, tags = (40, 100) if args.quick else (1_000, 7_500)
    report = Report(["metrics file", "versions", "trail metrics NAME --json", "git floor", "trail / floor"])
    targets = []
    with tempfile.TemporaryDirectory(prefix="trail-bench-") as tmp:
        for label, cached, floor_cmd in (
            ("git-tracked", False, FLOOR_BLOBS),
            ("in the DVC cache", True, FLOOR_CACHED),
        ):
            repo = generate(Path(tmp) / label.replace(" ", "-"), commits, tags, 0, ARTIFACTS, cached_metrics=cached)
            rows = run_json([TRAIL, "metrics", "model-00", "--json"], repo)  # also fills trail's caches
            assert isinstance(rows, list) and all(r["metrics"].get(METRICS) for r in rows), "metrics not read"
            floor = median_time([*floor_cmd, METRICS, "refs/tags/model-00@*"], repo, runs)
            ours = median_time([TRAIL, "metrics", "model-00", "--json"], repo, runs)
            times = ratio(ours.seconds, floor.seconds)
            report.add(label, len(rows), fmt(ours), fmt(floor), f"{times:.2f}")
            targets.append((f"trail metrics, {len(rows)} versions, {label}: within 4x of the floor", times <= 4))
    verdicts = [f"- {'MET' if ok else 'NOT MET'}: {what}" for what, ok in targets]
    print("\n".join(verdicts))
    if not args.quick:
        text = f"## Metric trends over many versions\n\n{machine()}\n"
        text += (
            f"Repo: {commits} commits, {tags} tags, {ARTIFACTS} artifacts; medians of {runs} runs on a shared, noisy "
        )
        text += "machine (the first run, not counted, fills `.git/trail/`). Floor: one `git for-each-ref` and one "
        text += "`git cat-file --batch` (plus, for the cached file, one local read per version).\n\n"
        text += report.markdown() + "\n" + "\n".join(verdicts) + "\n"
        write_section("metrics", text)


if __name__ == "__main__":
    main()
