"""Timing helpers for the benchmarks: median wall time of a command, ratios, Markdown result rows."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
TRAIL, GTO = str(BIN / "trail"), str(BIN / "gto")
FLOOR = [sys.executable, str(Path(__file__).with_name("floor.py"))]
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_CONFIG_NOSYSTEM": "1"}


@dataclass
class Timing:
    seconds: float
    runs: int


def run(cmd: list[str], cwd: Path) -> bytes:
    """Run a command once; its stdout, or a RuntimeError with its stderr."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, env=ENV)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}")
    return proc.stdout


def run_json(cmd: list[str], cwd: Path) -> object:
    return json.loads(run(cmd, cwd))


def median_time(cmd: list[str], cwd: Path, runs: int = 5, budget: float = 30.0) -> Timing:
    """Median wall time over `runs` runs; stops early (at least one run) once `budget` seconds are spent."""
    times: list[float] = []
    while len(times) < runs and (not times or sum(times) < budget):
        start = time.perf_counter()
        run(cmd, cwd)
        times.append(time.perf_counter() - start)
    return Timing(statistics.median(times), len(times))


def ratio(slow: float, fast: float) -> float:
    return slow / fast if fast > 0 else float("inf")


def fmt(t: Timing | None) -> str:
    return "-" if t is None else f"{t.seconds * 1000:,.0f} ms ({t.runs}x)"


@dataclass
class Report:
    """Rows of a Markdown table, printed as they come and optionally appended to a file."""

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])
        print("  ".join(f"{c:<18}" for c in self.rows[-1]), flush=True)

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.header) + " |", "|" + "---|" * len(self.header)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in self.rows]) + "\n"


def machine() -> str:
    """Machine and tool versions, as Markdown bullets."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    mem = next((ln.split()[1] for ln in open("/proc/meminfo") if ln.startswith("MemTotal")), "0")
    ver = {n: run([sys.executable, "-c", f"import {n}; print({n}.__version__)"], Path.cwd()) for n in ("gto", "dvc")}
    git = run(["git", "--version"], Path.cwd()).decode().split()[-1]
    root = Path(__file__).resolve().parents[1]
    head = run(["git", "rev-parse", "--short", "HEAD"], root).decode().strip()
    dirty = " + uncommitted changes in src/" if run(["git", "status", "--porcelain", "src"], root).strip() else ""
    return (
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}\n"
        f"- Machine: {len(os.sched_getaffinity(0))} cores (`nproc`), {cpu}, "
        f"{int(mem) / 2**20:.1f} GiB RAM, {platform.system()} {platform.release()}\n"
        f"- Python {platform.python_version()}, git {git}, gto {ver['gto'].decode().strip()}, "
        f"dvc {ver['dvc'].decode().strip()}\n- trail at commit {head}{dirty}; "
        f"load average before the run: {os.getloadavg()[0]:.2f}\n"
    )


RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(name: str, text: str, results: Path = RESULTS) -> None:
    """Replace (or append) this benchmark's section of RESULTS.md, leaving the other benchmarks' sections."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    old = results.read_text() if results.exists() else "# trail benchmark results\n"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in old and end in old:
        new = old[: old.index(begin)] + block + old[old.index(end) + len(end) :]
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    results.write_text(new)
