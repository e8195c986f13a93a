"""The cost of the CDISC CT check (`qc.terminology`) in the validation of a simulated study.

Makes the study's SDTM (`clinforge synth` + `clinforge sdtm`) unless `--sdtm` names a folder,
reads it once, then validates the datasets against the study's specs with and without the CT
rules, alternating, in this one process; prints the median seconds of each and their ratio. The
CT packages and implementation guides are those of the store (`--ct-dir`, else the default).

    python benchmarks/bench_ct.py --study ovarian --subjects 10000 --repeat 3 --ct-dir DIR
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import qc.validate
from qc.validate import validate_folder
from specs.loader import load_study
from specs.readers import read_folder


def make_sdtm(study: str, subjects: int, folder: Path, store: str | None) -> Path:
    clinforge = Path(sys.executable).with_name("clinforge")
    extra = ["--ct-dir", store] if store else []
    subprocess.run([clinforge, "synth", study, "--out", folder / "raw", "--subjects", str(subjects),
                    "--seed", "1", "-q"], check=True)
    subprocess.run([clinforge, "sdtm", study, "--raw", folder / "raw", "--out", folder / "sdtm", "-q",
                    *extra], check=True)
    return folder / "sdtm"


def timed(frames, study, store, with_ct: bool) -> tuple[float, float]:
    """Seconds of one validation, and of the CT rules within it."""
    original = qc.validate.terminology_rules
    if not with_ct:
        qc.validate.terminology_rules = lambda *args, **kwargs: []
    try:
        started = time.perf_counter()
        result = validate_folder(frames, specs=study, store=store)
        seconds = time.perf_counter() - started
    finally:
        qc.validate.terminology_rules = original
    ct = sum(v for k, v in result.timings.items() if k.startswith(("rule CT", "rule SD")))
    return seconds, ct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="ovarian")
    parser.add_argument("--subjects", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sdtm", type=Path, help="an SDTM folder of the study, instead of making one")
    parser.add_argument("--ct-dir", help="store of imported CDISC packages")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        folder = args.sdtm or make_sdtm(args.study, args.subjects, Path(work), args.ct_dir)
        frames = read_folder(folder)
        study = load_study(args.study, args.ct_dir)
        records = sum(len(f) for f in frames.values())
        load = os.getloadavg()
        runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for _ in range(args.repeat):
            for with_ct in (False, True):
                runs[with_ct].append(timed(frames, study, args.ct_dir, with_ct))
    without = statistics.median(s for s, _ in runs[False])
    with_ct = statistics.median(s for s, _ in runs[True])
    ct_rules = statistics.median(c for _, c in runs[True])
    packages = ", ".join(c.source.label for c in study.terminology)
    print(f"{args.study}, {args.subjects} subjects, {records:,} SDTM records; CT: {packages}")
    print(f"load average before (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in load)}")
    print(f"validation without the CT check: {without:.1f} s; with it: {with_ct:.1f} s "
          f"(+{100 * (with_ct / without - 1):.1f} %); the CT rules themselves: {ct_rules:.1f} s "
          f"(median of {args.repeat})")


if __name__ == "__main__":
    main()
