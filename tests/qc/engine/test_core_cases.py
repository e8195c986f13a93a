"""CDISC CORE's own test cases (cdisc-open-rules) through clinforge's rule engine.

Every positive case must give no finding, every negative case exactly the expected results
(dataset, record, variable, value); ADaMIG cases carry no expected results, so their negative
cases must give at least one finding. A rule passes when all its cases pass. The per-rule table
is printed, and the test fails when fewer rules pass than `core_pass_rate.json` records (raise
the record when the engine gets better: `pytest ... --record-core-rate`). Every rule that fails is
listed with the reason in `core_known_failures.yaml`, and every rule listed there fails.

SENDIG cases run with the SDTMIG 3.4 metadata, the nearest IG the reference folder holds.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from qc.engine.cases import PASS, check_rule
from qc.engine.library import Library
from tests.reference import reference, reference_libraries

RECORD = Path(__file__).with_name("core_pass_rate.json")
KNOWN = Path(__file__).with_name("core_known_failures.yaml")  # rule id: why its cases fail
SUITES = {"SDTMIG": ("cdisc-open-rules", "Published"),
          "ADaMIG": ("cdisc-open-rules", "Unpublished", "ADAMIG")}


@pytest.fixture(scope="module")
def libraries() -> dict[str, Library]:
    return reference_libraries()


def _rule_status(results) -> str:
    if all(r.status == PASS for r in results):
        return "passed"
    return "not supported" if any(r.status == "not supported" for r in results) else "failed"


def _why(results, known: str | None) -> str:
    """The listed reason, else the cases that failed and how."""
    if known:
        return " ".join(known.split())
    failed = [r for r in results if r.status != PASS]
    return "; ".join(f"{r.case}: {len(r.missing)} missing, {len(r.extra)} extra {r.reason}".strip()
                     for r in failed)


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_core_rule_cases(suite, libraries, request):
    folders = sorted(p for p in reference(*SUITES[suite]).iterdir() if (p / "rule.yml").is_file())
    known = yaml.safe_load(KNOWN.read_text())[suite]
    results = {folder.name: check_rule(folder, libraries) for folder in folders}
    table = {rule: _rule_status(found) for rule, found in results.items()}
    counts = Counter(table.values())
    print(f"\n{suite}: {len(table)} rules, " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for rule, status in sorted(table.items()):
        note = "" if status == "passed" else f"  {_why(results[rule], known.get(rule))}"
        print(f"  {rule:<20} {status:<14}{note}")
    recorded = json.loads(RECORD.read_text())
    passed = counts["passed"]
    if request.config.getoption("--record-core-rate"):
        recorded[suite] = passed
        RECORD.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    assert passed >= recorded[suite], f"{suite}: {passed} rules pass, fewer than {recorded[suite]} recorded"
    failing = {rule for rule, status in table.items() if status != "passed"}
    fixed, unexplained = sorted(set(known) - failing), sorted(failing - set(known))
    assert not fixed, f"listed in {KNOWN.name} but passing (remove them): {fixed}"
    assert not unexplained, f"failing without a reason in {KNOWN.name}: {unexplained}"
