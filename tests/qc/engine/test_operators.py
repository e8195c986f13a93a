"""qc/engine/operators.py: each operator on a small table, one scenario per row."""

from __future__ import annotations

import pandas as pd
import pytest

from qc.engine.operators import OPERATORS
from qc.engine.table import Table
from tests.qc.engine.build import flagged, rule, submission


def ae(**columns: list) -> pd.DataFrame:
    rows = len(next(iter(columns.values())))
    return pd.DataFrame({"STUDYID": ["S"] * rows, "DOMAIN": ["AE"] * rows,
                         "USUBJID": [str(i) for i in range(1, rows + 1)], **columns})


def table_of(frame: pd.DataFrame, **values: object) -> Table:
    """The table a check sees for `frame` as AE, with operation results already computed."""
    data = submission(AE=frame)
    table = Table(rule({}), data.datasets["AE"], data, data.datasets["AE"].frame)
    table.values.update(values)
    return table


def leaf(operator: str, name: str, value: object = None, **extra: object) -> dict:
    condition = {"name": name, "operator": operator, **extra}
    if value is not None:
        condition["value"] = value
    return {"all": [condition]}


@pytest.mark.parametrize("operator, values, other, expected", [
    # two nulls are not equal (CORE's truth table), a null and a value are unequal
    ("equal_to", ["", "Y", "N"], ["", "Y", ""], [2]),
    ("not_equal_to", ["", "Y", "N"], ["", "Y", ""], [3]),
    # text against text, case folded only by the case-insensitive operator
    ("equal_to_case_insensitive", ["y", "Y", "N"], ["Y", "Y", "Y"], [1, 2]),
])
def test_equality(operator, values, other, expected):
    data = submission(AE=ae(AEX=values, AEY=other))
    assert flagged(leaf(operator, "AEX", "AEY"), data) == expected


def test_equality_compares_numbers_with_text_as_numbers_written():
    # VISITNUM 1.0 in one dataset and "1" as text in the other are the same value
    data = submission(AE=ae(AEX=[1.0, 2.0], AEY=["1", "3"]))
    assert flagged(leaf("equal_to", "AEX", "AEY"), data) == [1]


def test_value_is_reference_names_the_variable_to_compare_and_a_missing_one_is_null():
    # IDVAR names AESEQ (equal), AESEQ (different), a variable the table lacks (null: unequal)
    data = submission(AE=ae(AESEQ=[1.0, 2.0, 3.0], IDVAR=["AESEQ", "AESEQ", "NONSENSE"],
                            IDVARVAL=["1", "5", "3"]))
    check = leaf("not_equal_to", "IDVARVAL", "IDVAR", value_is_reference=True, type_insensitive=True)
    assert flagged(check, data) == [2, 3]


def test_a_number_padded_with_blanks_is_the_number_when_type_insensitive():
    # the pilot's RELREC.IDVARVAL is right-aligned ("   2"); CORE reads it as 2 (CORE-000206)
    data = submission(AE=ae(AESEQ=[2.0, 3.0, 4.0], IDVAR=["AESEQ"] * 3, IDVARVAL=["   2", " 3 ", " x4"]))
    check = leaf("not_equal_to", "IDVARVAL", "IDVAR", value_is_reference=True, type_insensitive=True)
    assert flagged(check, data) == [3]


@pytest.mark.parametrize("operator, values, expected", [
    # a literal list
    ("is_contained_by", ["Y", "N", "X", ""], [1, 2]),
    # the complement reports the null as well (CORE)
    ("is_not_contained_by", ["Y", "N", "X", ""], [3, 4]),
    ("is_contained_by_case_insensitive", ["y", "N", "X", ""], [1, 2]),
])
def test_membership_in_a_literal_list(operator, values, expected):
    data = submission(AE=ae(AEX=values))
    assert flagged(leaf(operator, "AEX", ["Y", "N"]), data) == expected


def test_membership_in_a_grouped_operation_result():
    # each subject's own SV visits: subject 1 visited 1 and 2, subject 2 only 1
    sv = pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["SV"] * 3, "USUBJID": ["1", "1", "2"],
                       "VISITNUM": [1.0, 2.0, 1.0]})
    lb = pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["LB"] * 3, "USUBJID": ["1", "2", "2"],
                       "VISITNUM": [2.0, 2.0, 1.0]})
    operations = ({"id": "$visits", "operator": "distinct", "domain": "SV", "name": "VISITNUM",
                   "group": ["USUBJID"]},)
    check = leaf("is_not_contained_by", "VISITNUM", "$visits")
    assert flagged(check, submission(SV=sv, LB=lb), dataset="LB", operations=operations) == [2]


def test_membership_in_a_list_per_row_is_row_by_row():
    # the parent model's variables per RDOMAIN, one list per row
    lists = pd.Series([["A"], ["A", "B"], ["A"]], dtype=object)
    table = table_of(ae(AEX=["A", "B", "C"]), **{"$lists": lists})
    result = OPERATORS["is_contained_by"](table, {"name": "AEX", "value": "$lists"})
    assert result.tolist() == [True, True, False]


@pytest.mark.parametrize("operator, values, expected", [
    # a literal is looked for inside the text
    ("contains", ["HEADACHE", "ACHE", "PAIN"], [1, 2]),
    ("does_not_contain", ["HEADACHE", "ACHE", "PAIN"], [3]),
])
def test_contains_a_literal(operator, values, expected):
    data = submission(AE=ae(AEX=values))
    assert flagged(leaf(operator, "AEX", "ACHE"), data) == expected


def test_not_contains_all_splices_an_operation_result_into_its_list():
    # the column holds A and B; the required list is [$required] = [A, B, C]: C is missing
    condition = {"name": "variable", "value": ["$required"]}
    missing_one = table_of(ae(variable=["A", "B"]), **{"$required": ["A", "B", "C"]})
    assert OPERATORS["not_contains_all"](missing_one, condition).all()
    all_there = table_of(ae(variable=["A", "B"]), **{"$required": ["A", "B"]})
    assert not OPERATORS["not_contains_all"](all_there, condition).any()


def test_shares_no_elements_with_per_row_and_constant_lists():
    row_lists = pd.Series([["B"], ["B", "C"], ["A"]], dtype=object)
    table = table_of(ae(AEX=["A", "B", ""]), **{"$row_lists": row_lists, "$constant": ["B"]})
    # the row's value against its own list: only row 2 shares B; a blank shares nothing
    per_row = OPERATORS["shares_no_elements_with"](table, {"name": "AEX", "value": "$row_lists"})
    assert per_row.tolist() == [True, False, True]
    constant = OPERATORS["shares_no_elements_with"](table, {"name": "AEX", "value": "$constant"})
    assert constant.tolist() == [True, False, True]


@pytest.mark.parametrize("items, reference, expected", [
    # in order, with gaps
    (["STUDYID", "AESEQ", "AETERM"], ["STUDYID", "DOMAIN", "AESEQ", "AETERM"], True),
    # out of order
    (["AETERM", "AESEQ"], ["STUDYID", "AESEQ", "AETERM"], False),
    # an item the reference lacks (CORE: not an ordered subset)
    (["STUDYID", "AEXX"], ["STUDYID", "AETERM"], False),
])
def test_is_ordered_subset_of(items, reference, expected):
    table = table_of(ae(AEX=["a", "b"]), **{"$items": items, "$reference": reference})
    constant = OPERATORS["is_ordered_subset_of"](table, {"name": "$items", "value": "$reference"})
    assert constant.tolist() == [expected, expected]
    # the same lists given per row take the exploded path and agree
    table.values.update({"$items": pd.Series([items, items], dtype=object),
                         "$reference": pd.Series([reference, reference], dtype=object)})
    per_row = OPERATORS["is_ordered_subset_of"](table, {"name": "$items", "value": "$reference"})
    assert per_row.tolist() == [expected, expected]


def test_starts_with_a_column_offers_all_its_values():
    # CORE passes the whole comparator column to str.startswith: any of its values counts
    data = submission(AE=ae(AEX=["LBSEQ", "AESPID", "CMX"], AEY=["AE", "LB", ""]))
    assert flagged(leaf("starts_with", "AEX", "AEY"), data) == [1, 2]


@pytest.mark.parametrize("operator, start, end, extra, expected", [
    # without date_component a partial date is its first instant: 2018-04-17 > 2018-04(-01)
    ("date_greater_than", "2018-04-17", "2018-04", {}, True),
    # auto compares at the precision both have: the same month, not greater
    ("date_greater_than", "2018-04-17", "2018-04", {"date_component": "auto"}, False),
    # a time on the same day is later than the day's first instant
    ("date_greater_than", "2018-11-06T12:00", "2018-11-06", {}, True),
    # dates of different precision are never equal
    ("date_equal_to", "2018-04", "2018-04-01", {}, False),
    # a component compares that part only
    ("date_equal_to", "2018-04-17", "2018-04-02", {"date_component": "month"}, True),
    # an impossible date is not compared
    ("date_greater_than", "2023-02-30", "2023-01-01", {}, False),
])
def test_date_comparisons(operator, start, end, extra, expected):
    data = submission(AE=ae(AESTDTC=[start], AEENDTC=[end]))
    assert flagged(leaf(operator, "AESTDTC", "AEENDTC", **extra), data) == ([1] if expected else [])


@pytest.mark.parametrize("value, invalid", [
    ("2023-02-28", False),
    # February has no 30th
    ("2023-02-30", True),
    # a month 20 is no ISO 8601 date (nor year and day: those need the -- of an unknown month)
    ("2003-20", True),
    # an unknown month written as SDTMIG says
    ("2003---20", False),
    ("2003-11-31", True),
    ("2024-02-29T10:15", False),
    # blank is not an invalid date
    ("", True),
])
def test_invalid_date(value, invalid):
    data = submission(AE=ae(AESTDTC=[value]))
    assert flagged(leaf("invalid_date", "AESTDTC"), data) == ([1] if invalid else [])


def test_empty_within_except_last_row_never_reports_a_groups_last_row():
    # subject 1: an open element before the last (reported) and an open last one (allowed)
    se = pd.DataFrame({"STUDYID": ["S"] * 4, "DOMAIN": ["SE"] * 4, "USUBJID": ["1", "1", "1", "2"],
                       "SESTDTC": ["2020-01-01", "2020-01-05", "2020-02-01", "2020-01-01"],
                       "SEENDTC": ["", "2020-02-01", "", ""]})
    check = leaf("empty_within_except_last_row", "SEENDTC", "USUBJID", ordering="SESTDTC")
    assert flagged(check, submission(SE=se), dataset="SE") == [1]


@pytest.mark.parametrize("units, expected", [
    # the unit off the test's most common one
    (["mg", "mg", "g"], [3]),
    # no most common unit: every record of the test
    (["mg", "g"], [1, 2]),
    # consistent
    (["mg", "mg"], []),
])
def test_is_inconsistent_across_dataset(units, expected):
    lb = pd.DataFrame({"STUDYID": ["S"] * len(units), "DOMAIN": ["LB"] * len(units),
                       "USUBJID": ["1"] * len(units), "LBTESTCD": ["ALB"] * len(units), "LBSTRESU": units})
    check = leaf("is_inconsistent_across_dataset", "LBSTRESU", "LBTESTCD")
    assert flagged(check, submission(LB=lb), dataset="LB") == expected


def test_target_is_not_sorted_by_dates():
    # subject 1: 2005-10 overlaps the two days of October (order unknowable: all three), the
    # sequence otherwise follows the dates; subject 2: a null --SEQ on the latest date is in place
    sm = pd.DataFrame({"STUDYID": ["S"] * 6, "DOMAIN": ["SM"] * 6, "USUBJID": ["1"] * 4 + ["2"] * 2,
                       "SMSEQ": [1.0, 2.0, 3.0, 4.0, 1.0, None],
                       "SMSTDTC": ["2005-10", "2005-10-08", "2005-10-06", "2005-11", "2006-01-01",
                                   "2006-02-01"]})
    check = leaf("target_is_not_sorted_by", "SMSEQ", [{"name": "SMSTDTC", "sort_order": "asc"}],
                 within="USUBJID")
    assert flagged(check, submission(SM=sm), dataset="SM") == [1, 2, 3]


def test_is_not_unique_set_with_a_regex_compares_dates_to_the_day():
    # the same test on the same day twice (times differ), and once on another day
    eg = pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["EG"] * 3, "USUBJID": ["1"] * 3,
                       "EGTESTCD": ["QT"] * 3, "EGDTC": ["2022-01-14", "2022-01-14T07:00", "2022-01-15"]})
    check = leaf("is_not_unique_set", "USUBJID", ["EGTESTCD", "EGDTC"], regex=r"^\d{4}-\d{2}-\d{2}")
    assert flagged(check, submission(EG=eg), dataset="EG") == [1, 2]


@pytest.mark.parametrize("within, expected", [
    # NEG is 0 in test A and 1 in test B, which is no conflict; in test B NEG is also 3
    ("LBTESTCD", [3, 5]),
    # across tests NEG is 0, 1 and 3, and 1 is both POS and NEG
    (None, [1, 2, 3, 4, 5]),
])
def test_is_not_unique_relationship_within_a_group(within, expected):
    lb = pd.DataFrame({"STUDYID": ["S"] * 5, "DOMAIN": ["LB"] * 5, "USUBJID": ["1"] * 5,
                       "LBTESTCD": ["A", "A", "B", "B", "B"],
                       "LBSTRESC": ["NEG", "POS", "NEG", "POS", "NEG"],
                       "LBSTRESN": [0.0, 1.0, 1.0, 2.0, 3.0]})
    extra = {"within": within} if within else {}
    check = leaf("is_not_unique_relationship", "LBSTRESC", "LBSTRESN", **extra)
    assert flagged(check, submission(LB=lb), dataset="LB") == expected


@pytest.mark.parametrize("ignore_null, expected", [(False, [1, 2]), (True, [])])
def test_is_not_unique_relationship_ignoring_nulls(ignore_null, expected):
    # LBSTRESN 0 is NEG on one record and has no LBSTRESC on the other
    lb = pd.DataFrame({"STUDYID": ["S"] * 2, "DOMAIN": ["LB"] * 2, "USUBJID": ["1"] * 2,
                       "LBSTRESC": ["NEG", ""], "LBSTRESN": [0.0, 0.0]})
    extra = {"ignore_null": True} if ignore_null else {}
    check = leaf("is_not_unique_relationship", "LBSTRESN", "LBSTRESC", **extra)
    assert flagged(check, submission(LB=lb), dataset="LB") == expected


@pytest.mark.parametrize("operator, values, expected", [
    ("empty", ["", "Y", " "], [1]),
    # a blank is a value (CORE-000170 reports --LOBXFL " ")
    ("non_empty", ["", "Y", " "], [2, 3]),
])
def test_empty(operator, values, expected):
    data = submission(AE=ae(AEX=values))
    assert flagged(leaf(operator, "AEX"), data) == expected


def test_exists_and_not_exists():
    data = submission(AE=ae(AEX=["a"]))
    assert flagged(leaf("exists", "AEX"), data) == [1]
    assert flagged(leaf("not_exists", "AEX"), data) == []
    assert flagged(leaf("not_exists", "AEZ"), data) == [1]
