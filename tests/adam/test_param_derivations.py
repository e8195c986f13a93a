"""Parameters computed from other parameters (admiral derive_param_map / _bmi / _bsa), on small tables."""

import math

import numpy as np
import pandas as pd
import pytest

from adam.param_derivations import (
    PARAM_DERIVATIONS,
    derive_param_bmi,
    derive_param_bsa,
    derive_param_computed,
    derive_param_map,
)

BY = ["STUDYID", "USUBJID", "VISITNUM"]


def _vitals(rows):
    frame = pd.DataFrame(rows, columns=["USUBJID", "VISITNUM", "PARAMCD", "AVAL", "VSSTAT"])
    return frame.assign(STUDYID="S")


def test_map_from_both_pressures_of_the_same_visit():
    data = _vitals([
        ("01", 1, "SYSBP", 120, None), ("01", 1, "DIABP", 80, None),   # both: MAP 93.33
        ("01", 2, "SYSBP", 130, None),                                  # no DIABP: no MAP
        ("02", 1, "SYSBP", 110, None), ("02", 1, "DIABP", np.nan, None),  # DIABP missing: no MAP
    ])
    new = derive_param_map(data, BY)
    assert new[["USUBJID", "VISITNUM", "PARAMCD"]].values.tolist() == [["01", 1, "MAP"]]
    assert new["AVAL"].iloc[0] == pytest.approx((120 + 2 * 80) / 3)
    assert list(new.columns) == [*BY, "PARAMCD", "AVAL"]


def test_filter_leaves_out_records_not_done():
    data = _vitals([("01", 1, "SYSBP", 120, None), ("01", 1, "DIABP", 80, "NOT DONE")])
    assert derive_param_map(data, BY, filter="VSSTAT != 'NOT DONE'").empty


def test_bmi_and_bsa_use_the_subjects_single_height():
    data = _vitals([
        ("01", 1, "HEIGHT", 175, None),
        ("01", 1, "WEIGHT", 70, None), ("01", 2, "WEIGHT", 77, None),  # height only at visit 1
        ("02", 1, "WEIGHT", 60, None),                                 # no height: no BMI
    ])
    bmi = derive_param_bmi(data, BY)
    assert bmi["VISITNUM"].tolist() == [1, 2]
    assert bmi["AVAL"].tolist() == pytest.approx([70 / 1.75 ** 2, 77 / 1.75 ** 2])
    bsa = derive_param_bsa(data, BY, method="Mosteller")
    assert bsa["AVAL"].tolist() == pytest.approx([math.sqrt(175 * 70 / 3600), math.sqrt(175 * 77 / 3600)])
    dubois = derive_param_bsa(data, BY, method="DuBois-DuBois")
    assert dubois["AVAL"].iloc[0] == pytest.approx(0.20247 * 1.75 ** 0.725 * 70 ** 0.425)
    # height per visit instead: visit 2 has none, so no value there
    assert derive_param_bmi(data, BY, constant_height=False)["VISITNUM"].tolist() == [1]


def test_a_parameter_twice_in_a_group_is_an_error():
    data = _vitals([("01", 1, "SYSBP", 120, None), ("01", 1, "SYSBP", 122, None),
                    ("01", 1, "DIABP", 80, None)])
    with pytest.raises(ValueError, match="SYSBP has more than one record"):
        derive_param_map(data, BY)


def test_computed_parameter_with_any_formula():
    data = _vitals([("01", 1, "A", 6, None), ("01", 1, "B", 3, None)])
    new = derive_param_computed(data, BY, parameters={"a": "A", "b": "B"}, paramcd="RATIO",
                                formula=lambda v: v["a"] / v["b"])
    assert new["AVAL"].tolist() == [2.0] and new["PARAMCD"].tolist() == ["RATIO"]


def test_registry_lists_arguments_and_describes_them():
    bsa = PARAM_DERIVATIONS["bsa"]
    assert list(bsa.arguments()) == ["method", "weight", "height", "constant_height"]
    assert "Mosteller" in bsa.choices["method"]
    text = bsa.describe(bsa.arguments() | {"method": "Haycock"})
    assert text.startswith("Body surface area by the Haycock formula from HEIGHT (cm) and WEIGHT (kg)")
