"""edc/fields.py: a study's own form simulated from its fields' `simulate:` declarations."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edc.simulator import simulate
from specs.errors import SpecError
from specs.loader import STUDIES, load_study

# One test per record (VSTEST), each result drawn from its own distribution, each unit fixed.
FORMS = """\
choices:
  VSTEST: [Systolic blood pressure, Pulse rate, Temperature]
  POSITION: [Sitting, Supine]
forms:
  vitals:
    label: Vital signs
    simulate: {per: VSTEST}
    fields:
      - {name: VSDAT, type: date, label: Date of measurement}
      - {name: VSTIM, type: time, label: Time of measurement}
      - {name: VSTEST, type: choice, label: Test, choices: VSTEST}
      - name: VSORRES
        type: float
        label: Result
        simulate:
          by: VSTEST
          missing: 0.1
          cases:
            Systolic blood pressure: {normal: [125, 15], limits: [80, 200], decimals: 0}
            Pulse rate: {range: [55, 100], decimals: 0}
            Temperature: {normal: [36.8, 0.4], decimals: 1}
      - name: VSORRESU
        type: text
        label: Unit
        simulate:
          by: VSTEST
          cases:
            Systolic blood pressure: {value: mmHg}
            Pulse rate: {value: beats/min}
            Temperature: {value: C}
      - {name: VSPOS, type: choice, label: Position, choices: POSITION, simulate: {weights: [3, 1]}}
      - {name: VSCOMM, type: text, label: Comment}
"""
TESTS = ("Systolic blood pressure", "Pulse rate", "Temperature")


def _study(tmp_path: Path, forms: str = FORMS) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(STUDIES / "ovarian", folder)
    (folder / "forms.yaml").write_text(forms)
    text = (folder / "study.yaml").read_text()
    text = text.replace("forms: [enrol,", "forms: [vitals, enrol,", 1)
    # Vital signs at screening and on the infusion day.
    for activities in ("[tumor, qlq, cytokine, qpcr", "[infusion, qpcr, cytokine"):
        text = text.replace(f"activities: {activities}]}}", f"activities: {activities}, vitals]}}")
    (folder / "study.yaml").write_text(text)
    return folder


@pytest.fixture(scope="module")
def vitals(tmp_path_factory) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    study = load_study(_study(tmp_path_factory.mktemp("fields")))
    frames = simulate(study, 60, seed=9)
    return frames["vitals"], frames


def test_one_record_per_test_at_each_visit_attended(vitals):
    frame, frames = vitals
    # Every subject is screened; the infused ones also have a Day 0 visit (the visit form says so).
    visits = frames["visit"]
    attended = visits[visits["FOLDER"].isin(["SCRN", "D0"]) & (visits["VISND"] == "")]
    expected = {(s, f, t) for s, f in zip(attended["SUBJID"], attended["FOLDER"], strict=True) for t in TESTS}
    assert set(zip(frame["SUBJID"], frame["FOLDER"], frame["VSTEST"], strict=True)) == expected
    assert len(frame) == len(expected)
    # On the visit's date, as the visit form has it.
    dates = attended.set_index(["SUBJID", "FOLDER"])["VISDAT"]
    keys = list(zip(frame["SUBJID"], frame["FOLDER"], strict=True))
    assert (dates.loc[keys].to_numpy() == frame["VSDAT"].to_numpy()).all()


def test_each_test_drawn_as_declared(vitals):
    frame, _ = vitals
    result = pd.to_numeric(frame["VSORRES"].replace("", np.nan))
    by_test = {t: result[frame["VSTEST"] == t].dropna() for t in TESTS}
    assert by_test["Systolic blood pressure"].between(80, 200).all()
    assert by_test["Pulse rate"].between(55, 100).all()
    assert by_test["Temperature"].between(34, 40).all() and abs(by_test["Temperature"].mean() - 36.8) < 0.2
    assert frame.loc[frame["VSTEST"] == "Temperature", "VSORRES"].str.fullmatch(r"\d+\.\d|").all()
    assert frame.loc[frame["VSTEST"] == "Pulse rate", "VSORRES"].str.fullmatch(r"\d+|").all()
    units = dict(zip(frame["VSTEST"], frame["VSORRESU"], strict=True))
    assert units == {"Systolic blood pressure": "mmHg", "Pulse rate": "beats/min", "Temperature": "C"}
    # About one result in ten left blank; the position mostly sitting; an undeclared text blank.
    assert 0.03 < (frame["VSORRES"] == "").mean() < 0.2
    assert 0.6 < (frame["VSPOS"] == "Sitting").mean() < 0.9 and set(frame["VSPOS"]) == {"Sitting", "Supine"}
    # One visit's measurements share their time and position.
    assert (frame.groupby(["SUBJID", "FOLDER"])[["VSTIM", "VSPOS"]].nunique() == 1).all().all()
    assert (frame["VSCOMM"] == "").all() and frame["VSTIM"].str.fullmatch(r"(0[89]|1[0-7]):[0-5]\d").all()


def test_same_seed_same_records(tmp_path):
    study = load_study(_study(tmp_path))
    first, second = (simulate(study, 20, seed=4)["vitals"] for _ in range(2))
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("{normal: [125, 15], limits: [80, 200], decimals: 0}", "{range: [200, 80]}",
     "field VSORRES: case Systolic blood pressure: range [200, 80]: the low end comes first"),
    ("Pulse rate: {value: beats/min}", "Heart rate: {value: beats/min}",
     "field VSORRESU: case 'Heart rate' is not an answer of VSTEST; did you mean 'Pulse rate'?"),
    ("simulate: {per: VSTEST}", "simulate: {per: VSCOMM}",
     "per: 'VSCOMM' is not a field of this form with an answer list; one of VSPOS, VSTEST"),
    ("simulate: {weights: [3, 1]}", "simulate: {weights: [3, 1, 1]}",
     "field VSPOS: weights gives 3 weights for 2 values"),
    ("{value: C}", "{range: [35, 38]}",
     "field VSORRESU: case Temperature: range draws numbers, but the field's type is text "
     "(integer or float)"),
    ("label: Comment}", "label: Comment, simulate: {from: drug}}",
     "field VSCOMM: from 'drug' is not a fact of this form's records; one of arm (drug, dose, unit and "
     "route in a form with dosing: true)"),
    ("label: Comment}", "label: Comment, simulate: {after: VSTIM, minutes: [1, 5]}}",
     "field VSCOMM: after 'VSTIM': a time field takes `after:` another time field of the form (VSTIM)"),
])
def test_impossible_declarations_are_refused_at_their_line(tmp_path, old, new, message):
    assert old in FORMS
    folder = _study(tmp_path, FORMS.replace(old, new))
    with pytest.raises(SpecError) as info:
        load_study(folder)
    found = [str(p) for p in info.value.problems]
    assert len(found) == 1 and found[0].endswith(message), found
    path = folder / "forms.yaml"
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if new in text)
    assert found[0].startswith(f"{path}:{line}:")


def test_a_field_added_to_a_library_form_is_drawn_on_its_records(tmp_path):
    forms = FORMS + """\
  ae:
    fields:
      - {name: AESPID, type: text, label: Sponsor AE number, simulate: {values: [S1, S2]}}
      - {name: AEREPDAT, type: date, label: Date reported to the sponsor}
"""
    study = load_study(_study(tmp_path, forms))
    ae = simulate(study, 30, seed=2)["ae"]
    assert len(ae) > 0 and set(ae["AESPID"]) == {"S1", "S2"}
    assert ae["AEREPDAT"].str.fullmatch(r"\d\d [A-Z]{3} \d{4}").all()
