"""Time each pipeline stage through the real command line, at several study sizes.

Each stage runs as its own `clinforge` process; wall time is measured around it and its peak
resident memory comes from the kernel's accounting of that process (os.wait4). Medians over the
repetitions go to a Markdown table.

    python benchmarks/run.py --study ovarian --subjects 1000 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

STAGES = ("synth", "sdtm", "adam")


def stage_command(stage: str, study: str, work: Path, subjects: int, seed: int) -> list[str]:
    exe = [sys.executable, "-m", "clinforge.cli"]
    folders = {"synth": work / "raw", "sdtm": work / "sdtm", "adam": work / "adam"}
    if stage == "synth":
        return [*exe, "synth", study, "--out", str(folders["synth"]), "--subjects", str(subjects),
                "--seed", str(seed), "--quiet"]
    if stage == "sdtm":
        return [*exe, "sdtm", study, "--raw", str(folders["synth"]), "--out", str(folders["sdtm"]),
                "--quiet"]
    return [*exe, "adam", study, "--sdtm", str(folders["sdtm"]), "--out", str(folders["adam"]), "--quiet"]


def measure(command: list[str]) -> tuple[float, float]:
    """Seconds and peak resident memory (MiB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, " \
           f"Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--study", action="append", help="shipped study (repeatable); default ovarian")
    parser.add_argument("--subjects", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--results", type=Path, help="append the table to this Markdown file")
    args = parser.parse_args()
    stages = [s for s in args.stages.split(",") if s]
    rows = []
    for study in args.study or ["ovarian"]:
        for n in args.subjects:
            work = args.work / f"{study}-{n}"
            shutil.rmtree(work, ignore_errors=True)
            timings: dict[str, list[tuple[float, float]]] = {s: [] for s in stages}
            for _ in range(args.repeat):
                for stage in stages:
                    timings[stage].append(measure(stage_command(stage, study, work, n, args.seed)))
            for stage in stages:
                seconds = statistics.median(t for t, _ in timings[stage])
                peak = max(m for _, m in timings[stage])
                rows.append((study, n, stage, seconds, peak))
                print(f"{study:10} {n:>6} {stage:6} {seconds:8.2f} s {peak:8.0f} MiB", flush=True)
    table = ["| study | subjects | stage | median s | peak MiB |", "|---|---:|---|---:|---:|"]
    table += [f"| {s} | {n} | {st} | {t:.2f} | {m:.0f} |" for s, n, st, t, m in rows]
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    text = f"\nMachine: {machine()}\n\nCommand: `{command}` ({args.repeat} repetitions)\n\n" + \
        "\n".join(table) + "\n"
    print(text)
    if args.results:
        with args.results.open("a") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
