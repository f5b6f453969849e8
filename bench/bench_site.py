"""Benchmark `trail site` on a generated registry: a cold build and the rebuild after one new registration,
against the git floor (one for-each-ref + one cat-file --batch of the pipeline files at every registered commit)."""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ENV, TRAIL, Report, machine, ratio, run, write_section
from generate import generate

FLOOR = [sys.executable, str(Path(__file__).with_name("floor_site.py"))]


CPU: list[float] = []  # CPU seconds (user + sys) of each timed command, in order


def timed(cmd: list[str], cwd: Path) -> tuple[float, bytes]:
    """Wall seconds and stdout of one run; its CPU seconds go to CPU (less sensitive to a busy machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = run(cmd, cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, out


def medians(cmd: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """Median wall and median CPU seconds over `runs` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        walls.append(timed(cmd, cwd)[0])
        cpus.append(CPU[-1])
    return statistics.median(walls), statistics.median(cpus)


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
    report = Report(["what", "trail site", "git floor", "wall ratio", "CPU ratio", "files written", "target"])
    targets = []
    with tempfile.TemporaryDirectory(prefix="trail-bench-") as tmp:
        repo = generate(Path(tmp) / "site", commits, tags, 0, artifacts)
        out = Path(tmp) / "out"
        floor, floor_cpu = medians(FLOOR, repo, 7)
        floor_text = f"{floor * 1000:,.0f} ms, CPU {floor_cpu * 1000:,.0f} ms"
        cold, cold_cpu = [], []
        for _ in range(runs):
            shutil.rmtree(repo / ".git" / "trail", ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
            cold.append(timed([TRAIL, "site", "-o", str(out)], repo)[0])
            cold_cpu.append(CPU[-1])
        pages = sum(1 for p in out.rglob("*") if p.is_file())
        cold_s, cold_c = statistics.median(cold), statistics.median(cold_cpu)
        report.add(
            f"cold build ({pages} files)",
            f"{cold_s * 1000:,.0f} ms, CPU {cold_c * 1000:,.0f} ms ({runs}x)",
            floor_text,
            f"{ratio(cold_s, floor):.1f}x",
            f"{ratio(cold_c, floor_cpu):.1f}x",
            pages,
            "40x",
        )
        targets.append(("cold build within 40x of the floor (wall)", cold_s <= 40 * floor))
        again, again_cpu, written = [], [], []
        for n in range(max(runs, 3)):
            new_registration(repo, n)
            seconds, text = timed([TRAIL, "site", "-o", str(out)], repo)
            again.append(seconds)
            again_cpu.append(CPU[-1])
            written.append(int(text.split(b": ", 1)[1].split(b" ", 1)[0]))
        again_s, again_c = statistics.median(again), statistics.median(again_cpu)
        report.add(
            "rebuild after one registration",
            f"{again_s * 1000:,.0f} ms, CPU {again_c * 1000:,.0f} ms ({len(again)}x)",
            floor_text,
            f"{ratio(again_s, floor):.1f}x",
            f"{ratio(again_c, floor_cpu):.1f}x",
            max(written),
            "5x, <= 20 files",
        )
        targets.append(("rebuild within 5x of the floor (wall)", again_s <= 5 * floor))
        targets.append(("rebuild rewrites at most 20 files", max(written) <= 20))
        nothing, nothing_cpu = medians([TRAIL, "site", "-o", str(out)], repo, runs)
        report.add(
            "rebuild, nothing new",
            f"{nothing * 1000:,.0f} ms, CPU {nothing_cpu * 1000:,.0f} ms",
            floor_text,
            f"{ratio(nothing, floor):.1f}x",
            f"{ratio(nothing_cpu, floor_cpu):.1f}x",
            0,
            "",
        )
    verdicts = [f"- {'MET' if ok else 'NOT MET'}: {what}" for what, ok in targets]
    print("\n".join(verdicts))
    if not args.quick:
        text = (
            f"## Registry site\n\n{machine()}\nRepo: {commits} commits, {tags} tags, {artifacts} artifacts. "
            "Medians on a shared, noisy machine (other jobs were running): wall-clock time, and the CPU time\n"
            "(user + system) of the same runs, which contention disturbs less.\n\n"
        )
        write_section("site", text + report.markdown() + "\n" + "\n".join(verdicts) + "\n")


if __name__ == "__main__":
    main()
