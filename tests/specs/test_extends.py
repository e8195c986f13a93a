"""`extends:` over a library spec: what an override changes, where a problem is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from specs import schema
from specs.errors import SpecError
from specs.extends import read_resolved

BASE = """\
dataset: AE
keys: [STUDYID, USUBJID, AESEQ]
parameters: {needs: [DM], window: 30, flags: {A: x, B: y}}
sources:
  - form: ae
    map:
      AETERM: AETERM
      AESER: {algorithm: assign_ct, field: AESER, with: {codelist: NY}}
  - form: ae
    where: "AESER == 'Y'"
    map:
      AESDTH: {algorithm: checkbox, field: AESDTH}
value_level:
  - {variable: AETERM, where: {AESER: Y}, type: Char, origin: Collected}
supplemental:
  - {qnam: AEGRSCL, qlabel: Grading Scale, field: AEGRSCL}
variables:
  - {name: STUDYID}
  - {name: USUBJID}
  - {name: AESEQ, algorithm: seq, with: {by: [USUBJID], order: [AETERM]}}
  - {name: AETERM, label: Reported Term}
  - {name: AESER}
  - {name: AESDTH}
"""


def library(tmp_path: Path, text: str = BASE, name: str = "AE") -> Path:
    folder = tmp_path / "library"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)
    return folder


def resolved(tmp_path: Path, text: str, lib: Path | None = None):
    path = tmp_path / "study" / "AE.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return read_resolved(path, schema.DATASET_FILE, lib or library(tmp_path))


def refused(tmp_path: Path, text: str, lib: Path | None = None) -> list[str]:
    with pytest.raises(SpecError) as info:
        resolved(tmp_path, text, lib)
    return [str(p) for p in info.value.problems]


def names(data) -> list[str]:
    return [v["name"] for v in data["variables"]]


def test_nothing_stated_is_the_library_spec(tmp_path):
    data = resolved(tmp_path, "extends: AE\n")
    assert data == read_resolved(library(tmp_path) / "AE.yaml", schema.DATASET_FILE, tmp_path)


def test_a_variable_is_overridden_key_by_key_in_place(tmp_path):
    data = resolved(tmp_path, "extends: AE\nvariables:\n  - {name: AETERM, length: 200}\n")
    assert names(data) == ["STUDYID", "USUBJID", "AESEQ", "AETERM", "AESER", "AESDTH"]
    assert dict(data["variables"][3]) == {"name": "AETERM", "label": "Reported Term", "length": 200}


def test_a_new_variable_goes_after_the_one_written_before_it(tmp_path):
    # AEDECOD after AETERM (named just to place it); AEOUT with nothing before it: at the end.
    data = resolved(tmp_path, "extends: AE\nvariables:\n  - {name: AEOUT}\n  - {name: AETERM}\n"
                              "  - {name: AEDECOD}\n  - {name: AEBODSYS}\n")
    assert names(data) == ["STUDYID", "USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "AESER",
                           "AESDTH", "AEOUT"]


def test_with_of_an_algorithm_and_lists_are_replaced_whole(tmp_path):
    data = resolved(tmp_path, "extends: AE\nkeys: [STUDYID, USUBJID]\nvariables:\n"
                              "  - {name: AESEQ, with: {by: [STUDYID]}}\n")
    assert data["keys"] == ["STUDYID", "USUBJID"]
    assert data["variables"][2]["with"] == {"by": ["STUDYID"]}
    assert data["variables"][2]["algorithm"] == "seq"


def test_parameters_are_overridden_one_by_one_each_value_whole(tmp_path):
    data = resolved(tmp_path, "extends: AE\nparameters: {window: 90, flags: {C: z}}\n")
    assert data["parameters"] == {"needs": ["DM"], "window": 90, "flags": {"C": "z"}}


def test_a_mapping_rule_is_replaced_whole_in_the_block_of_the_same_identity(tmp_path):
    # The first block (form ae, no where) gets a new AESER rule; its codelist does not linger.
    data = resolved(tmp_path, "extends: AE\nsources:\n  - form: ae\n    map:\n"
                              "      AESER: {algorithm: assign, field: AESER}\n      AEOUT: AEOUT\n")
    first, second = data["sources"]
    assert dict(first["map"]["AESER"]) == {"algorithm": "assign", "field": "AESER"}
    assert list(first["map"]) == ["AETERM", "AESER", "AEOUT"]
    assert second["where"] == "AESER == 'Y'" and list(second["map"]) == ["AESDTH"]


def test_value_level_entries_are_identified_by_variable_and_where(tmp_path):
    data = resolved(tmp_path, "extends: AE\nvalue_level:\n"
                              "  - {variable: AETERM, where: {AESER: Y}, length: 100}\n"
                              "  - {variable: AETERM, where: {AESER: N}, type: Char}\n")
    assert [(dict(v["where"]), v.get("length"), v["type"]) for v in data["value_level"]] == [
        ({"AESER": "Y"}, 100, "Char"), ({"AESER": "N"}, None, "Char")]


def test_drop_takes_a_variable_with_its_rules_and_value_level(tmp_path):
    data = resolved(tmp_path, "extends: AE\ndrop: {variables: [AETERM, AESDTH], parameters: [needs],"
                              " supplemental: [AEGRSCL]}\nkeys: [STUDYID, USUBJID, AESEQ]\n")
    assert names(data) == ["STUDYID", "USUBJID", "AESEQ", "AESER"]
    assert [list(b["map"]) for b in data["sources"]] == [["AESER"], []]
    assert data["value_level"] == [] and data["supplemental"] == []
    assert list(data["parameters"]) == ["window", "flags"]


def test_a_dropped_variable_may_come_back_elsewhere(tmp_path):
    data = resolved(tmp_path, "extends: AE\ndrop: {variables: [AETERM]}\nvariables:\n"
                              "  - {name: STUDYID}\n  - {name: AETERM, label: Term}\n")
    assert names(data) == ["STUDYID", "AETERM", "USUBJID", "AESEQ", "AESER", "AESDTH"]


def test_each_key_remembers_the_file_it_is_written_in(tmp_path):
    lib = library(tmp_path)
    data = resolved(tmp_path, "extends: AE\nvariables:\n  - {name: AETERM, length: 200}\n", lib)
    study = str(tmp_path / "study" / "AE.yaml")
    base = str(lib / "AE.yaml")
    assert data["variables"].where(3) == (study, 3) and data["variables"].where(2) == (base, 20)
    assert data["variables"][3].where("length") == (study, 3)
    assert data["variables"][3].where("label") == (base, 21)
    assert data.where("keys") == (base, 2)


def test_a_library_spec_may_extend_another_by_path(tmp_path):
    # A structure's shared spec (events.yaml) under the library's AE, which adds to it.
    lib = library(tmp_path, "extends: structures/events.yaml\ndataset: AE\nvariables:\n  - {name: AETERM}\n")
    (lib / "structures").mkdir()
    (lib / "structures" / "events.yaml").write_text("variables:\n  - {name: STUDYID}\n  - {name: USUBJID}\n")
    data = resolved(tmp_path, "extends: AE\nvariables:\n  - {name: AESER}\n", lib)
    assert names(data) == ["STUDYID", "USUBJID", "AETERM", "AESER"]


def test_problems_are_named_in_the_file_that_has_them(tmp_path):
    # An unknown key in the study's file, and another in the library's: each in its own file.
    lib = library(tmp_path, BASE.replace("keys:", "kyes:"))
    found = refused(tmp_path, "extends: AE\nvariables:\n  - {name: AETERM, lenght: 200}\n", lib)
    assert found == [f"{tmp_path / 'study' / 'AE.yaml'}:3: AE.variables[0]: unknown key 'lenght'; did you "
                     f"mean 'length'? (valid keys: name, label, type, length, origin, source, codelist, "
                     f"role, core, format, significant_digits, method, comment, algorithm, with)"]
    found = refused(tmp_path, "extends: AE\n", lib)
    assert len(found) == 1
    assert found[0].startswith(f"{lib / 'AE.yaml'}:2: AE: unknown key 'kyes'; did you mean 'keys'? "
                               f"(valid keys: dataset, variables, label, class, structure, keys,")


def test_a_required_key_missing_from_the_merged_spec(tmp_path):
    # A new value-level entry needs its type; an override of an inherited one does not.
    found = refused(tmp_path, "extends: AE\nvalue_level:\n  - {variable: AESER, where: {AESER: Y}}\n")
    assert found == [f"{tmp_path / 'study' / 'AE.yaml'}:3: AE.value_level[1]: missing required key 'type' "
                     f"(expected text)"]


def test_unknown_library_spec_and_cycles(tmp_path):
    found = refused(tmp_path, "extends: AEX\n")
    assert len(found) == 1 and "AE.yaml:1: extends: 'AEX' is neither a spec of the library" in found[0]
    assert "did you mean 'AE'?" in found[0]
    lib = library(tmp_path, "extends: ../study/AE.yaml\n")
    found = refused(tmp_path, "extends: AE\n", lib)
    assert len(found) == 1 and "extends itself (AE.yaml -> AE.yaml -> AE.yaml)" in found[0]


def test_drop_of_what_is_not_inherited(tmp_path):
    found = refused(tmp_path, "extends: AE\ndrop:\n  variables: [AETREM]\n  parameters: [windows]\n")
    study = tmp_path / "study" / "AE.yaml"
    assert found == [
        f"{study}:3: drop.variables: 'AETREM' is not inherited from AE.yaml; did you mean 'AETERM'?",
        f"{study}:4: drop.parameters: 'windows' is not inherited from AE.yaml; did you mean 'window'?"]
