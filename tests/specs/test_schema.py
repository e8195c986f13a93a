"""The declarative schema checker."""

from __future__ import annotations

from specs.schema import VALUE_LEVEL, AnyMap, Seq, check, obj


def test_a_value_or_a_list_of_values():
    kind = AnyMap((str, Seq((str, int, float))))
    assert check({"PARAMCD": ["BOR", "CBOR"], "X": "Y"}, kind, "f", 1, "where") == []
    found = check({"PARAMCD": [["nested"]]}, kind, "f", 1, "where")
    assert len(found) == 1 and "expected" in found[0].message


def test_value_level_where_accepts_a_list():
    entry = {"variable": "AVALC", "where": {"PARAMCD": ["BOR", "CBOR"]}, "type": "Char"}
    assert check(entry, VALUE_LEVEL, "f", 1, "vl") == []


def test_choices_suggest_the_closest():
    kind = obj({"type": str}, choices={"type": ("Char", "Num")})
    found = check({"type": "Chr"}, kind, "f", 3, "v")
    assert found and "did you mean 'Char'" in found[0].message and found[0].line == 3
