"""CDISC CT packages in the store: import (fast, once), lookups, decodes, and which package a study uses."""

from __future__ import annotations

import csv
import time

import pytest

from specs.errors import InputError
from specs.loader import load_ct_conditions, shipped_subsets
from specs.terminology import (
    Codelists,
    choose,
    find_codelist,
    import_ct,
    imported,
    load_package,
)
from tests.reference import reference


def test_import_is_fast_and_a_second_import_changes_nothing(tmp_path):
    path = reference("cdisc-ct", "SDTM Terminology 2025-03-28.txt")
    started = time.perf_counter()
    (first,) = import_ct([path], tmp_path)
    seconds = time.perf_counter() - started
    assert (first.action, first.codelists, first.terms) == ("imported", 1158, 43697)
    assert seconds < 5, f"importing the SDTM package took {seconds:.1f} s"
    stored = imported(tmp_path, "sdtm")[0]
    written = (stored.folder / "terms.parquet").stat().st_mtime_ns
    (again,) = import_ct([path], tmp_path)
    assert again.action == "unchanged"
    assert (stored.folder / "terms.parquet").stat().st_mtime_ns == written


def test_loading_a_package_is_quick(ct_store):
    from specs.terminology import _load

    _load.cache_clear()  # read from Parquet, not from this process's cache
    started = time.perf_counter()
    package = load_package("sdtm", "2025-03-28", ct_store)
    seconds = time.perf_counter() - started
    assert len(package) == 1158 and package.term_count() == 43697
    assert seconds < 1.0, f"loading the SDTM package took {seconds:.2f} s"


def test_codelists_by_short_name_name_or_c_code(ct_store):
    package = load_package("sdtm", "2025-03-28", ct_store)
    ny = package.codelist("NY")
    assert package.codelist("C66742") is ny and package.codelist("no yes response") is ny
    assert (ny.c_code, ny.extensible, ny.values()) == ("C66742", False, ("N", "U", "Y"))
    assert ny.source.label == "SDTM CT 2025-03-28"
    assert package.codelist("NOPE") is None


def test_decodes_come_from_the_paired_name_codelist(ct_store):
    package = load_package("sdtm", "2025-03-28", ct_store)
    # CDISC synonyms are not the test name (alphabetical: 'Auditory Lateralization' first).
    assert package.codelist("LBTESTCD").term("INTLK6").decode == "Interleukin 6"
    assert package.codelist("AUTESTCD").term("HEARLATN").decode == "Hearing Lateralization"
    # QRS 'TC' codelists pair by name ('... Test Code' / '... Test Name'); PKPARMCD by short name.
    assert package.codelist("TENMW1TC").term("TENMW101").decode == "TENMW1-Was Walk/Run Performed"
    assert package.codelist("PKPARMCD").term("TMAX").decode == "Time of CMAX Observation"
    # No pair: the single synonym, else the NCI preferred term.
    assert package.codelist("SEX").term("F").decode == "Female"
    assert package.codelist("NY").term("U").decode == "Unknown"


def test_choose_named_nearest_newest_or_the_shipped_subset(ct_store, tmp_path):
    subset = shipped_subsets()["sdtm"]
    named = choose("sdtm", "2025-03-28", ct_store, subset)
    assert named.source.version == "2025-03-28" and named.note == ""
    nearest = choose("sdtm", "2024-09-27", ct_store, subset)
    assert nearest.source.version == "2025-03-28"
    assert "2024-09-27 is not imported" in nearest.note and "nearest" in nearest.note
    assert choose("sdtm", None, ct_store, subset).source.version == "2025-03-28"
    empty = choose("sdtm", "2025-03-28", tmp_path, subset)
    assert empty.terminology is subset and not empty.source.complete
    assert "not imported" in empty.note
    assert "clinforge ct import 'SDTM Terminology 2025-03-28.txt'" in empty.note


def test_a_study_s_codelists_come_first_then_the_packages(ct_store):
    from specs.model import Codelist, Term

    package = load_package("sdtm", "2025-03-28", ct_store)
    own = Codelist("AEREL", "Relationship", (Term("RELATED"),), sponsor=True)
    codelists = Codelists({"AEREL": own}, [package])
    assert codelists["AEREL"] is own and codelists["C66742"].name == "NY"
    assert "NY" in codelists and "C66742" in codelists and "NOPE" not in codelists
    assert len(codelists) == 1159 and next(iter(codelists)) == "AEREL"


def test_find_codelist_suggests_the_closest_or_says_how_to_import(ct_store, tmp_path):
    found, source = find_codelist("C66731", ct_store)
    assert (found.name, source.label) == ("SEX", "SDTM CT 2025-03-28")
    with pytest.raises(InputError, match="did you mean 'NY'"):
        find_codelist("NYY", ct_store)
    with pytest.raises(InputError, match="no CDISC CT package is imported") as error:
        find_codelist("NY", tmp_path)
    assert "clinforge ct import" in str(error.value)


def test_conditions_name_codelists_of_the_package_and_cover_the_guide(ct_store):
    # specs/ct/conditions.yaml against the SDTMIG 3.4 variable metadata: every variable the guide
    # gives several codelists has an entry naming exactly those codelists.
    package = load_package("sdtm", "2025-03-28", ct_store)
    conditions = load_ct_conditions()
    for condition in conditions.values():
        for name in [*condition.codelists.values(), *condition.any_of]:
            assert package.codelist(name) is not None, f"{condition.variable}: no codelist {name}"
    with open(reference("cdisc-standards", "sdtmig-3.4", "Variables.csv"), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    codes = {(r["Dataset Name"], r["Variable Name"]): r["CDISC CT Codelist Code(s)"] for r in rows}
    several = {key: {c.strip() for c in text.split(";")} for key, text in codes.items() if ";" in text}
    assert len(several) == 10
    for key, wanted in several.items():
        condition = conditions[key]
        named = set(condition.codelists.values()) | set(condition.any_of)
        assert {package.codelist(n).c_code for n in named} == wanted, key
