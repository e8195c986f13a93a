"""Time the EDC export simulator: simulate + write_raw per study and size, median of repetitions.

    PYTHONPATH=. python benchmarks/bench_synth.py [--repeat 3] [--sizes 1000,10000]

Each case runs in a fresh process so that its peak resident memory (getrusage) is its own;
tracemalloc's peak (Python allocations, numpy included) is measured in a separate run, because
tracing slows the code it measures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _one_case(study_name: str, n: int, repeat: int) -> dict:
    import resource
    import tracemalloc

    from edc.simulator import simulate
    from edc.writer import write_raw
    from specs.loader import load_study

    study = load_study(study_name)
    simulate(study, 5, seed=0)  # warm caches (date tables, CRF library)
    sim_times, write_times = [], []
    rows = 0
    for seed in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            frames = simulate(study, n, seed=seed)
            middle = time.perf_counter()
            write_raw(frames, folder)
            end = time.perf_counter()
            size = sum(p.stat().st_size for p in Path(folder).iterdir())
        sim_times.append(middle - start)
        write_times.append(end - middle)
        rows = sum(len(f) for f in frames.values())
        del frames
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    tracemalloc.start()
    simulate(study, n, seed=0)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "study": study_name, "subjects": n, "rows": rows, "megabytes": size / 2**20,
        "simulate": statistics.median(sim_times), "write": statistics.median(write_times),
        "total": statistics.median(s + w for s, w in zip(sim_times, write_times, strict=True)),
        "peak_rss_mib": rss, "peak_traced_mib": traced,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # study:n, run inside the child process
    args = parser.parse_args()
    if args.case:
        study, n = args.case.split(":")
        print(json.dumps(_one_case(study, int(n), args.repeat)))
        return
    cases = [("ovarian", int(n)) for n in args.sizes.split(",")] + [("cervical", int(n))
                                                                    for n in args.sizes.split(",")]
    print(f"{'study':<9} {'subjects':>8} {'rows':>9} {'MiB csv':>8} {'simulate s':>10} {'write s':>8} "
          f"{'total s':>8} {'peak RSS MiB':>12} {'traced MiB':>10}")
    for study, n in cases:
        command = [sys.executable, __file__, "--case", f"{study}:{n}", "--repeat", str(args.repeat)]
        out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['study']:<9} {r['subjects']:>8} {r['rows']:>9} {r['megabytes']:>8.1f} "
              f"{r['simulate']:>10.2f} {r['write']:>8.2f} {r['total']:>8.2f} "
              f"{r['peak_rss_mib']:>12.0f} {r['peak_traced_mib']:>10.0f}")


if __name__ == "__main__":
    main()
