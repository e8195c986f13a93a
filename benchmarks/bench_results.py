"""Time `clinforge results` (issue #17) on a simulated study: the ARD, ARS metadata and review report.

Makes the study's ADaM once (`clinforge synth`, `clinforge sdtm`, `clinforge adam`, kept in
`--work`), then runs `clinforge results` as its own process, timed around it, and prints its wall
time, the sizes of the files it wrote, and the time of each part measured in this process (reading
the ADaM folder, the analyses, the figures, the report's HTML and PDF). The targets: under 30 s at
10,000 subjects, report.html under 20 MB.

    python benchmarks/bench_results.py --study ovarian --subjects 10000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS, TARGET_REPORT_MB = 30.0, 20.0


def make_adam(study: str, subjects: int, seed: int, work: Path) -> Path:
    folder = work / f"{study}-{subjects}-seed{seed}"
    adam = folder / "adam"
    if not any(adam.glob("adsl.*")):
        exe = [sys.executable, "-m", "clinforge.cli"]
        subprocess.run([*exe, "synth", study, "--out", str(folder / "raw"), "--subjects", str(subjects),
                        "--seed", str(seed), "-q"], check=True)
        subprocess.run([*exe, "sdtm", study, "--raw", str(folder / "raw"), "--out", str(folder / "sdtm"),
                        "-q"], check=True)
        subprocess.run([*exe, "adam", study, "--sdtm", str(folder / "sdtm"), "--out", str(adam), "-q"],
                       check=True)
    return adam


def parts(study: str, adam: Path) -> dict[str, float]:
    """Seconds of each part, in this process."""
    from results.compute import ard_frame, compute_results, select
    from results.figures import draw
    from results.plan import study_plan
    from results.write import study_results
    from specs.loader import load_study
    from specs.readers import read_folder

    spec = load_study(study)
    plan = study_plan(spec)
    clock = time.perf_counter()
    frames = read_folder(adam)
    seconds = {"read ADaM": time.perf_counter() - clock}
    clock = time.perf_counter()
    results = compute_results(plan, frames)
    ard_frame(plan, results, spec.studyid)
    seconds["analyses"] = time.perf_counter() - clock
    clock = time.perf_counter()
    for figure in plan.figures:
        population = plan.analysis_set(figure.parameters["analysis_set"])
        draw(figure.kind, frames, select(frames[population.dataset], population), population.name,
             figure.parameters)
    seconds["figures"] = time.perf_counter() - clock
    clock = time.perf_counter()
    study_results(spec, frames, str(adam))
    seconds["everything, in process (analyses, figures, HTML, PDF)"] = time.perf_counter() - clock
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", default="ovarian")
    parser.add_argument("--subjects", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("out/bench-results"))
    args = parser.parse_args()
    adam = make_adam(args.study, args.subjects, args.seed, args.work)
    out = args.work / f"{args.study}-{args.subjects}-results"
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    clock = time.perf_counter()
    subprocess.run([sys.executable, "-m", "clinforge.cli", "results", args.study, "--adam", str(adam),
                    "--out", str(out), "-q"], check=True)
    wall = time.perf_counter() - clock
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    report_mb = sizes["report.html"] / 1e6
    print(f"clinforge results {args.study}, {args.subjects} subjects: {wall:.1f} s "
          f"(target < {TARGET_SECONDS:.0f} s: {'met' if wall < TARGET_SECONDS else 'NOT met'})")
    print("files: " + ", ".join(f"{name} {size / 1e6:.2f} MB" for name, size in sizes.items()))
    print(f"report.html {report_mb:.2f} MB (target < {TARGET_REPORT_MB:.0f} MB: "
          f"{'met' if report_mb < TARGET_REPORT_MB else 'NOT met'})")
    for name, seconds in parts(args.study, adam).items():
        print(f"  {name}: {seconds:.1f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
