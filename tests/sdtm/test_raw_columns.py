from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from sdtm.raw_columns import mapped_columns, with_optional_columns
from specs.errors import InputError
from specs.loader import load_study


@pytest.fixture(scope="module")
def ovarian():
    return load_study("ovarian")


@pytest.fixture(scope="module")
def mapped(ovarian):
    return {(m.form, m.column, m.target): m for m in mapped_columns(ovarian)}


@pytest.mark.parametrize(("form", "column", "target"), [
    # A rule's own field.
    ("ae", "AEGRADE", "AE.AETOXGR"),
    # A field a `with:` names: the time of an iso8601 rule.
    ("ae", "AESTTIM", "AE.AESTDTC"),
    # A field in a condition's `when:` query.
    ("ae", "AEONGO", "AE.AEENRTPT"),
    # A checkbox's `answered:` field.
    ("ae", "AESER", "AE.AESDTH"),
    # A nested per_subject rule reads the form its `form:` names, here as a bare field name.
    ("dm", "AGE", "DM.AGE"),
    # A field in a source block's `where:` query.
    ("response", "NTRGRESP", "RS (source response)"),
    # A supplemental qualifier's field.
    ("ae", "AEGRSCL", "SUPPAE.AEGRSCL"),
    # A spec built from one form (QS, wide_to_long): the fields its parameters name.
    ("qlq", "Q15", "QS (parameters)"),
])
def test_mapped_columns(mapped, form, column, target):
    assert (form, column, target) in mapped


def test_literal_values_and_codelists_are_not_fields(mapped):
    # RS hardcodes RSTESTCD = TRGRESP, the name of a response field; only RSORRES and RSSTRESC
    # (and the block's where) read the field.
    assert not any(t == "RS.RSTESTCD" for _, c, t in mapped if c == "TRGRESP")


def test_spec_lines(ovarian, mapped):
    # The file and line of the rule, of the qualifier, and of QS's `parameters:`: the library's AE
    # and QS, which the study's AE.yaml and QS.yaml extend.
    def line(key):
        return Path(mapped[key].spec_file).read_text().splitlines()[mapped[key].line - 1]

    assert mapped["ae", "AEGRADE", "AE.AETOXGR"].spec_file.endswith("library/sdtm/AE.yaml")
    assert "field: AEGRADE" in line(("ae", "AEGRADE", "AE.AETOXGR"))
    assert "qnam: AEGRSCL" in line(("ae", "AEGRSCL", "SUPPAE.AEGRSCL"))
    assert line(("qlq", "Q15", "QS (parameters)")) == "parameters:"


def _raw(ovarian, form: str, without: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    names = [n for n in ovarian.forms[form].field_names() if n not in without]
    return {form: pd.DataFrame({n: ["x"] for n in names})}


def test_a_missing_mapped_column_is_refused(ovarian):
    # Every missing column is named with the spec lines that map it.
    with pytest.raises(InputError) as error:
        with_optional_columns(ovarian, _raw(ovarian, "ae", ("AEGRADE", "AEONGO")))
    message = str(error.value)
    assert "ae.csv lacks column AEGRADE (" in message and "AE.yaml:" in message and "AEONGO (" in message
    assert "optional: true" in message


def test_a_missing_optional_column_is_blank(ovarian):
    # AETOXGR marked optional: an export without AEGRADE gets it as a blank column.
    spec = ovarian.sdtm["AE"]
    block = spec.sources[0]
    rules = {**block.map, "AETOXGR": replace(block.map["AETOXGR"], optional=True)}
    study = replace(ovarian, sdtm={"AE": replace(spec, sources=(replace(block, map=rules),))})
    out = with_optional_columns(study, _raw(ovarian, "ae", ("AEGRADE",)))
    assert out["ae"]["AEGRADE"].tolist() == [""]
