"""The simulator's exports carry the untidy cases real exports have (at a moderate N)."""

from __future__ import annotations


def test_partial_dates(raw_a):
    ae = raw_a["ae"]
    assert ae["AESTDAT"].str.fullmatch(r"UN [A-Z]{3} \d{4}").any()
    assert ae["AEENDAT"].str.startswith("UN ").any()
    assert raw_a["dm"]["BRTHDAT"].str.fullmatch(r"UN UNK \d{4}").any()
    assert raw_a["cancer_history"]["MHSTDAT"].str.startswith("UN").any()


def test_blq_spellings(raw_a):
    results = set(raw_a["qpcr"]["RESULT"])
    assert {"<LLOQ", "BLQ", "< 50"} <= results


def test_missing_samples_have_reasons(raw_a):
    q = raw_a["qpcr"]
    missing = q[q["RESULT"] == ""]
    assert len(missing) > 0 and (missing["NDREAS"] != "").all()
    assert (missing["SMPDAT"] == "").any()


def test_unscheduled_visits(raw_a):
    visits = raw_a["visit"]
    uns = visits[visits["FOLDER"].str.startswith("UNS")]
    assert len(uns) > 0 and (uns["VISDAT"] != "").all()
    for form in ("tumor", "cytokine"):
        folders = raw_a[form]["FOLDER"]
        assert folders.str.startswith("UNS").any(), form
        keyed = raw_a[form].loc[folders.str.startswith("UNS"), ["SUBJID", "FOLDER"]].drop_duplicates()
        assert len(keyed.merge(uns[["SUBJID", "FOLDER"]])) == len(keyed)


def test_missed_visits(raw_a):
    assert (raw_a["visit"]["VISND"] == "X").any()


def test_early_withdrawals_and_losses(raw_a):
    statuses = raw_a["disposition"]["DSDECOD"].value_counts()
    assert statuses["Withdrawal by subject"] > 0 and statuses["Lost to follow-up"] > 0


def test_not_infused_subjects(raw_a):
    assert len(set(raw_a["dm"]["SUBJID"]) - set(raw_a["infusion"]["SUBJID"])) > 0


def test_questionnaire_gaps(raw_a):
    qlq = raw_a["qlq"]
    done = qlq[qlq["QSND"] == ""]
    items = [f"Q{i:02d}" for i in range(1, 16)]
    assert (done[items] == "").any(axis=1).any()
    not_done = qlq[qlq["QSND"] == "X"]
    assert len(not_done) > 0 and (not_done["QSREASND"] != "").all()
    assert (not_done[items] == "").all().all()
    ratings = done[items].apply(lambda c: c.str.replace("^$", "nan", regex=True).astype(float))
    assert ratings[items[:14]].stack().dropna().between(1, 4).all()
    assert ratings["Q15"].dropna().between(1, 7).all() and set(ratings["Q15"].dropna()) >= {1, 7}


def test_verbatim_oddities_and_coding(raw_a):
    ae = raw_a["ae"]
    assert ae["AETERM"].str.endswith(" ").any()
    assert (ae["AETERM"] == ae["AETERM"].str.lower()).any()
    assert (ae["AEDECOD"] != "").all() and (ae["AEBODSYS"] != "").all()
    scale = ae.groupby("AEDECOD")["AEGRSCL"].first()
    assert scale["Cytokine release syndrome"] == "ASTCT 2019" and scale["Nausea"] == "CTCAE v4.03"


def test_serious_without_criterion_is_rare_but_present(raw_a):
    ae = raw_a["ae"]
    criteria = ["AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE"]
    serious = ae[ae["AESER"] == "Yes"]
    unticked = (serious[criteria] == "").all(axis=1)
    assert 0 < unticked.sum() < 0.05 * len(serious)
    assert (ae.loc[ae["AESER"] == "No", criteria] == "").all().all()


def test_outcome_consistent_with_end(raw_a):
    ae = raw_a["ae"]
    ongoing = ae["AEONGO"] == "Yes"
    assert (ae.loc[ongoing, "AEENDAT"] == "").all()
    still = ["Not recovered/Not resolved", "Recovering/Resolving", "Unknown"]
    assert ae.loc[ongoing, "AEOUT"].isin(still).all()
    assert (ae.loc[~ongoing, "AEENDAT"] != "").all()


def test_adverse_events_during_lymphodepletion(raw_a):
    from tests.edc.conftest import edc_date, infusion_dates

    ae = raw_a["ae"]
    day = (edc_date(ae["AESTDAT"]) - ae["SUBJID"].map(infusion_dates(raw_a))).dt.days
    assert (day < 0).any()
    assert (ae.loc[day < 0, "AEREL"] == "Not related").all()
