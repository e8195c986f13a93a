"""Implementation guides from the CDISC Library CSV export: imported once, loaded back as specs,
and completing the shipped standards."""

from __future__ import annotations

import shutil

import pytest

from specs.errors import InputError
from specs.guides import guide_variable, import_guides, load_standard_package, standard_datasets
from specs.loader import load_standard
from tests.reference import reference


def test_import_reads_every_dataset_and_a_second_import_changes_nothing(tmp_path):
    folders = [reference("cdisc-standards", "sdtmig-3.4"), reference("cdisc-standards", "adamig-1.3")]
    first = import_guides(folders, tmp_path)
    assert [(r.guide, r.version, r.datasets, r.variables, r.action) for r in first] == [
        ("sdtmig", "3.4", 63, 1917, "imported"), ("adamig", "1.3", 3, 336, "imported")]
    assert [r.action for r in import_guides(folders, tmp_path)] == ["unchanged", "unchanged"]


def test_not_an_export_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a CDISC Library CSV export"):
        import_guides([tmp_path], tmp_path)
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(reference("cdisc-standards", "sdtmig-3.4", "Datasets.csv"), partial)
    with pytest.raises(InputError, match="Variables.csv: file not found"):
        import_guides([partial], tmp_path)


def test_loaded_back_as_the_specs_every_layer_reads(ct_store):
    version, sdtmig = load_standard_package("sdtmig", None, ct_store)
    assert version == "3.4" and len(sdtmig) == 63
    vs = sdtmig["VS"]
    assert (vs.kind, vs.dataset_class, vs.label) == ("sdtm", "FINDINGS", "Vital Signs")
    orresu = vs.variable("VSORRESU")
    assert (orresu.label, orresu.type, orresu.core, orresu.codelist) == ("Original Units", "Char", "Exp",
                                                                         "C66770")
    assert load_standard_package("sdtmig", "3.3", ct_store) is None
    assert load_standard_package("adamig", "1.3", ct_store)[1]["ADSL"].variable("AGE").core == "Req"


def test_imported_guide_is_completed_by_the_shipped_one(ct_store, tmp_path):
    shipped = load_standard("sdtm")
    guide = standard_datasets("sdtm", shipped, "3.4", "3.4", ct_store)
    merged = guide.datasets
    assert guide.label == "SDTMIG 3.4 (imported)" and {"VS", "EG", "SUPPQUAL", "AE"} <= set(merged)
    assert merged["AE"].keys == shipped["AE"].keys  # the Library export has no keys
    assert merged["AE"].variable("AETOXGR").codelist == "TOXGR"  # the guide names none
    assert merged["AE"].variable("AESER").codelist == "C66742"  # the guide's own
    alone = standard_datasets("sdtm", shipped, "3.4", "3.4", tmp_path)
    assert (alone.datasets, alone.label) == (shipped, "SDTMIG 3.4 (shipped)")


def test_adam_names_with_placeholders(ct_store):
    adsl = load_standard_package("adamig", "1.3", ct_store)[1]["ADSL"]
    trt01p = guide_variable(adsl, "TRT01P")
    assert (trt01p.name, trt01p.label) == ("TRT01P", "Planned Treatment for Period 01")
    assert guide_variable(adsl, "AGEGR2").label == "Pooled Age Group 2"
    assert guide_variable(adsl, "TRTP01") is None
