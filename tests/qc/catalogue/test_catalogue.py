"""clinforge's own rule catalogue (qc/catalogue): every rule loads, has an id of its own and at least
one positive and one negative case, and passes all its cases; and its coverage of the Pinnacle 21
rules (qc/catalogue/coverage/*.csv) is what the files say and does not drop.

The Define-XML rules (qc/catalogue/define) run over a define.xml's tables: tests/qc/test_define_validation.py.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from qc.engine.cases import PASS, check_rule
from qc.engine.rule import load_rule
from tests.reference import reference, reference_libraries

CATALOGUE = Path(__file__).resolve().parents[3] / "qc" / "catalogue"
FOLDERS = sorted(p.parent for p in CATALOGUE.rglob("rule.yml") if p.parent.parent.name != "define")
RULES = {f: load_rule(f / "rule.yml") for f in FOLDERS}
RECORD = Path(__file__).with_name("coverage_rate.json")  # P21 rules covered, per standard
TARGET = 0.80
# Checks that are no rule files: the CDISC CT checks.
BUILT_IN_IDS = {"qc/terminology.py"}


def test_every_rule_has_its_own_id_and_both_kinds_of_case():
    every = [load_rule(p).id for p in CATALOGUE.rglob("rule.yml")]
    assert len(every) == len(set(every))
    for folder, rule in RULES.items():
        assert rule.id == folder.name
        assert any((folder / "positive").glob("*/data")) and any((folder / "negative").glob("*/data")), folder
        for results in (folder / "negative").glob("*/results/results.csv"):  # a negative case finds something
            assert len(results.read_text(encoding="utf-8").strip().splitlines()) > 1, results


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_case_passes(folder):
    # the implementation guides as imported from the CDISC Library, for the rules that consult them
    results = check_rule(folder, reference_libraries())
    assert [(r.case, r.status, r.missing, r.extra, r.reason) for r in results if r.status != PASS] == []


def _coverage(standard: str) -> list[dict]:
    with open(CATALOGUE / "coverage" / f"{standard}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("standard", ["sdtm", "adam"])
def test_coverage_of_the_pinnacle_21_rules(standard):
    rows = _coverage(standard)
    # every P21 rule of the catalogue, once
    listed = reference("validator-rules", f"p21-community-4.0.2-{standard}-rules.csv")
    with open(listed, encoding="utf-8") as f:
        assert [r["p21_id"] for r in rows] == [r["Pinnacle 21 ID"] for r in csv.DictReader(f)]
    known = {rule.id for rule in RULES.values()} | BUILT_IN_IDS
    covering: dict[str, set[str]] = {}
    for row in rows:
        named = {n for n in row["covered_by"].split(";") if n}
        assert named <= known, f"{row['p21_id']}: no rule {sorted(named - known)}"
        assert not (named and row["out_of_scope"]), f"{row['p21_id']}: covered and out of scope"
        for name in named:
            covering.setdefault(name, set()).add(row["p21_id"])
    ids = {row["p21_id"] for row in rows}
    for rule in RULES.values():  # a rule's Publisher Ids and the file agree
        assert {p for p in rule.p21_ids if p in ids} == covering.get(rule.id, set()), rule.id
    in_scope = [r for r in rows if not r["out_of_scope"]]
    done = sum(1 for r in in_scope if r["covered_by"])
    recorded = json.loads(RECORD.read_text())[standard]
    print(f"{standard}: {done} of {len(in_scope)} in-scope P21 rules covered ({done / len(in_scope):.1%}; "
          f"target {TARGET:.0%}, recorded {recorded})")
    assert done >= recorded, f"coverage fell from {recorded} to {done} rules"
