"""Each method's statistics against an independent computation on data whose answer is known:
closed forms, the textbook definitions written out here, and published values."""

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from results.methods import (
    METHODS,
    count_subjects,
    fit_kaplan_meier,
    incidence,
    kaplan_meier,
    proportion_exact_ci,
    summary_continuous,
    summary_geometric,
    survival_at,
)

Z = stats.norm.ppf(0.975)


def _values(rows: pd.DataFrame, by: list[str] | None = None) -> dict:
    keys = [*(by or []), "operation"]
    pairs = zip(rows[keys].to_numpy().tolist(), rows["value"], strict=True)
    return {tuple(k) if len(keys) > 1 else k[0]: v for k, v in pairs}


def _subjects(n: int, arm: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": [f"S{i}" for i in range(n)], "TRT01A": arm or ["A"] * n})


# --- incidence -----------------------------------------------------------------------------------

def test_incidence_counts_each_subject_once_per_group():
    subjects = _subjects(4, ["A", "A", "B", "B"])
    records = pd.DataFrame({
        "USUBJID": ["S0", "S0", "S1", "S2"],  # S0 has the term twice: counted once
        "TRT01A": ["A", "A", "A", "B"],
        "AEDECOD": ["Fever", "Fever", "Fever", "Fever"],
    })
    rows = incidence(records, subjects, variable="USUBJID", by=["TRT01A", "AEDECOD"], subject_by=["TRT01A"])
    got = _values(rows, ["TRT01A", "AEDECOD"])
    assert got[("A", "Fever", "n")] == 2 and got[("A", "Fever", "pct")] == 100.0
    assert got[("B", "Fever", "n")] == 1 and got[("B", "Fever", "pct")] == 50.0


def test_incidence_worst_grade_and_zero_groups():
    subjects = _subjects(4)
    records = pd.DataFrame({
        "USUBJID": ["S0", "S0", "S1", "S2"],
        "TRT01A": "A",
        "AEDECOD": "Rash",
        "ATOXGR": ["1", "3", "2", "1"],  # S0's worst is 3: not also counted under 1
        "ATOXGRN": [1.0, 3.0, 2.0, 1.0],
    })
    rows = incidence(records, subjects, variable="USUBJID", by=["AEDECOD", "ATOXGR"], subject_by=[],
                     worst_by="ATOXGRN")
    got = _values(rows, ["AEDECOD", "ATOXGR"])
    assert {k[1]: v for k, v in got.items() if k[2] == "n"} == {"1": 1, "2": 1, "3": 1}
    assert got[("Rash", "3", "pct")] == 25.0
    # by a subject grouping alone, a group without records shows 0
    none = incidence(records.iloc[:0], subjects, variable="USUBJID", by=["TRT01A"], subject_by=["TRT01A"])
    assert _values(none, ["TRT01A"]) == {("A", "n"): 0.0, ("A", "pct"): 0.0}


def test_incidence_listed_categories_and_subjects_without_a_record():
    subjects = _subjects(5)
    records = pd.DataFrame({"USUBJID": ["S0", "S1", "S2"], "AVALC": ["PR", "PD", "PD"]})
    rows = incidence(records, subjects, variable="USUBJID", by=["AVALC"], subject_by=[],
                     categories=["CR", "PR", "PD"], missing="MISSING")
    got = {k[0]: v for k, v in _values(rows, ["AVALC"]).items() if k[1] == "n"}
    assert got == {"CR": 0, "PR": 1, "PD": 2, "MISSING": 2}
    counted = count_subjects(records, subjects, variable="USUBJID", by=[], subject_by=[])
    assert counted["value"].tolist() == [5]


# --- exact proportion ------------------------------------------------------------------------------

@pytest.mark.parametrize("k, n", [(0, 10), (10, 10), (8, 30), (1, 24), (15, 30)])
def test_clopper_pearson_against_its_definition(k, n):
    subjects = _subjects(n)
    records = pd.DataFrame({"USUBJID": subjects["USUBJID"], "AVALC": ["Y"] * k + ["N"] * (n - k)})
    got = _values(proportion_exact_ci(records, subjects, variable="USUBJID", by=[], subject_by=[],
                                      responder={"AVALC": "Y"}))
    # Clopper and Pearson (1934): the beta quantiles; closed forms at 0 and n.
    low = 0.0 if k == 0 else stats.beta.ppf(0.025, k, n - k + 1)
    high = 1.0 if k == n else stats.beta.ppf(0.975, k + 1, n - k)
    if k == 0:
        assert high == pytest.approx(1 - 0.025 ** (1 / n))
    if k == n:
        assert low == pytest.approx(0.025 ** (1 / n))
    assert got["n"] == k and got["N"] == n and got["pct"] == pytest.approx(100 * k / n)
    assert got["lcl"] == pytest.approx(100 * low, abs=1e-7)
    assert got["ucl"] == pytest.approx(100 * high, abs=1e-7)


def test_a_published_exact_interval():
    # 8 of 30: 26.7 % (12.3 %, 45.9 %), as exact binomial tables and SAS PROC FREQ give it.
    subjects = _subjects(30)
    records = pd.DataFrame({"USUBJID": subjects["USUBJID"], "AVALC": ["Y"] * 8 + ["N"] * 22})
    got = _values(proportion_exact_ci(records, subjects, variable="USUBJID", by=[], subject_by=[],
                                      responder={"AVALC": "Y"}))
    assert (round(got["lcl"], 1), round(got["ucl"], 1)) == (12.3, 45.9)


# --- descriptive and geometric summaries -------------------------------------------------------------

def test_descriptive_statistics_and_sas_quartiles():
    values = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0]
    records = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(8)], "AVAL": values + []})
    got = _values(summary_continuous(records.assign(AVAL=values), _subjects(8), variable="AVAL", by=[],
                                     subject_by=[]))
    ordered = sorted(values)
    assert got["n"] == 8 and got["mean"] == pytest.approx(statistics.mean(values))
    assert got["sd"] == pytest.approx(statistics.stdev(values))
    assert got["median"] == statistics.median(values)
    # SAS PCTLDEF=5: n·p whole → the mean of the two order statistics around it (n·p = 2 and 6).
    assert got["q1"] == (ordered[1] + ordered[2]) / 2 and got["q3"] == (ordered[5] + ordered[6]) / 2
    assert (got["min"], got["max"]) == (1.0, 9.0)


def test_geometric_mean_and_cv():
    records = pd.DataFrame({"USUBJID": ["a", "b", "c", "d"], "AVAL": [1.0, 10.0, 100.0, np.nan]})
    got = _values(summary_geometric(records, _subjects(4), variable="AVAL", by=[], subject_by=[]))
    # logs 0, ln 10, 2 ln 10: mean ln 10 (geometric mean 10), SD ln 10.
    assert got["n"] == 3 and got["geomean"] == pytest.approx(10.0)
    assert got["geocv"] == pytest.approx(100 * math.sqrt(math.exp(math.log(10) ** 2) - 1))
    assert (got["median"], got["min"], got["max"]) == (10.0, 1.0, 100.0)


# --- Kaplan-Meier -----------------------------------------------------------------------------------

# Miller (1981), the AML maintenance group, as R's survival package ships it (aml, x = Maintained):
# weeks of remission, 0 = censored (+). survfit gives the median 31 weeks.
AML_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
AML_EVENT = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]


def _product_limit(times, events):
    """The Kaplan-Meier estimate and Greenwood's variance sum written out: t → (S, Σ d/(n(n-d)))."""
    out, s, greenwood = {}, 1.0, 0.0
    for t in sorted(set(t for t, e in zip(times, events, strict=True) if e)):
        at_risk = sum(1 for u in times if u >= t)
        died = sum(1 for u, e in zip(times, events, strict=True) if u == t and e)
        s *= 1 - died / at_risk
        greenwood += died / (at_risk * (at_risk - died)) if at_risk > died else math.inf
        out[t] = (s, greenwood)
    return out


def _loglog(s, greenwood):
    """The log-log interval as SAS documents it: exp(-exp(log(-log S) ± z·sqrt(V)/|log S|)), V the
    Greenwood sum (the variance of log S)."""
    width = Z * math.sqrt(greenwood) / abs(math.log(s))
    centre = math.log(-math.log(s))
    return math.exp(-math.exp(centre + width)), math.exp(-math.exp(centre - width))


def test_kaplan_meier_estimate_and_landmark_interval_on_aml():
    table = _product_limit(AML_TIME, AML_EVENT)
    fitted = fit_kaplan_meier(pd.Series(AML_TIME, dtype=float), pd.Series([1 - e for e in AML_EVENT]))
    for t, (s, greenwood) in table.items():
        rate, low, high = survival_at(fitted, t, 0.95)
        assert rate == pytest.approx(s)
        assert (low, high) == pytest.approx(_loglog(s, greenwood))
    # between event times the estimate holds; beyond the last time it is not estimable
    assert survival_at(fitted, 30, 0.95)[0] == pytest.approx(table[23][0])
    assert np.isnan(survival_at(fitted, 200, 0.95)[0])


def test_without_censoring_greenwood_is_binomial():
    # 10 events at 1..10: S(3) = 0.7 and Greenwood's variance of S is S(1-S)/n.
    times = pd.Series(np.arange(1, 11), dtype=float)
    fitted = fit_kaplan_meier(times, pd.Series(np.zeros(10)))
    s, low, high = survival_at(fitted, 3, 0.95)
    se = math.sqrt(0.7 * 0.3 / 10)
    spread = Z * se / (0.7 * abs(math.log(0.7)))
    assert s == pytest.approx(0.7)
    assert (low, high) == pytest.approx((0.7 ** math.exp(spread), 0.7 ** math.exp(-spread)))


def _brookmeyer_crowley(times, events):
    """The median's interval by its definition on the log-log scale: the event times t whose
    |log(-log S(t)) - log(-log 0.5)| is within z standard errors; lower = the first such time,
    upper = the first time after them (missing when none)."""
    table = _product_limit(times, events)
    inside = [t for t, (s, v) in table.items()
              if 0 < s < 1 and abs(math.log(-math.log(s)) - math.log(-math.log(0.5)))
              <= Z * math.sqrt(v) / abs(math.log(s))]
    later = [t for t in table if inside and t > max(inside)]
    return min(inside), (min(later) if later else math.inf)


def test_median_and_its_brookmeyer_crowley_interval():
    records = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(11)], "AVAL": AML_TIME,
                            "CNSR": [1 - e for e in AML_EVENT]})
    got = _values(kaplan_meier(records, _subjects(11), variable="AVAL", by=[], subject_by=[], landmark=30))
    assert got["median"] == 31  # survfit(Surv(time, status) ~ 1, data = aml, subset = x == "Maintained")
    low, high = _brookmeyer_crowley(AML_TIME, AML_EVENT)
    assert got["median_lcl"] == low
    assert (np.isnan(got["median_ucl"]) and high == math.inf) or got["median_ucl"] == high
    assert (got["N"], got["events"], got["censored"]) == (11, 7, 4)
    assert got["rate"] == pytest.approx(100 * _product_limit(AML_TIME, AML_EVENT)[23][0])


def test_median_interval_with_a_finite_upper_limit():
    times = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    events = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1]
    records = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(20)], "AVAL": times,
                            "CNSR": [1 - e for e in events]})
    got = _values(kaplan_meier(records, _subjects(20), variable="AVAL", by=[], subject_by=[]))
    low, high = _brookmeyer_crowley(times, events)
    assert np.isfinite(high)
    assert (got["median_lcl"], got["median_ucl"]) == (low, high)
    assert np.isnan(got["rate"])  # the 365-day landmark is beyond the follow-up


def test_every_method_declares_its_operations_and_displays():
    for method in METHODS.values():
        ids = {op.id for op in method.operations}
        for _, template in method.display:
            named = {part.split("}")[0] for part in template.split("{")[1:]}
            assert named <= ids, method.name
