"""edc/design.py: a study synth cannot draw is refused before drawing, naming what it lacks."""

from __future__ import annotations

import shutil

import pytest

from edc.design import check_simulable
from specs.errors import InputError
from specs.loader import STUDIES, load_study


@pytest.mark.parametrize("name", ["ovarian", "cervical", "melanoma"])
def test_shipped_studies_can_be_simulated(name):
    check_simulable(load_study(name))


def _melanoma(tmp_path, old: str, new: str, file: str):
    folder = tmp_path / "melanoma"
    shutil.copytree(STUDIES / "melanoma", folder)
    text = (folder / file).read_text()
    assert old in text
    (folder / file).write_text(text.replace(old, new))
    return load_study(folder)


def test_a_dosing_form_needs_the_arms_schedules(tmp_path):
    text = (STUDIES / "melanoma" / "study.yaml").read_text()
    block = text[text.index("treatments:\n"):text.index("reference:\n")]
    study = _melanoma(tmp_path, block, "", "study.yaml")
    with pytest.raises(InputError, match="form 'dosing': study.yaml lacks the key.s. treatments.arms"):
        check_simulable(study)


def test_a_cart_form_needs_the_cart_keys(tmp_path):
    study = _melanoma(tmp_path, "forms: [enrol,", "forms: [infusion, enrol,", "study.yaml")
    with pytest.raises(InputError, match="form 'infusion': study.yaml lacks the key.s. treatments.cart"):
        check_simulable(study)


def test_a_required_field_without_a_declaration_is_named(tmp_path):
    study = _melanoma(tmp_path, "required: true,\n         simulate: {from: arm}}", "required: true}",
                      "forms.yaml")
    with pytest.raises(InputError) as info:
        check_simulable(study)
    assert "form 'randomisation': its required field(s) RANDARM have no `simulate:`" in str(info.value)
    assert info.value.column == "RANDARM" and info.value.file.endswith("forms.yaml")
