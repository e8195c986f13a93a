"""Time the SDTM conversion (`sdtm.engine.convert`) per study and size, median of repetitions.

    PYTHONPATH=. python benchmarks/bench_sdtm.py [--repeat 3] [--sizes 1000,10000]

For each case the simulated EDC exports are written to CSV and read back (`edc.readers.read_raw`),
as `clinforge sdtm` reads them; only the conversion is timed: wall time and the process's CPU
time (on a shared machine the CPU time shows the work, the wall time also the waiting). Each
case runs in a fresh process so that its peak resident memory (getrusage) is its own. Datasets
built from the analysis (PP, RELREC: `from_analysis`) are the pipeline's, not the engine's, and
are left out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _one_case(study_name: str, n: int, repeat: int) -> dict:
    import resource

    from edc.readers import read_raw
    from edc.simulator import simulate
    from edc.writer import write_raw
    from sdtm.engine import convert
    from specs.loader import load_study

    study = load_study(study_name)
    study = replace(study, sdtm={k: v for k, v in study.sdtm.items()
                                 if not v.parameters.get("from_analysis")})
    with tempfile.TemporaryDirectory() as folder:
        write_raw(simulate(study, n, seed=1), folder)
        raw = read_raw(folder, study)
    convert(study, {k: v.head(20) for k, v in raw.items()})  # warm imports and caches
    walls, cpus = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = convert(study, raw)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "study": study_name, "subjects": n, "raw_rows": sum(len(f) for f in raw.values()),
        "sdtm_rows": sum(len(f) for f in out.values()), "wall": statistics.median(walls),
        "cpu": statistics.median(cpus), "peak_rss_mib": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--studies", default="ovarian,cervical")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # study:n, run inside the child process
    args = parser.parse_args()
    if args.case:
        study, n = args.case.split(":")
        print(json.dumps(_one_case(study, int(n), args.repeat)))
        return
    print(f"{'study':<9} {'subjects':>8} {'raw rows':>9} {'SDTM rows':>10} {'wall s':>7} {'CPU s':>7} "
          f"{'peak RSS MiB':>12}")
    for study in args.studies.split(","):
        for n in args.sizes.split(","):
            command = [sys.executable, __file__, "--case", f"{study}:{n}", "--repeat", str(args.repeat)]
            out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{r['study']:<9} {r['subjects']:>8} {r['raw_rows']:>9} {r['sdtm_rows']:>10} "
                  f"{r['wall']:>7.2f} {r['cpu']:>7.2f} {r['peak_rss_mib']:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
