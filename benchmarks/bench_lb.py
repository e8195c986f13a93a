"""`clinforge validate` with the whole rule catalogue on a simulated 10,000,000-record LB (issue #14).

Writes a simulated SDTM folder once (Parquet: DM with one record per subject, LB with `--records`
records spread over the subjects, seeded), then runs `clinforge validate FOLDER --no-suites` as
one whole process: clinforge's catalogue and the CT checks, against SDTMIG 3.4
and CDISC CT 2025-03-28 imported from ../shared/reference into a store of its own (as
bench_core.py). Wall time, CPU time and peak memory (summed PSS of the process tree,
`run.TreeSampler`) are printed; the targets are 120 s and 8 GiB on the 2-core machine. A few
records carry planted errors, so reporting is timed too.

    python benchmarks/bench_lb.py                          # 10,000,000 records, 20,000 subjects
    python benchmarks/bench_lb.py --records 100000 --subjects 200 --work /tmp/lb   # a quick try
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_core import clinforge_store, timed  # benchmarks/ is on the path when this script runs

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS, TARGET_GIB = 120.0, 8.0
STUDY = "LBBENCH"
# (LBTESTCD, LBTEST, LBCAT, unit, normal low, normal high, mean, sd): CDISC CT terms and units.
TESTS = (
    ("ALT", "Alanine Aminotransferase", "CHEMISTRY", "U/L", 7, 56, 30, 12),
    ("AST", "Aspartate Aminotransferase", "CHEMISTRY", "U/L", 10, 40, 25, 9),
    ("ALP", "Alkaline Phosphatase", "CHEMISTRY", "U/L", 44, 147, 90, 25),
    ("BILI", "Bilirubin", "CHEMISTRY", "umol/L", 3, 21, 10, 4),
    ("CREAT", "Creatinine", "CHEMISTRY", "umol/L", 53, 115, 80, 15),
    ("GLUC", "Glucose", "CHEMISTRY", "mmol/L", 3.9, 5.6, 5.0, 0.8),
    ("SODIUM", "Sodium", "CHEMISTRY", "mmol/L", 135, 145, 140, 3),
    ("K", "Potassium", "CHEMISTRY", "mmol/L", 3.5, 5.1, 4.2, 0.4),
    ("HGB", "Hemoglobin", "HEMATOLOGY", "g/L", 120, 170, 135, 15),
    ("WBC", "Leukocytes", "HEMATOLOGY", "10^9/L", 4.0, 11.0, 6.5, 2.0),
    ("PLAT", "Platelets", "HEMATOLOGY", "10^9/L", 150, 400, 250, 60),
    ("NEUT", "Neutrophils", "HEMATOLOGY", "10^9/L", 1.8, 7.5, 4.0, 1.5),
)
VISIT_EVERY = 6  # days between visits after DAY 1: about 50 visits per subject within the year
PLANTED = 1e-4  # share of LB records with a planted error (a --DY off by one, a missing unit)


def simulate(records: int, subjects: int, seed: int) -> dict[str, pd.DataFrame]:
    """DM and LB as an SDTM conversion would write them: records cycle through the tests, one
    visit per cycle (screening, DAY 1, then every VISIT_EVERY days), so that no two records of a
    subject share test, visit and date; values drawn around each test's mean."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{STUDY}-{i // 100 + 1:03d}-{i + 1:05d}" for i in range(subjects)])
    start = np.datetime64("2024-01-08") + rng.integers(0, 365, subjects).astype("timedelta64[D]")
    dm = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": ids, "SUBJID": [i[-5:] for i in ids],
        "RFSTDTC": np.datetime_as_string(start), "RFENDTC": np.datetime_as_string(start + 365),
        "SITEID": [i.split("-")[1] for i in ids], "AGE": rng.integers(18, 80, subjects).astype(float),
        "AGEU": "YEARS", "SEX": rng.choice(["F", "M"], subjects), "ARMCD": "A", "ARM": "Treatment A",
        "ACTARMCD": "A", "ACTARM": "Treatment A", "COUNTRY": "USA",
    })
    subject = np.sort(rng.integers(0, subjects, records))
    first = np.searchsorted(subject, np.arange(subjects))
    within = np.arange(records) - first[subject]  # the record's position within its subject
    test = within % len(TESTS)
    visit = within // len(TESTS)
    table = pd.DataFrame(TESTS, columns=["cd", "name", "cat", "unit", "lo", "hi", "mean", "sd"])
    pick = table.iloc[test].reset_index(drop=True)
    value = np.round(pick["mean"].to_numpy() + pick["sd"].to_numpy() * rng.standard_normal(records), 1)
    value = np.abs(value)
    day = np.where(visit == 0, -14, 1 + VISIT_EVERY * (visit - 1))
    date = start[subject] + (day - (day > 0)).astype("timedelta64[D]")
    text = value.astype(str)
    nrind = np.where(value < pick["lo"], "LOW", np.where(value > pick["hi"], "HIGH", "NORMAL"))
    planted = rng.random(records) < PLANTED
    unit = np.where(planted & (test % 2 == 0), "", pick["unit"].to_numpy())
    lb = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "LB", "USUBJID": ids[subject], "LBSEQ": (within + 1).astype(float),
        "LBTESTCD": pick["cd"], "LBTEST": pick["name"], "LBCAT": pick["cat"],
        "LBORRES": text, "LBORRESU": unit, "LBORNRLO": pick["lo"].astype(str),
        "LBORNRHI": pick["hi"].astype(str), "LBSTRESC": text, "LBSTRESN": value,
        "LBSTRESU": unit, "LBSTNRLO": pick["lo"].astype(float), "LBSTNRHI": pick["hi"].astype(float),
        "LBNRIND": nrind, "LBBLFL": np.where(within // len(TESTS) == 1, "Y", ""),  # first DAY 1 visit
        "VISITNUM": (visit + 1).astype(float),
        "VISIT": np.where(visit == 0, "SCREENING", "DAY " + day.astype(str)),
        "EPOCH": np.where(visit == 0, "SCREENING", "TREATMENT"),
        "LBDTC": np.datetime_as_string(date), "LBDY": (day + (planted & (test % 2 == 1))).astype(float),
    })
    return {"dm": dm, "lb": lb}


def write(frames: dict[str, pd.DataFrame], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)


def validate(folder: Path, report: Path, env: dict[str, str]) -> dict:
    """One `clinforge validate` process, timed as bench_core.py times its processes."""
    command = [sys.executable, "-m", "clinforge.cli", "validate", str(folder), "--no-suites", "--quiet",
               "--ct", "2025-03-28", "--report", str(report)]
    log = report.with_suffix(".log")
    result = timed(command, ROOT, log, env)
    if result["exit"] not in (0, 1):  # 1: findings at or above error, a completed run
        raise SystemExit(f"clinforge validate failed (exit {result['exit']}): see {log}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "out" / "lb")
    args = parser.parse_args()
    folder = args.work / f"sdtm-{args.records}"
    if not (folder / "lb.parquet").exists():
        started = time.perf_counter()
        write(simulate(args.records, args.subjects, args.seed), folder)
        print(f"simulated {args.records:,} LB records for {args.subjects:,} subjects in "
              f"{time.perf_counter() - started:.1f} s: {folder}")
    env = clinforge_store(args.work / "clinforge-data")
    result = validate(folder, args.work / f"report-{args.records}", env)
    summary = json.loads((args.work / f"report-{args.records}" / "summary.json").read_text())
    print(f"load average before: {result['load_before']}, after: {result['load_after']}")
    print(f"clinforge validate --no-suites: {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU, "
          f"peak {result['peak_tree_pss_mib']:,} MiB (summed PSS), exit {result['exit']}")
    met = result["wall_s"] <= TARGET_SECONDS, result["peak_tree_pss_mib"] <= TARGET_GIB * 1024
    print(f"targets: {TARGET_SECONDS:.0f} s ({'met' if met[0] else 'NOT met'}), "
          f"{TARGET_GIB:.0f} GiB ({'met' if met[1] else 'NOT met'})")
    print("findings:", summary["findings"], "by rule:", summary["by_rule"])
    print("not run:", sorted({(r["rule"], r["dataset"]) for r in summary["not_run"]}))


if __name__ == "__main__":
    main()
