"""The analysis plan as data: methods, figure kinds and parameters checked, each problem at its line."""

import shutil
from pathlib import Path

import pytest

from results.methods import METHODS
from results.plan import study_plan
from specs.errors import SpecError
from specs.loader import STUDIES, load_study


def _study_with(tmp_path: Path, old: str, new: str):
    """The ovarian study with one text of analyses.yaml replaced; its path and the edited line."""
    folder = tmp_path / "ovarian"
    shutil.copytree(STUDIES / "ovarian", folder)
    path = folder / "analyses.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    line = text[: text.index(old)].count("\n") + 1
    return folder, str(path), line


def test_shipped_plans_are_complete():
    for name in ("ovarian", "cervical"):
        plan = study_plan(load_study(name))
        assert {a.method for a in plan.analyses} <= set(METHODS)
        assert len(plan.figures) >= 6


def test_unknown_method_lists_the_methods(tmp_path):
    folder, path, line = _study_with(tmp_path, "method: kaplan_meier", "method: kaplan_meir")
    with pytest.raises(SpecError) as error:
        study_plan(load_study(folder))
    message = str(error.value)
    assert message.startswith(f"{path}:{line}: analyses.PFS: unknown method 'kaplan_meir'")
    assert "did you mean 'kaplan_meier'?" in message and ", ".join(METHODS) in message


def test_unknown_parameter_and_figure_kind(tmp_path):
    folder, path, line = _study_with(tmp_path, "parameters: {landmark: 365}", "parameters: {landmrk: 365}")
    with pytest.raises(SpecError, match=r"analyses.PFS: parameter 'landmrk' is not taken here; did you mean "
                                        r"'landmark'\?"):
        study_plan(load_study(folder))
    folder, path, line = _study_with(tmp_path / "b", "kind: swimmer", "kind: swimer")
    with pytest.raises(SpecError, match=rf"{path}:{line}: figures.F-SWIMMER: unknown kind 'swimer'"):
        study_plan(load_study(folder))


@pytest.mark.parametrize("old, new, expected", [
    ("dataset: ADTTE\n    variable: AVAL", "dataset: ADTT\n    variable: AVAL",
     "analyses.PFS: dataset 'ADTT' is not among the study's ADaM datasets"),
    ("where: {SAFFL: \"Y\"}", "where: {SAFL: \"Y\"}",
     "where: 'SAFL' is not a variable of ADSL; did you mean 'SAFFL'?"),
    ("data_subset: PFS", "data_subset: PSF", "analyses.PFS: no data subset 'PSF'; did you mean 'PFS'?"),
    ("groupings: [TRT, SOC]", "groupings: [TRT, SOCS]", "analyses.AE-SOC: no grouping 'SOCS'"),
    ("columns: GRADE", "columns: SOC", "columns 'SOC' is not one of the analysis' groupings"),
])
def test_the_loader_names_the_line(tmp_path, old, new, expected):
    folder, path, line = _study_with(tmp_path, old, new)
    with pytest.raises(SpecError) as error:
        load_study(folder)
    problems = [p for p in error.value.problems if expected in p.message]
    assert problems and problems[0].file == path and problems[0].line == line
