"""qc/engine/cases.py: a rule folder in the cdisc-open-rules layout, checked case by case."""

from __future__ import annotations

from pathlib import Path

from qc.engine.cases import FAIL, PASS, check_rule

RULE = """\
Authorities:
  - Organization: CDISC
    Standards:
      - Name: SDTMIG
        Version: "3.4"
Check:
  all:
    - name: dataset_name
      operator: prefix_is_not_contained_by
      prefix: 2
      value: $names
Core: {Id: CASE-001, Status: Draft, Version: "1"}
Operations:
  - id: $names
    operator: dataset_names
Outcome:
  Message: the parent domain of a split dataset is missing
  Output Variables: [dataset_name, $names]
Rule Type: Dataset Metadata Check
Scope:
  Classes: {Include: [ALL]}
  Domains: {Include: [ALL]}
Sensitivity: Record
"""


def case(folder: Path, datasets: dict[str, str], results: str | None = None) -> None:
    data = folder / "data"
    data.mkdir(parents=True)
    (data / ".env").write_text("PRODUCT=SDTMIG\nVERSION=3-4\n")
    (data / "_datasets.csv").write_text("Filename,Label\n" + "".join(f"{n},{n}\n" for n in datasets))
    (data / "_variables.csv").write_text("dataset,variable,label,type,length\n")
    for name, text in datasets.items():
        (data / f"{name}.csv").write_text(text)
    if results is not None:
        (folder / "results").mkdir()
        (folder / "results" / "results.csv").write_text(results)


def test_cases_pass_and_set_valued_lists_compare_in_any_order(tmp_path):
    (tmp_path / "rule.yml").write_text(RULE)
    case(tmp_path / "positive" / "01", {"qs": "STUDYID,DOMAIN\nS,QS\n", "qs1": "STUDYID,DOMAIN\nS,QS\n"})
    # dataset_names comes from a set in CORE: the expected list's order is one run's
    case(tmp_path / "negative" / "01", {"qs1": "STUDYID,DOMAIN\nS,QS\n"},
         "Dataset,Record,Variable,Value\nQS1,1,$names,['QS1']\nQS1,1,dataset_name,QS1\n")
    case(tmp_path / "negative" / "02", {"qs1": "STUDYID,DOMAIN\nS,QS\n", "qsae": "STUDYID,DOMAIN\nS,QS\n"},
         "Dataset,Record,Variable,Value\nQS1,1,$names,\"['QSAE', 'QS1']\"\nQS1,1,dataset_name,QS1\n"
         "QSAE,1,$names,\"['QSAE', 'QS1']\"\nQSAE,1,dataset_name,QSAE\n")
    results = check_rule(tmp_path)
    assert [(r.case, r.status) for r in results] == [
        ("negative/01", PASS), ("negative/02", PASS), ("positive/01", PASS)]


def test_a_case_with_a_finding_too_many_fails_and_says_which(tmp_path):
    (tmp_path / "rule.yml").write_text(RULE)
    case(tmp_path / "positive" / "01", {"qs1": "STUDYID,DOMAIN\nS,QS\n"})
    [result] = check_rule(tmp_path)
    assert result.status == FAIL
    assert ("QS1", "1", "dataset_name", "QS1") in result.extra
