"""The library's EG spec and the CRF library's `ecg` form, which no shipped study collects: a study
that adds them gets simulated ECGs, an EG dataset and a clean validation from specs alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
from typer.testing import CliRunner

from clinforge.cli import app
from specs.loader import STUDIES
from specs.readers import read_dataset

runner = CliRunner()


@pytest.fixture(scope="module")
def eg_study(tmp_path_factory) -> Path:
    """The ovarian study with a 12-lead ECG at screening and on the infusion day."""
    root = tmp_path_factory.mktemp("eg")
    study = root / "study"
    shutil.copytree(STUDIES / "ovarian", study)
    text = (study / "study.yaml").read_text().replace("forms: [enrol,", "forms: [ecg, enrol,", 1)
    for activities in ("[tumor, qlq, cytokine, qpcr", "[infusion, qpcr, cytokine"):
        text = text.replace(f"activities: {activities}]}}", f"activities: {activities}, ecg]}}")
    (study / "study.yaml").write_text(text)
    (study / "sdtm" / "EG.yaml").write_text("extends: EG\n")
    raw, sdtm = root / "raw", root / "sdtm"
    for command in (["synth", str(study), "--out", str(raw), "--subjects", "12", "--seed", "5"],
                    ["sdtm", str(study), "--raw", str(raw), "--out", str(sdtm)],
                    ["define", str(study), "--data", str(sdtm), "--out", str(sdtm / "define.xml")]):
        result = runner.invoke(app, [*command, "-q"])
        assert result.exit_code == 0, result.output
    return root


def test_eg_from_the_simulated_ecgs(eg_study):
    raw = pd.read_csv(eg_study / "raw" / "ecg.csv", dtype=str, keep_default_na=False)
    eg = read_dataset(eg_study / "sdtm" / "eg.xpt")
    assert len(eg) == len(raw) > 0
    assert set(eg["EGTESTCD"]) == {"EGHRMN", "PRAG", "QRSAG", "QTAG", "QTCFAG"}
    tests = dict(zip(eg["EGTESTCD"], eg["EGTEST"], strict=True))
    assert tests["QTCFAG"] == "QTcF Interval, Aggregate" and tests["EGHRMN"] == "ECG Mean Heart Rate"
    units = eg.groupby("EGTESTCD")["EGSTRESU"].agg(lambda u: set(u) - {""})
    assert units["EGHRMN"] == {"beats/min"} and units["QTCFAG"] == {"ms"}
    # A result left blank on the CRF is NOT DONE, with no unit; every other one is numeric.
    done = eg["EGORRES"] != ""
    assert (eg.loc[~done, "EGSTAT"] == "NOT DONE").all() and (eg.loc[~done, "EGORRESU"] == "").all()
    assert eg.loc[done, "EGSTRESN"].notna().all()
    # The last result before the first dose is flagged once per subject and test, at screening
    # (before study day 1; a subject never infused has no study days).
    flagged = eg[eg["EGLOBXFL"] == "Y"]
    assert not flagged.duplicated(["USUBJID", "EGTESTCD"]).any()
    assert set(flagged["VISIT"]) == {"SCREENING"} and (flagged["EGDY"].dropna() < 1).all()


def test_eg_validates_clean(eg_study):
    result = runner.invoke(app, ["validate", str(eg_study / "sdtm"), "--study", str(eg_study / "study"),
                                 "--report", str(eg_study / "qc"), "--fail-on", "notice", "-q", "--json"])
    summary = json.loads(result.stdout)
    assert summary["findings"]["error"] == 0
    assert [i for i in summary["issues"] if i["dataset"] == "EG"] == []
    # Every rule and suite that runs on EG passed (the JUnit report has one case per rule and dataset).
    cases = ElementTree.parse(eg_study / "qc" / "junit.xml").getroot().iter("testcase")
    on_eg = [c for c in cases if c.get("name") == "EG"]
    ran = [c for c in on_eg if c.find("skipped") is None]
    assert len(ran) > 100 and not [c.get("classname") for c in ran if c.find("failure") is not None]
