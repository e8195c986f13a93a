"""`clinforge sdtm STUDY` with STUDY a damaged copy of the ovarian spec folder: refused, the spec
file and line named, nothing written, nothing executed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from specs.loader import study_folder
from tests.bad_inputs.cli import assert_refused, invoke

# A YAML tag that would run a shell command if the loader constructed Python objects.
PWNED = Path("/tmp/clinforge-bad-inputs-pwned")


def replace(file: str, old: str, new: str, at: str | None = None):
    """Damage `file` of the study copy; `at` (default `new`) marks the line the message must cite."""
    def damage(study: Path) -> tuple[str, int | None]:
        path = study / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file}"
        text = text.replace(old, new, 1)
        path.write_text(text, encoding="utf-8")
        marker = at if at is not None else new
        line = next((i for i, t in enumerate(text.splitlines(), 1) if marker and marker in t), None)
        return file, line
    return damage


def add(file: str, text: str, at: str | None = ""):
    """Append `text` to `file` of the study copy (an override of the library spec it extends);
    `at` (default the first line added) marks the line the message must cite, None no line."""
    def damage(study: Path) -> tuple[str, int | None]:
        path = study / file
        before = path.read_text(encoding="utf-8")
        path.write_text(before + text, encoding="utf-8")
        if at is None:
            return file, None
        marker = at or text.splitlines()[0]
        lines = (before + text).splitlines()
        return file, next(i for i, t in enumerate(lines, 1) if marker in t)
    return damage


def write(file: str, data: bytes, line: int | None = None):
    def damage(study: Path) -> tuple[str, int | None]:
        (study / file).write_bytes(data)
        return file, line
    return damage


def case(name: str, damage, says: tuple[str, ...], *marks):
    return pytest.param(damage, says, id=name, marks=marks)


BOMB = b"""codelists:
  - name: BOMB
    terms: &a0 [{value: x}, {value: x}, {value: x}, {value: x}, {value: x}, {value: x}]
    note: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
    label: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
    c_code: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
    extends: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
    data_type: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
    sponsor_defined: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
    extensible: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
"""

CASES = [
    # A misspelt key: refused, with the key it was probably meant to be.
    case("unknown_key", replace("study.yaml", "  sponsor: clinforge", "  sponser: clinforge"),
         ("sponser", "did you mean 'sponsor'")),
    # Text where a whole number belongs.
    case("wrong_type", replace("study.yaml", "planned_subjects: 30", "planned_subjects: thirty"),
         ("planned_subjects", "whole number", "'thirty'")),
    # A list where text belongs.
    case("list_for_text", replace("study.yaml", "  sponsor: clinforge demonstration sponsor",
                                  "  sponsor: [clinforge, demonstration]", at="sponsor:"),
         ("sponsor", "text")),
    # A value outside the allowed choices.
    case("value_not_a_choice", replace("study.yaml", "sex_population: F", "sex_population: W"),
         ("sex_population", "'W'", "BOTH")),
    # A required key missing.
    case("required_key_missing", replace("study.yaml", "  studyid: MESO-OV-101\n", "", at="study:"),
         ("studyid", "missing")),
    # A YAML tag that would construct a Python object (and run a command): refused, not run.
    case("python_object_tag", replace(
        "study.yaml", "  sponsor: clinforge demonstration sponsor",
        f"  sponsor: !!python/object/apply:os.system ['touch {PWNED}']", at="python/object"),
         ("python/object/apply:os.system", "plain YAML")),
    # A key written twice in one mapping.
    case("duplicate_key", replace("study.yaml", "  phase: PHASE I/II TRIAL\n",
                                  "  phase: PHASE I/II TRIAL\n  phase: PHASE II TRIAL\n", at="PHASE II"),
         ("duplicate key 'phase'", "first at line")),
    # A key indented deeper than its siblings.
    case("bad_indentation", replace("study.yaml", "  planned_subjects: 30", "     planned_subjects: 30"),
         ("study.yaml:",)),
    # A tab used for indentation (YAML allows only spaces).
    case("tab_indentation", replace("study.yaml", "  planned_subjects: 30", "\tplanned_subjects: 30"),
         ("study.yaml:", "tab")),
    # A file that is not UTF-8 (a Latin-1 é in the title).
    case("not_utf8", lambda study: write("study.yaml", (study / "study.yaml").read_text().replace(
        "Ovarian Cancer", "Ovarian Cancer (é)").encode("latin-1"))(study),
         ("study.yaml", "not UTF-8", "save the file as UTF-8")),
    # An empty study.yaml.
    case("empty_study_file", write("study.yaml", b""), ("study.yaml", "expected")),
    # A list where the file's top-level mapping belongs.
    case("top_level_list", write("study.yaml", b"- study\n- forms\n", line=1), ("study.yaml", "mapping")),
    # A form the CRF library does not have.
    case("unknown_form", replace("study.yaml", "qlq, subsequent_therapy", "qlqc15, subsequent_therapy",
                                 at="forms:"),
         ("'qlqc15'", "neither in the CRF library nor in the study's forms.yaml", "did you mean 'qlq'")),
    # A visit window that is not [before, after].
    case("bad_window", replace("study.yaml", "window: [14, 8]", "window: [14]"),
         ("visits.SCREENING", "window", "[14]")),
    # An arm naming an element that is not declared.
    case("undeclared_element", replace("study.yaml", "elements: [SCRN, LD, CART, FU]",
                                       "elements: [SCRN, LD, CAR, FU]"),
         ("element 'CAR'", "did you mean 'CART'")),
    # A variable with a codelist nobody defines: an override in the study's AE.yaml (which extends
    # the library's AE), named at its own line.
    case("unknown_codelist", add("sdtm/AE.yaml", "variables:\n  - {name: AEREL, codelist: AERELATION}\n",
                                 at="AERELATION"),
         ("AE.yaml", "unknown codelist 'AERELATION'", "did you mean 'AEREL'")),
    # A mapping from a field the form does not have (overriding the library's AETERM rule).
    case("unknown_form_field", add("sdtm/AE.yaml", "sources:\n  - form: ae\n    map:\n"
                                                   "      AETERM: AE_TERM\n", at="AE_TERM"),
         ("AE.yaml", "field 'AE_TERM' is not on form ae", "did you mean 'AETERM'")),
    # A source form the study does not collect.
    case("source_form_not_collected", add("sdtm/AE.yaml", "sources:\n  - form: adverse\n    map:\n"
                                                          "      AETERM: AETERM\n", at="form: adverse"),
         ("AE.yaml", "source form 'adverse' is not collected")),
    # A dataset spec whose dataset name does not match its file.
    case("dataset_name_mismatch", add("sdtm/AE.yaml", "dataset: AX\n"),
         ("AE.yaml", "'AX' does not match the file name")),
    # A library spec that does not exist: the library's specs listed, the closest suggested.
    case("extends_unknown_library_spec", replace("sdtm/AE.yaml", "extends: AE", "extends: AEE"),
         ("AE.yaml", "extends: 'AEE' is neither a spec of the library", "did you mean 'AE'")),
    # Dropping a variable the library spec does not have.
    case("drop_not_inherited", add("sdtm/AE.yaml", "drop: {variables: [AETOXGRD]}\n", at="drop:"),
         ("AE.yaml", "drop.variables: 'AETOXGRD' is not inherited from AE.yaml", "did you mean 'AETOXGR'")),
    # A key the study dropped: named at the keys line of the library file it inherits them from.
    case("dropped_key_variable", add("sdtm/AE.yaml", "drop: {variables: [AEDECOD]}\n", at=None),
         ("library/sdtm/AE.yaml:7", "key AEDECOD is not among the variables")),
    # A sponsor codelist extending a CDISC codelist that does not exist.
    case("extends_unknown_codelist", replace("codelists.yaml", "    extends: LOC\n",
                                             "    extends: NOSUCHLIST\n", at="extends: NOSUCH"),
         ("codelists.yaml", "extends unknown codelist 'NOSUCHLIST'")),
    # A codelists file of the library that does not exist.
    case("extends_unknown_codelists_file", replace("codelists.yaml", "extends: [cart, qlq-c15-pal]",
                                                   "extends: [cart, qlq-c15]", at="extends: [cart"),
         ("codelists.yaml", "'qlq-c15' is neither a codelists file of the library", "qlq-c15-pal")),
    # `optional` on a rule takes true or false only.
    case("optional_not_a_boolean",
         add("sdtm/AE.yaml", "sources:\n  - form: ae\n    map:\n"
                             "      AETOXGR: {algorithm: assign_ct, field: AEGRADE, optional: maybe}\n",
             at="optional: maybe"),
         ("AE.yaml", "optional", "true or false", "'maybe'")),
    # An algorithm name no module registers: found before converting, at the rule's line.
    case("unknown_algorithm", add("sdtm/AE.yaml", "sources:\n  - form: ae\n    map:\n"
                                                  "      AESER: {algorithm: assign_cterm, field: AESER}\n",
                                  at="assign_cterm"),
         ("AE.yaml", "assign_cterm", "did you mean 'assign_ct'")),
    # A date parameter naming a field the form does not have: a spec problem at the rule's line.
    case("unknown_field_in_parameters", add(
        "sdtm/AE.yaml", "sources:\n  - form: ae\n    map:\n"
                        "      AESTDTC: {algorithm: iso8601, with: {date: AESTDATE, time: AESTTIM}}\n",
        at="AESTDATE"),
         ("AE.yaml", "AESTDATE", "did you mean 'AESTDAT'")),
    # YAML aliases nested eight deep ("billion laughs" in YAML): refused before expansion.
    case("yaml_alias_bomb", write("codelists.yaml", BOMB),
         ("codelists.yaml", "aliases expand", "billion laughs")),
    # Values nested thousands of levels deep: refused, not a recursion crash.
    case("deep_nesting", write("codelists.yaml", b"codelists: " + b"[" * 3000 + b"]" * 3000 + b"\n"),
         ("codelists.yaml", "nested more than")),
]


@pytest.fixture
def study_copy(tmp_path) -> Path:
    return Path(shutil.copytree(study_folder("ovarian"), tmp_path / "my study"))


@pytest.mark.parametrize(("damage", "says"), CASES)
def test_damaged_spec_is_refused(tmp_path, good_raw, study_copy, damage, says):
    file, line = damage(study_copy)
    out = tmp_path / "sdtm"
    result = invoke("sdtm", study_copy, "--raw", good_raw, "--out", out)
    where = (f"{file}:{line}",) if line else (Path(file).name,)
    assert_refused(result, out, (*where, *says), siblings={"my study"})
    assert not PWNED.exists()


def test_study_folder_without_study_yaml(tmp_path, good_raw, study_copy):
    # A folder that is not a study: the shipped studies are listed, the closest suggested.
    (study_copy / "study.yaml").rename(study_copy / "study.yml")
    out = tmp_path / "sdtm"
    result = invoke("sdtm", study_copy, "--raw", good_raw, "--out", out)
    assert_refused(result, out, ("my study", "no such study", "study.yaml", "ovarian"), siblings={"my study"})
