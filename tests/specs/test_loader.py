"""The spec loader: shipped studies load; each kind of bad spec gives its precise error, with line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from specs.errors import SpecError
from specs.loader import LIBRARY, STUDIES, load_study, study_names


@pytest.fixture
def study_copy(tmp_path: Path) -> Path:
    """A writable copy of the ovarian study's spec folder."""
    dest = tmp_path / "study"
    shutil.copytree(STUDIES / "ovarian", dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"test setup: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def problems(folder: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_study(folder)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("name", ["ovarian", "cervical"])
def test_shipped_studies_load(name):
    study = load_study(name)
    assert study.name == name
    # Reference decisions of docs/clinical.md: day 0 is the infusion, protocol Day 7 is study day 8.
    day7 = next(v for v in study.visits if v.day == 7)
    assert day7.study_day == 8
    assert next(v for v in study.visits if v.day == -5).study_day == -5
    assert set(study.forms) >= {"dm", "ae", "qpcr", "tumor", "response"}


def test_study_names_lists_the_shipped_studies():
    assert {"ovarian", "cervical"} <= set(study_names())


def test_kinetics_schedules_follow_the_decisions():
    # Study A samples so that AUC(0-30d) needs no extrapolation; Study B samples days 7..90.
    a = [v.day for v in load_study("ovarian").visits_with("qpcr")]
    b = [v.day for v in load_study("cervical").visits_with("qpcr")]
    assert {0, 1, 4, 7, 10, 14, 21, 28, 30, 60, 90} <= set(a)
    assert [d for d in b if d > 0] == [7, 14, 21, 28, 60, 90]


def test_unknown_key_names_line_and_closest_key(study_copy):
    path = study_copy / "study.yaml"
    edit(path, "{visitnum: 6,", "{visitnm: 6,")
    found = problems(study_copy)
    assert any(f"study.yaml:{line_of(path, 'visitnm: 6')}" in p and "'visitnm'" in p
               and "did you mean 'visitnum'" in p for p in found), found


def test_wrong_type_is_reported(study_copy):
    path = study_copy / "study.yaml"
    edit(path, "day: 7,", "day: seven,")
    found = problems(study_copy)
    assert any(f":{line_of(path, 'day: seven')}:" in p and "expected a whole number" in p
               and "'seven'" in p for p in found), found


def test_object_constructing_tag_is_refused(study_copy):
    path = study_copy / "study.yaml"
    edit(path, "  sponsor: clinforge demonstration sponsor",
         "  sponsor: !!python/object/apply:os.system [\"echo pwned\"]")
    found = problems(study_copy)
    assert len(found) == 1
    assert f"study.yaml:{line_of(path, 'python/object')}" in found[0]
    assert "refused" in found[0]


def test_duplicate_key_is_an_error(study_copy):
    path = study_copy / "study.yaml"
    edit(path, "  phase: PHASE I/II TRIAL\n", "  phase: PHASE I/II TRIAL\n  phase: PHASE II TRIAL\n")
    found = problems(study_copy)
    assert any("duplicate key 'phase'" in p for p in found), found


def test_yaml_syntax_error_names_the_line(study_copy):
    path = study_copy / "study.yaml"
    edit(path, "  sites: [\"101\", \"102\", \"103\"]", "  sites: [\"101\", \"102\"")
    found = problems(study_copy)
    assert len(found) == 1 and "study.yaml:" in found[0]


def test_missing_required_key(study_copy):
    path = study_copy / "study.yaml"
    edit(path, "  studyid: MESO-OV-101\n", "")
    found = problems(study_copy)
    assert any("missing required key 'studyid'" in p for p in found), found


def test_unknown_form_suggests_the_library_form(study_copy):
    path = study_copy / "study.yaml"
    edit(path, "forms: [enrol, dm,", "forms: [enrol, demog,")
    found = problems(study_copy)
    assert any("'demog' is neither in the CRF library" in p and "did you mean 'dm'" in p
               for p in found), found


def test_bad_epoch_and_undeclared_element_are_both_reported(study_copy):
    # Every problem is collected: two unrelated mistakes give two messages, and nothing loads.
    path = study_copy / "study.yaml"
    edit(path, "epoch: FOLLOW-UP, activities: [qpcr]}", "epoch: FOLOW-UP, activities: [qpcr]}")
    edit(path, "elements: [SCRN, LD, CART, FU]", "elements: [SCRN, LD, CAR, FU]")
    found = problems(study_copy)
    assert any("'FOLOW-UP' is not in codelist EPOCH" in p and "'FOLLOW-UP'" in p for p in found)
    assert any("element 'CAR' is not declared" in p and "did you mean 'CART'" in p for p in found)


def test_duplicate_visit_number(study_copy):
    path = study_copy / "study.yaml"
    edit(path, "{visitnum: 7,  visit: DAY 4,", "{visitnum: 6,  visit: DAY 4,")
    found = problems(study_copy)
    assert any("visitnum 6 repeats line" in p for p in found), found


def test_not_utf8_is_reported(study_copy):
    path = study_copy / "study.yaml"
    path.write_bytes(path.read_bytes().replace(b"clinforge demonstration", b"clinforge d\xe9monstration"))
    found = problems(study_copy)
    assert "not UTF-8" in found[0]


def write_domain(folder: Path, name: str, text: str) -> Path:
    (folder / "sdtm").mkdir(exist_ok=True)
    path = folder / "sdtm" / f"{name}.yaml"
    path.write_text(text)
    return path


def test_dataset_spec_fills_metadata_from_the_standard(study_copy):
    # Label, type and core come from SDTMIG when the spec leaves them out.
    write_domain(study_copy, "MH", (
        "dataset: MH\n"
        "sources:\n"
        "  - form: cancer_history\n"
        "    map:\n"
        "      MHTERM: MHTERM\n"
        "variables:\n"
        "  - name: STUDYID\n  - name: DOMAIN\n  - name: USUBJID\n  - name: MHSEQ\n"
        "  - name: MHTERM\n"
        "keys: [STUDYID, USUBJID, MHTERM]\n"
    ))
    for stale in (study_copy / "sdtm").glob("*.yaml"):
        if stale.name != "MH.yaml":
            stale.unlink()
    spec = load_study(study_copy).sdtm["MH"]
    term = spec.variable("MHTERM")
    assert term.label == "Reported Term for the Medical History"
    assert term.type == "Char" and term.core == "Req"
    assert term.origin == "Collected"  # mapped with `assign` from a form field
    assert spec.variable("MHSEQ").origin == "Derived"


def test_dataset_spec_errors_name_line_and_closest(study_copy):
    for stale in (study_copy / "sdtm").glob("*.yaml"):
        stale.unlink()
    path = write_domain(study_copy, "MH", (
        "dataset: MH\n"
        "sources:\n"
        "  - form: cancer_history\n"
        "    map:\n"
        "      MHTERM: MHTREM\n"
        "variables:\n"
        "  - name: STUDYID\n"
        "  - name: MHTERM\n"
        "    codelist: NYY\n"
        "  - name: MHXYZ\n"
        "keys: [STUDYID, USUBJID]\n"
    ))
    found = problems(study_copy)
    assert any(f"MH.yaml:{line_of(path, 'MHTERM: MHTREM')}" in p and "field 'MHTREM' is not on form"
               in p and "did you mean 'MHTERM'" in p for p in found), found
    assert any("unknown codelist 'NYY'" in p and "did you mean 'NY'" in p for p in found), found
    assert any("MHXYZ: not in the standard" in p and "needs label and type" in p for p in found)
    assert any("key USUBJID is not among the variables" in p for p in found), found


# --- CDISC CT packages (study.yaml `ct:`) -------------------------------------------------------

def test_study_codelists_come_from_the_package_it_names(ct_store):
    study = load_study("ovarian", ct_store)
    assert study.ct == {"sdtm": "2025-03-28", "adam": "2025-03-28"}
    assert [(c.standard, c.source.label, c.note) for c in study.terminology] == [
        ("sdtm", "SDTM CT 2025-03-28", ""), ("adam", "ADaM CT 2025-03-28", "")]
    assert study.codelists["NY"].source.complete
    assert study.codelists["LBTESTCD"].term("INTLK6").decode == "Interleukin 6"
    # A sponsor extension keeps the package's codelist and marks the added term by its missing code.
    unit = study.codelists["UNIT"]
    assert (unit.c_code, unit.sponsor, unit.term("10^6 cells/kg").c_code) == ("C71620", True, None)
    assert unit.term("mg").c_code is not None
    dtype = study.codelists["DTYPE"]
    assert (dtype.c_code, dtype.source.label) == ("C81224", "ADaM CT 2025-03-28")
    assert dtype.term("BLQ").c_code is None
    # The imported guide completes the specs: IG C-codes become the package's codelist names.
    assert study.sdtm["SUPPAE"].variable("RDOMAIN").codelist == "DOMAIN"
    assert "VS" in study.guides["sdtm"]


def test_without_the_named_package_the_shipped_subset_and_a_note():
    study = load_study("ovarian")  # the tests' empty store
    (sdtm, adam) = study.terminology
    assert not sdtm.source.complete and sdtm.source.version == "2024-03-29"
    assert "SDTM CT 2025-03-28 is named but not imported" in sdtm.note
    assert "clinforge ct import" in sdtm.note and "ADaM CT 2025-03-28" in adam.note


def test_a_term_added_to_a_non_extensible_codelist_is_a_spec_error(study_copy, ct_store):
    path = study_copy / "codelists.yaml"
    edit(path, "codelists:\n", "codelists:\n  - name: NY\n    extends: NY\n    terms:\n"
                               "      - {value: Y}\n      - {value: MAYBE}\n")
    found = problems_in(study_copy, ct_store)
    assert found == [f"{path}:{line_of(path, 'MAYBE')}: codelist NY (C66742) (SDTM CT 2025-03-28) is not "
                     f"extensible: cannot add 'MAYBE'"]


def test_unknown_codelist_suggests_the_closest_of_the_package(study_copy, ct_store):
    # The study overrides the library's value-level entry of DSDECOD (same variable and where).
    path = study_copy / "sdtm" / "DS.yaml"
    path.write_text(path.read_text() + "value_level:\n  - {variable: DSDECOD, where: {DSCAT: PROTOCOL "
                                       "MILESTONE}, codelist: PROTMLSTT}\n")
    found = problems_in(study_copy, ct_store)
    assert any("unknown codelist 'PROTMLSTT'" in p and "did you mean 'PROTMLST'" in p for p in found), found


@pytest.mark.parametrize(("ct", "message"), [
    ("{sdtm: 2025-3-28}", "study.ct.sdtm: '2025-3-28' is not a release date (YYYY-MM-DD)"),
    ("{sdmt: 2025-03-28}", "unknown key 'sdmt'; did you mean 'sdtm'?"),
])
def test_ct_releases_are_checked(study_copy, ct, message):
    path = study_copy / "study.yaml"
    edit(path, "ct: {sdtm: 2025-03-28, adam: 2025-03-28}", f"ct: {ct}")
    found = problems(study_copy)
    assert any(p.startswith(f"{path}:{line_of(path, 'ct: {')}") and message in p for p in found), found


def problems_in(folder: Path, store: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_study(folder, store)
    return [str(p) for p in info.value.problems]


# --- the study's own forms and codelists over the shared CRF library and CT ----------------------

FORMS = """\
choices:
  POSITION: [Sitting, Supine]
forms:
  vitals:
    label: Vital signs
    fields:
      - {name: VSDAT, type: date, label: Date of measurement}
      - {name: SYSBP, type: integer, label: Systolic blood pressure}
      - {name: VSPOS, type: choice, label: Position, choices: POSITION}
  ae:
    fields:
      - {name: AETERM, label: Adverse event (verbatim)}
      - {name: AESPID, type: text, label: Sponsor AE number}
"""


def test_study_forms_add_to_and_override_the_crf_library(study_copy):
    (study_copy / "forms.yaml").write_text(FORMS)
    edit(study_copy / "study.yaml", "forms: [enrol,", "forms: [vitals, enrol,")
    study = load_study(study_copy)
    vitals = study.forms["vitals"]
    # The system fields come first in every form, the study's own form too.
    assert vitals.field_names() == ("STUDYID", "SITEID", "SUBJID", "FOLDER", "RECNUM", "VSDAT", "SYSBP",
                                    "VSPOS")
    # AESPID goes after AETERM, the field written before it.
    ae = study.forms["ae"].field_names()
    library_ae = load_study("ovarian").forms["ae"].field_names()
    after = library_ae.index("AETERM") + 1
    assert ae == (*library_ae[:after], "AESPID", *library_ae[after:])
    labels = {f.name: f.label for f in study.forms["ae"].fields}
    assert labels["AETERM"] == "Adverse event (verbatim)" and labels["AESER"] == "Serious"


def test_study_forms_are_checked_line_by_line(study_copy):
    path = study_copy / "forms.yaml"
    path.write_text(FORMS.replace("choices: POSITION", "choices: POSTURE").replace(
        "{name: SYSBP, type: integer", "{name: SYSBP, type: number"))
    found = problems(study_copy)
    assert found == [f"{path}:{line_of(path, 'SYSBP')}: forms.forms.vitals.fields[1].type: 'number' is not "
                     f"one of text, integer, float, date, time, choice"]
    path.write_text(FORMS.replace("choices: POSITION", "choices: POSTURE"))
    found = problems(study_copy)
    assert found == [f"{path}:{line_of(path, 'POSTURE')}: forms.vitals: field VSPOS uses unknown choices "
                     f"'POSTURE'; did you mean 'POSITION'?"]


def test_a_new_form_needs_label_and_fields(study_copy):
    path = study_copy / "forms.yaml"
    path.write_text("forms:\n  vitals:\n    fields: []\n")
    assert problems(study_copy) == [f"{path}:2: forms.forms.vitals: missing required key 'label' "
                                    f"(expected text)"]


def test_study_codelists_extend_library_codelist_files(study_copy):
    study = load_study(study_copy)
    # From the library: cart (AEREL, LOC + LIVER) and qlq-c15-pal (C15PALCD); from the study: LOC + SPLEEN.
    assert "C15PALCD" in study.codelists.own and "AEREL" in study.codelists.own
    assert study.codelists["LOC"].values()[-2:] == ("LIVER", "SPLEEN")
    # Without the questionnaire's codelists, the library's QS and ADQS name unknown codelists: the
    # problems are at the lines of the library files that name them.
    path = study_copy / "codelists.yaml"
    edit(path, "extends: [cart, qlq-c15-pal]", "extends: [cart, qlq-c15]")
    assert problems(study_copy) == [f"{path}:{line_of(path, 'extends:')}: extends: 'qlq-c15' is neither a "
                                    f"codelists file of the library ({LIBRARY / 'codelists'}: cart, "
                                    f"common, qlq-c15-pal) nor a file; did you mean 'qlq-c15-pal'?"]
    edit(path, "extends: [cart, qlq-c15]", "extends: cart")
    found = problems(study_copy)
    qs = LIBRARY / "sdtm" / "QS.yaml"
    assert found[0].startswith(f"{qs}:{line_of(qs, 'codelist: C15PALCD')}: QS.variables[4].codelist: "
                               f"unknown codelist 'C15PALCD'")


def test_a_study_adds_countries_and_subset_terms(study_copy, ct_store):
    # COUNTRY (ISO 3166-1 alpha-3) lists only the seed studies' countries: a study adds its own.
    path = study_copy / "codelists.yaml"
    edit(path, "codelists:\n", "codelists:\n  - name: COUNTRY\n    extends: COUNTRY\n    terms:\n"
                               "      - {value: DEU, decode: Germany}\n")
    assert load_study(study_copy).codelists["COUNTRY"].values() == ("CHN", "USA", "DEU")
    # A term of the CDISC package that the shipped subset of a non-extensible codelist lacks: added
    # to the subset, not as a sponsor extension; checked against the package once it is imported.
    edit(path, "codelists:\n", "codelists:\n  - name: SEX\n    extends: SEX\n    terms:\n"
                               "      - {value: INTERSEX}\n")
    sex = load_study(study_copy).codelists["SEX"]
    assert sex.values()[-1] == "INTERSEX" and not sex.sponsor
    assert load_study(study_copy, ct_store).codelists["SEX"].term("INTERSEX").c_code is not None
    edit(path, "{value: INTERSEX}", "{value: OTHER}")
    assert problems_in(study_copy, ct_store) == [
        f"{path}:{line_of(path, 'value: OTHER')}: codelist SEX (C66731) (SDTM CT 2025-03-28) is not "
        f"extensible: cannot add 'OTHER'"]


# --- treatments of each arm (study.yaml treatments.arms) --------------------------------------------

WALK = Path(__file__).resolve().parents[1] / "clinforge" / "walkthrough" / "melanoma"


@pytest.fixture
def two_arms(tmp_path: Path) -> Path:
    """A writable copy of the README walk-through's randomised two-arm study."""
    dest = tmp_path / "melanoma"
    shutil.copytree(WALK, dest)
    return dest


def test_arm_treatments_and_their_schedules(two_arms):
    from specs.loader import dose_days

    study = load_study(two_arms)
    pd1 = study.treatments["arms"]["PD1"][0]
    assert (pd1["name"], dose_days(pd1)) == ("ANTI-PD-1 ANTIBODY", (0, 21, 42, 63))
    assert dose_days({"days": [0, 14], "name": "X"}) == (0, 14)
    assert dose_days({"every_days": 7, "doses": 3, "first_day": 1}) == (1, 8, 15)


def test_arm_treatments_name_arms_of_the_study_and_one_schedule(two_arms):
    path = two_arms / "study.yaml"
    edit(path, "    DTIC:\n", "    DTICX:\n")
    edit(path, "every_days: 21, doses: 4}\n    DTICX", "every_days: 21, doses: 4, days: [0]}\n    DTICX")
    found = problems(two_arms)
    assert (f"{path}:{line_of(path, 'DTICX:')}: treatments.arms: 'DTICX' is not an ARMCD of arms "
            f"(PD1, DTIC); did you mean 'DTIC'?") in found
    schedule = ("treatments.arms.PD1[0] (ANTI-PD-1 ANTIBODY): give its schedule as `days: [protocol days]` "
                "or as `every_days: N` with `doses: N`, not both")
    assert any(schedule in p for p in found), found


def test_a_missing_study_yaml_key_names_file_line_and_what_is_expected(two_arms):
    path = two_arms / "study.yaml"
    edit(path, "reference:\n", "referenc:\n")
    found = problems(two_arms)
    assert (f"{path}:{line_of(path, 'referenc:')}: study: unknown key 'referenc'; did you mean "
            f"'reference'? (valid keys: study, forms, arms, elements, visits, reference, parameters, "
            f"simulation, treatments, kinetics, tumor, questionnaires)") in found
    missing = "study: missing required key 'reference' (expected a mapping)"
    assert any(p.endswith(missing) for p in found), found
