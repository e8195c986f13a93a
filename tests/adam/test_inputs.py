import pandas as pd
import pytest

from adam.build import plan, uses
from adam.inputs import checked_inputs, needs, per_source, variable_names
from specs.errors import InputError
from specs.loader import load_study


@pytest.mark.parametrize(("value", "names"), [
    # A variable name.
    ("AETOXGR", {"AETOXGR"}),
    # A query: methods (.str.upper) and quoted text are not variables.
    ("AEDECOD.str.upper() == 'CYTOKINE RELEASE SYNDROME'", {"AEDECOD"}),
    ("EXDOSE > 0 or (EXDOSE == 0 and EXTRT.str.contains('PLACEBO'))", {"EXDOSE", "EXTRT"}),
    # Lists and mapping values at any depth; mapping keys (new flags) are not read.
    ({"SERFL": "AESER == 'Y'", "RELFL": "AEREL in ['RELATED']"}, {"AESER", "AEREL"}),
    ([("STUDYID", "USUBJID"), ["AEBODSYS"]], {"STUDYID", "USUBJID", "AEBODSYS"}),
    # Numbers and None name nothing.
    (None, set()), (365, set()),
])
def test_variable_names(value, names):
    assert variable_names(value) == names


def test_per_source_names_each_entry_s_dataset():
    # build_adsl last_alive_dtc: [dataset, variable, condition].
    value = [["ae", "AESTDTC"], ["ds", "DSSTDTC", "DSDECOD != 'DEATH'"]]
    assert set(per_source(value)) == {("AE", "AESTDTC"), ("DS", "DSSTDTC"), ("DS", "DSDECOD")}


@pytest.fixture(scope="module")
def ovarian():
    return load_study("ovarian")


@pytest.fixture(scope="module")
def contract(ovarian):
    sdtm = ("DM", "EX", "DS", "AE", "SUPPAE", "LB", "CM", "RS", "SV", "TU", "PC", "QS")
    return {(n.dataset, n.variable): n for use in uses(plan(ovarian), sdtm) for n in needs(use, ovarian)}


@pytest.mark.parametrize(("dataset", "variable", "required"), [
    # Read always.
    ("AE", "AESTDTC", True),
    # Named by a parameter: ADSL treatment_filter "EXCAT == 'CAR-T CELL THERAPY'".
    ("EX", "EXCAT", True),
    # Named by build_adsl last_alive_dtc.
    ("SV", "SVSTDTC", True),
    # A SUPPAE qualifier named by ADAE grading_scale counts as a variable of AE.
    ("AE", "AEGRSCL", True),
    # The Predecessor source of ADSL.SUBJID.
    ("DM", "SUBJID", True),
    # The subject keys of every dataset read.
    ("TU", "USUBJID", True),
    # Read when present: PCELTM gives the nominal time, else PCTPTNUM.
    ("PC", "PCELTM", False),
])
def test_what_the_ovarian_builders_read(contract, dataset, variable, required):
    assert contract[dataset, variable].required is required


def test_a_parameter_naming_no_variable_of_the_dataset_reads_nothing(contract):
    # ADAE occurrence_order (ASTDTM, AESEQ): ASTDTM is made by ADAE, not read from AE.
    assert ("AE", "AESEQ") in contract and ("AE", "ASTDTM") not in contract


def _dm(ovarian, **columns):
    """ADSL's use of DM, and a one-subject DM holding every variable it reads."""
    use = [u for u in uses(plan(ovarian), ["DM"]) if u.spec.name == "ADSL"]
    read = {n.variable: ["X"] for n in needs(use[0], ovarian)}
    frame = pd.DataFrame(read | {"RFSTDTC": ["2024-05-14"], "DTHDTC": [""], "AGE": [61.0]} | columns)
    return use, {"DM": frame}


def test_numeric_text_in_a_num_variable_is_read_as_a_number(ovarian):
    use, frames = _dm(ovarian, AGE=["61"])
    assert checked_inputs(ovarian, use, frames, None)["DM"]["AGE"].tolist() == [61.0]


@pytest.mark.parametrize(("columns", "says"), [
    # Text in a Num variable.
    ({"AGE": ["sixty"]}, ("dataset DM, row 1, column AGE", "'sixty'", "a number")),
    # Numbers in a Char variable.
    ({"ARM": [1.0]}, ("column ARM", "(value 1.0)", "text (Char")),
    # A reference date that is no date.
    ({"RFSTDTC": ["2024-02-30"]}, ("column RFSTDTC", "'2024-02-30'", "ISO 8601")),
])
def test_values_of_the_wrong_type_are_refused(ovarian, columns, says):
    use, frames = _dm(ovarian, **columns)
    with pytest.raises(InputError) as error:
        checked_inputs(ovarian, use, frames, None)
    assert all(s in str(error.value) for s in says), str(error.value)
