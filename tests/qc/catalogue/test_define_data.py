"""qc/catalogue/define-data: the rules comparing datasets with their define.xml, through `clinforge
validate` on a folder whose define.xml disagrees with a dataset (their cases: test_catalogue.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from clinforge.cli import app
from tests.reference import reference

RULES = Path(__file__).resolve().parents[3] / "qc" / "catalogue" / "define-data"


def _findings(tmp_path: Path, folder: Path) -> list[dict]:
    from typer.testing import CliRunner

    report = tmp_path / "report"
    result = CliRunner().invoke(app, ["validate", str(folder), "--no-suites", "--rules", str(RULES),
                                      "--report", str(report), "-q"])
    assert result.exit_code in (0, 1), result.output
    found = json.loads((report / "findings.json").read_text())
    return found["findings"] if isinstance(found, dict) else found


def test_the_folders_define_xml_is_compared_with_its_datasets(tmp_path):
    folder = Path(shutil.copytree(reference("pilot3-adam"), tmp_path / "adam"))
    define = folder / "define.xml"
    define.write_text(define.read_text(encoding="utf-8").replace(
        "Subject-Level Analysis Dataset", "Subject Level Analysis Dataset", 1), encoding="utf-8")
    found = {(f["rule"], f["dataset"], f["value"]) for f in _findings(tmp_path, folder)}
    assert ("DSD-DATASET-LABEL", "ADSL",
            "dataset_label=Subject-Level Analysis Dataset; define_dataset_label=Subject Level Analysis "
            "Dataset") in found
    # the define.xml describes ADADAS and ADLBC, which the reference folder does not hold
    assert {("DSD-DEFINE-DATASET-MISSING", "STUDY", name) for name in ("ADADAS", "ADLBC")} <= found
    assert {rule for rule, _, _ in found} == {"DSD-DATASET-LABEL", "DSD-DEFINE-DATASET-MISSING"}


def test_without_a_define_xml_the_rules_are_reported_not_run():
    from dataclasses import replace

    from qc.engine.cases import read_case
    from qc.engine.rule import load_rule
    from qc.engine.run import NOT_RUN, run_rule

    folder = RULES / "DSD-VARIABLE-LABEL"
    submission = replace(read_case(folder / "negative" / "01"), define=None)
    outcomes = run_rule(load_rule(folder / "rule.yml"), submission)
    assert {(o.status, o.reason) for o in outcomes} == {
        (NOT_RUN, "needs a define.xml (validate --define FILE, or define.xml beside the datasets)")}
