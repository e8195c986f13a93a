"""Time the ADaM build (`adam.build.build_adam`) on simulated SDTM, both CAR-T studies, several sizes.

Each repetition runs in its own Python process, so its peak resident memory (the kernel's
ru_maxrss of that process) covers reading the SDTM folder and building every ADaM dataset,
and nothing cached from an earlier run. The build itself is timed apart from reading the SDTM.
SDTM is made once per study and size (`clinforge synth` then `clinforge sdtm`) and kept in
`--work`, so reruns skip it. `--profile` prints cProfile's top functions of one build instead.

    python benchmarks/bench_adam.py                                  # both studies, 1,000 and 10,000
    python benchmarks/bench_adam.py --study ovarian --subjects 10000 --profile
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

STUDIES = ("ovarian", "cervical")


def make_sdtm(study: str, subjects: int, seed: int, work: Path, form: str = "xpt") -> Path:
    """The SDTM folder of `study` at `subjects`, made by the command line when not there yet."""
    folder = work / f"{study}-{subjects}-seed{seed}"
    sdtm = folder / "sdtm"
    if not any(sdtm.glob("dm.*")):
        exe = [sys.executable, "-m", "clinforge.cli"]
        raw = folder / "raw"
        subprocess.run([*exe, "synth", study, "--out", str(raw), "--subjects", str(subjects),
                        "--seed", str(seed), "--quiet"], check=True)
        subprocess.run([*exe, "sdtm", study, "--raw", str(raw), "--out", str(sdtm), "--format", form,
                        "--quiet"], check=True)
    return sdtm


def build_once(study: str, sdtm: Path) -> dict[str, float]:
    """Read the SDTM folder and build the study's ADaM in this process; seconds and peak MiB."""
    from adam.build import build_adam
    from specs.loader import load_study
    from specs.readers import read_folder

    spec = load_study(study)
    start = time.perf_counter()
    frames = read_folder(sdtm)
    read = time.perf_counter() - start
    start = time.perf_counter()
    adam = build_adam(spec, frames)
    build = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"read": read, "build": build, "peak_mib": peak, "records": sum(len(f) for f in adam.values())}


def profile_once(study: str, sdtm: Path, top: int) -> None:
    """cProfile of one build: the functions with the most own time, then the most cumulative."""
    import cProfile
    import pstats

    from adam.build import build_adam
    from specs.loader import load_study
    from specs.readers import read_folder

    spec, frames = load_study(study), read_folder(sdtm)
    profiler = cProfile.Profile()
    profiler.enable()
    build_adam(spec, frames)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def repeat(study: str, sdtm: Path, times: int) -> list[dict[str, float]]:
    runs = []
    for _ in range(times):
        child = subprocess.run([sys.executable, __file__, "--child", study, str(sdtm)],
                               check=True, capture_output=True, text=True)
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    return runs


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
            f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--study", action="append", choices=STUDIES, help="repeatable; default both")
    parser.add_argument("--subjects", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261122, help="default: the command line's")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--sdtm-format", default="xpt", help="format clinforge sdtm writes: xpt or json")
    parser.add_argument("--profile", action="store_true", help="profile one build per study and size")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--child", nargs=2, metavar=("STUDY", "SDTM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(build_once(args.child[0], Path(args.child[1]))))
        return

    print(f"machine: {machine()}")
    rows = []
    for study in args.study or STUDIES:
        for n in args.subjects:
            sdtm = make_sdtm(study, n, args.seed, args.work, args.sdtm_format)
            if args.profile:
                print(f"== profile {study} {n}")
                profile_once(study, sdtm, args.top)
                continue
            runs = repeat(study, sdtm, args.repeat)
            row = (study, n, statistics.median(r["read"] for r in runs),
                   statistics.median(r["build"] for r in runs), max(r["peak_mib"] for r in runs),
                   int(runs[0]["records"]))
            rows.append(row)
            print(f"{study:9} {n:>6} read {row[2]:7.2f} s  build {row[3]:7.2f} s  peak {row[4]:6.0f} MiB  "
                  f"{row[5]:>9} ADaM records", flush=True)
    if rows:
        print(f"\n| study | subjects | read SDTM s | build ADaM s (median of {args.repeat}) | peak MiB "
              "| ADaM records |\n|---|---:|---:|---:|---:|---:|")
        for study, n, read, build, peak, records in rows:
            print(f"| {study} | {n} | {read:.2f} | {build:.2f} | {peak:.0f} | {records} |")


if __name__ == "__main__":
    main()
