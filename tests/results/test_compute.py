"""Running a plan: populations, data subsets, groupings joined from the analysis set, group order,
formatting, the ARD layout; and the numbers of a simulated study against pandas counts."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from results.compute import NOT_ESTIMABLE, ard_frame, check_datasets, compute_results, run_analysis
from results.plan import study_plan
from specs.errors import InputError
from specs.model import Analysis, AnalysisPlan, Figure, Grouping, Selection

ADSL = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "SAFFL": ["Y", "Y", "Y", "N"],
                     "TRT01A": ["B", "A", "A", "A"]})
ADQS = pd.DataFrame({
    "USUBJID": ["1", "1", "2", "2", "3", "4"],
    "PARAMCD": ["PF"] * 6,
    "AVISIT": ["MONTH 12", "BASELINE", "MONTH 12", "BASELINE", "BASELINE", "BASELINE"],
    "AVISITN": [365.0, 0.0, 365.0, 0.0, 0.0, 0.0],
    "AVAL": [50.0, 80.0, 40.0, 60.0, 70.0, 10.0],
    "ANL01FL": ["Y"] * 6,
    "TRT01A": ["stale"] * 6,  # replaced by ADSL's: the grouping is the analysis set's
})
PLAN = AnalysisPlan(
    id="RE", name="test", file="analyses.yaml",
    analysis_sets=(Selection("SAF", "Safety set", "ADSL", {"SAFFL": ("Y",)}),),
    data_subsets=(Selection("PF", "Physical functioning", "ADQS", {"PARAMCD": ("PF",), "ANL01FL": ("Y",)}),),
    groupings=(Grouping("TRT", "Treatment", "ADSL", "TRT01A"),
               Grouping("VISIT", "Visit", "ADQS", "AVISIT", order_by="AVISITN")),
    analyses=(Analysis("QS", "PF by visit", "QoL", "SECONDARY OUTCOME MEASURE", "ADQS", "AVAL", "SAF",
                       "summary_continuous", data_subset="PF", groupings=("TRT", "VISIT"),
                       parameters={"decimals": 2}),),
)
FRAMES = {"ADSL": ADSL, "ADQS": ADQS}


def test_population_subset_groupings_and_order():
    result = run_analysis(PLAN, PLAN.analyses[0], FRAMES)
    rows = result.rows
    means = rows[rows["operation"] == "mean"]
    # subject 4 is not in the safety set; treatment comes from ADSL; BASELINE (0) before MONTH 12 (365)
    assert list(zip(means["TRT01A"], means["AVISIT"], means["value"], strict=True)) == [
        ("A", "BASELINE", 65.0), ("A", "MONTH 12", 40.0), ("B", "BASELINE", 80.0), ("B", "MONTH 12", 50.0)]
    assert result.levels["AVISIT"] == ["BASELINE", "MONTH 12"]
    sd = rows[(rows["operation"] == "sd") & (rows["TRT01A"] == "B")]
    # one value has no standard deviation: not estimable
    assert sd["formatted"].tolist() == [NOT_ESTIMABLE, NOT_ESTIMABLE]
    assert rows[(rows["operation"] == "mean") & (rows["TRT01A"] == "A")]["formatted"].tolist() == ["65.00",
                                                                                                  "40.00"]
    assert rows[rows["operation"] == "n"]["formatted"].tolist() == ["2", "1", "1", "1"]


def test_ard_layout():
    ard = ard_frame(PLAN, compute_results(PLAN, FRAMES), "STUDY")
    assert list(ard.columns) == [
        "STUDYID", "analysisId", "analysisName", "analysisSetId", "dataSubsetId", "analysisDataset",
        "analysisVariable", "methodId", "operationId", "resultGroup1_groupingId", "resultGroup1_groupValue",
        "resultGroup2_groupingId", "resultGroup2_groupValue", "rawValue", "formattedValue"]
    first = ard.iloc[0]
    assert (first["operationId"], first["resultGroup1_groupingId"], first["resultGroup2_groupValue"]) == (
        "summary_continuous_n", "TRT", "BASELINE")
    assert len(ard) == 4 * 8  # four groups, eight statistics
    assert ard["rawValue"].dtype == np.float64


def test_a_missing_dataset_or_variable_is_named():
    with pytest.raises(InputError, match=r"ADQS is missing; the analysis plan reads it \(analyses.yaml:0\)"):
        check_datasets(PLAN, {"ADSL": ADSL}, "adam")
    with pytest.raises(InputError, match="ADQS lacks AVISIT") as error:
        check_datasets(PLAN, {"ADSL": ADSL, "ADQS": ADQS.drop(columns="AVISIT")}, "adam")
    assert error.value.column == "AVISIT" and error.value.file == "adam/adqs"


def test_a_figures_missing_dataset_is_named_with_the_figure():
    # A waterfall reads ADTR; a study without it is told so before anything is drawn.
    plan = replace(PLAN, figures=(Figure("F-WATERFALL", "waterfall", {"analysis_set": "SAF"}, line=7),))
    with pytest.raises(InputError, match=r"ADTR is missing; the analysis plan reads it \(analyses.yaml:7, "
                                         r"figure F-WATERFALL\)"):
        check_datasets(plan, FRAMES, "adam")


# --- a simulated study, against counts made here with pandas ---------------------------------------

@pytest.fixture(scope="module")
def results(study, adam):
    plan = study_plan(study)
    return {r.analysis.id: r for r in compute_results(plan, adam)}


def _value(results, analysis, operation, **groups):
    rows = results[analysis].rows
    mask = rows["operation"] == operation
    for variable, value in groups.items():
        mask &= rows[variable] == value
    return float(rows.loc[mask, "value"].item())


def test_every_planned_analysis_has_results(study, results):
    assert [a.id for a in study.analysis_plan.analyses] == list(results)
    assert all(len(r.rows) for r in results.values())


def test_counts_against_the_datasets(adam, results):
    safety = adam["ADSL"][adam["ADSL"]["SAFFL"] == "Y"]
    total = len(safety)
    assert _value(results, "POP", "N") == total
    adae = adam["ADAE"][adam["ADAE"]["USUBJID"].isin(safety["USUBJID"])]
    emergent = adae[adae["TRTEMFL"] == "Y"]
    assert _value(results, "AE-ANY", "n") == emergent["USUBJID"].nunique()
    serious = emergent[emergent["SERFL"] == "Y"]
    assert _value(results, "AE-SER", "pct") == pytest.approx(100 * serious["USUBJID"].nunique() / total)
    term = emergent["AEDECOD"].value_counts().index[0]
    assert _value(results, "AE-SOCPT", "n", AEDECOD=term) == emergent.loc[emergent["AEDECOD"] == term,
                                                                            "USUBJID"].nunique()
    adrs = adam["ADRS"][adam["ADRS"]["USUBJID"].isin(safety["USUBJID"])]
    responders = adrs[(adrs["PARAMCD"] == "CRSP3M") & (adrs["AVALC"] == "Y")]["USUBJID"].nunique()
    assert _value(results, "ORR-3M", "n") == responders and _value(results, "ORR-3M", "N") == total
    cbor = adrs[adrs["PARAMCD"] == "CBOR"]["AVALC"].value_counts()
    for response, count in cbor.items():
        assert _value(results, "BOR", "n", AVALC=response) == count
    adtte = adam["ADTTE"][adam["ADTTE"]["USUBJID"].isin(safety["USUBJID"])]
    pfs = adtte[adtte["PARAMCD"] == "PFS"]
    assert _value(results, "PFS", "events") == (pfs["CNSR"] == 0).sum()
    cmax = adam["ADPP"][adam["ADPP"]["PARAMCD"] == "CMAX"]["AVAL"].dropna()
    assert _value(results, "PK", "median", PARAM="Max Conc") == pytest.approx(cmax.median())
    pf = adam["ADQS"][(adam["ADQS"]["PARAMCD"] == "PF") & (adam["ADQS"]["ANL01FL"] == "Y")
                      & (adam["ADQS"]["AVISIT"] == "BASELINE")]["AVAL"]
    assert _value(results, "QLQ", "mean", PARAM="Physical functioning", AVISIT="BASELINE") == pytest.approx(
        pf.mean())
