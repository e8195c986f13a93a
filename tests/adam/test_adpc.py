"""ADPC on small PC tables: times from the infusion, BLQ rules, analysis flag."""

import numpy as np
import pandas as pd
import pytest

from adam.adpc import build_adpc, compute_blq, compute_duration

NA = np.nan
INFUSION = pd.Timestamp("2024-03-01 10:00")


def _adsl(*subjects):
    return pd.DataFrame({
        "STUDYID": "S", "USUBJID": list(subjects), "TRT01A": "CAR-T",
        "TRTSDTM": INFUSION, "TRTSDT": INFUSION.normalize(),
    })


def _pc(rows):
    """rows: (USUBJID, PCDTC, PCSTRESC, PCELTM, PCSTAT); PCSTRESN follows PCSTRESC."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "PCDTC", "PCSTRESC", "PCELTM", "PCSTAT"])
    return frame.assign(
        STUDYID="S", DOMAIN="PC", PCSEQ=np.arange(1, len(frame) + 1, dtype=float),
        PCTESTCD="MESOCART", PCTEST="Anti-MESO CAR Transgene", PCSPEC="BLOOD",
        PCSTRESN=pd.to_numeric(frame["PCSTRESC"], errors="coerce"), PCSTRESU="copies/ug",
        PCLLOQ=50.0, PCTPTREF="CAR-T INFUSION", PCTPTNUM=NA,
    )


def test_blq_rules_before_between_after_and_pre_dose():
    pc = _pc([
        # pre-infusion BLQ: 0 like any BLQ before the first quantifiable, but not used
        ("1", "2024-03-01T08:00", "<BLQ", "-PT2H", ""),
        # BLQ after the dose, before the first quantifiable: 0, used
        ("1", "2024-03-02T10:00", "<BLQ", "P1D", ""),
        ("1", "2024-03-05T10:00", "1000", "P4D", ""),
        # BLQ between quantifiable values: dropped (missing, not used)
        ("1", "2024-03-08T10:00", "<BLQ", "P7D", ""),
        ("1", "2024-03-11T10:00", "400", "P10D", ""),
        # BLQ after the last quantifiable (Tlast): 0, used
        ("1", "2024-03-15T10:00", "<BLQ", "P14D", ""),
        ("1", "2024-03-22T10:00", "<BLQ", "P21D", ""),
    ])
    adpc = build_adpc(pc, _adsl("1"))
    np.testing.assert_array_equal(adpc["AVAL"], [0, 0, 1000, NA, 400, 0, 0])
    assert adpc["ANL01FL"].tolist() == [pd.NA, "Y", "Y", pd.NA, "Y", "Y", "Y"]
    assert adpc["DTYPE"].tolist() == ["BLQ", "BLQ", pd.NA, pd.NA, pd.NA, "BLQ", "BLQ"]
    assert adpc["BLQFL"].tolist() == ["Y", "Y", "N", "Y", "N", "Y", "Y"]
    assert adpc["AVALC"].tolist()[:3] == ["<BLQ", "<BLQ", "1000"]
    np.testing.assert_array_equal(adpc["ALLOQ"], 50.0)


def test_blq_rules_are_parameters():
    pc = _pc([
        ("1", "2024-03-02T10:00", "<BLQ", "P1D", ""),
        ("1", "2024-03-05T10:00", "1000", "P4D", ""),
        ("1", "2024-03-08T10:00", "<BLQ", "P7D", ""),
    ])
    # LLOQ/2 after Tlast, drop before the first quantifiable
    adpc = build_adpc(pc, _adsl("1"), blq_rules={"first": "drop", "middle": "drop", "last": 25})
    np.testing.assert_array_equal(adpc["AVAL"], [NA, 1000, 25])
    assert adpc["ANL01FL"].tolist() == [pd.NA, "Y", "Y"]


def test_missed_sample_and_all_blq_profile():
    pc = _pc([
        # missed sample: no result, no flag, not BLQ
        ("1", "2024-03-05", "", "P4D", "NOT DONE"),
        ("1", "2024-03-08T10:00", "700", "P7D", ""),
        # every sample BLQ: all kept as 0 (the NCA reports the profile as not estimable)
        ("2", "2024-03-05T10:00", "<BLQ", "P4D", ""),
        ("2", "2024-03-08T10:00", "<BLQ", "P7D", ""),
    ])
    adpc = build_adpc(pc, _adsl("1", "2"))
    np.testing.assert_array_equal(adpc["AVAL"], [NA, 700, 0, 0])
    assert adpc["ANL01FL"].tolist() == [pd.NA, "Y", "Y", "Y"]
    assert adpc["BLQFL"].tolist() == ["N", "N", "Y", "Y"]


def test_actual_and_nominal_time():
    pc = _pc([
        # sample one day late: AFRLT 8 days and 2 hours, NFRLT the planned 7 days
        ("1", "2024-03-09T12:00", "900", "P7D", ""),
        # no time collected: 00:00 imputed (ATMF = H); nominal from PCTPTNUM (no PCELTM)
        ("1", "2024-03-15", "500", "", ""),
    ])
    pc.loc[1, "PCTPTNUM"] = 14
    adpc = build_adpc(pc, _adsl("1"))
    np.testing.assert_allclose(adpc["AFRLT"], [8 + 2 / 24, 14 - 10 / 24])
    np.testing.assert_array_equal(adpc["NFRLT"], [7, 14])
    assert adpc["ATMF"].tolist() == [pd.NA, "H"]
    assert adpc["FRLTU"].tolist() == ["DAYS", "DAYS"]
    # study day: the infusion day is day 1
    assert adpc["ADY"].tolist() == [9, 15]
    hours = build_adpc(pc, _adsl("1"), time_unit="hour", tptnum_unit="day")
    np.testing.assert_allclose(hours["NFRLT"], [168, 336])
    np.testing.assert_allclose(hours["AFRLT"], [194, 326])


def test_compute_duration():
    iso = pd.Series(["P7D", "PT12H", "-PT30M", "P1W", "P1DT6H", "P1M", "P", "", None, "7"])
    days = compute_duration(iso)
    np.testing.assert_allclose(days, [7, 0.5, -1 / 48, 7, 1.25, NA, NA, NA, NA, NA])
    np.testing.assert_allclose(compute_duration(pd.Series(["P1D"]), unit="hour"), [24])


@pytest.mark.parametrize(("text", "blq"), [("<BLQ", True), ("BLQ", True), ("< 50", True),
                                           ("bql", True), ("50", False), ("", False), (None, False)])
def test_compute_blq(text, blq):
    assert compute_blq(pd.Series([text], dtype="string")).tolist() == [blq]


def _naive(values):
    values = pd.to_datetime(values)
    return (values.dt.tz_convert(None) if values.dt.tz is not None else values).astype("datetime64[ns]")


def test_reproduces_pharmaverseadam_adpc(pharmaversesdtm, pharmaverseadam):
    """pharmaverseadam ADPC (admiral ad_adpc.R, multiple-dose xanomeline) on the parts that
    overlap ours: the 3,024 original XAN records (neither DOSE, COPY nor HALFLLOQ records),
    times in hours from the first dose (TRTSDTM).

    AFRLT agrees on every record. Differences that remain, each by a documented rule:
    - NFRLT: admiral reads the nominal time from the PCTPT text, we from PCTPTNUM: a
      pre-dose sample (PCTPTNUM -0.5) is 0 there; "5 Min Post-dose" is 1/12 h there and
      0.08 (PCTPTNUM rounded) here; the urine interval "24-48h" is its midpoint 36 there and
      PCTPTNUM 37 here.
    - AVAL: a post-dose BLQ before the first or after the last quantifiable sample is 0 here
      (PKNCA conc.blq keep, what the NCA integrates) and missing there (admiral keeps AVAL
      missing and adds HALFLLOQ copy records).
    """
    adsl = pharmaverseadam("adsl")
    adsl = adsl.assign(TRTSDTM=_naive(adsl["TRTSDTM"]), TRTSDT=_naive(adsl["TRTSDT"]))
    ours = build_adpc(pharmaversesdtm("pc"), adsl, time_unit="hour", tptnum_unit="hour")
    reference = pharmaverseadam("adpc")
    reference = reference[(reference["PARAMCD"] == "XAN") & reference["DTYPE"].isna()]
    both = reference.merge(ours, left_on=["USUBJID", "SRCSEQ"], right_on=["USUBJID", "PCSEQ"],
                           suffixes=("_ref", ""), validate="one_to_one")
    assert len(both) == len(reference) == 3024

    def agree(name):
        ours_value, theirs = both[name].astype(float), both[f"{name}_ref"].astype(float)
        return np.isclose(ours_value, theirs, atol=1e-9) | (ours_value.isna() & theirs.isna())

    assert agree("AFRLT").all()

    nfrlt = agree("NFRLT")
    explained = (
        (both["PCTPTNUM"] < 0) & (both["NFRLT_ref"] == 0)
        | (both["PCTPT"] == "5 Min Post-dose") & np.isclose(both["NFRLT_ref"], 5 / 60)
        | (both["PCTPT"] == "24-48h Post-dose") & (both["NFRLT_ref"] == 36)
    )
    assert (nfrlt | explained).all()
    assert nfrlt.sum() == 2520  # of 3024; 504 differ by the three rules above

    aval = agree("AVAL")
    kept_blq = (both["BLQFL"] == "Y") & (both["AFRLT"] >= 0) & (both["AVAL"] == 0) & both["AVAL_ref"].isna()
    assert (aval | kept_blq).all()
    assert aval.sum() == 2561  # of 3024; 463 post-dose BLQ kept as 0 by the PKNCA rule


def test_two_results_at_one_time_only_the_first_scheduled_is_analysed():
    pc = _pc([
        ("1", "2024-03-05T10:00", "1000", "P4D", ""),
        # day 28 and day 30 samples recorded at the same draw: the day-28 one is analysed
        ("1", "2024-03-31T09:00", "634", "P30D", ""),
        ("1", "2024-03-31T09:00", "562", "P28D", ""),
        # a sample not done at the same time as a result does not hide that result
        ("2", "2024-03-05T10:00", "", "P4D", "NOT DONE"),
        ("2", "2024-03-05T10:00", "800", "P5D", ""),
    ])
    adpc = build_adpc(pc, _adsl("1", "2")).set_index(["USUBJID", "NFRLT"])
    assert adpc.loc[("1", 28.0), "ANL01FL"] == "Y"
    assert pd.isna(adpc.loc[("1", 30.0), "ANL01FL"])
    assert adpc.loc[("2", 5.0), "ANL01FL"] == "Y"
