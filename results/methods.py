"""The analysis methods an analysis plan may name, each registered once (ARS AnalysisMethod).

A method is a pure function from the analysed records and the analysis set's subjects to result
rows: one row per group and operation (statistic), columns `*by`, `operation`, `value`. The
statistics come from maintained libraries: scipy (Clopper-Pearson interval, geometric mean and
standard deviation), statsmodels (Kaplan-Meier, Greenwood's variance, the Brookmeyer-Crowley
interval of the median), numpy (quantiles as SAS computes them by default, PCTLDEF=5).

Every method receives:

- `records`: the analysis dataset's records of the analysis set's subjects (and data subset), with
  the subject-level grouping variables joined on;
- `subjects`: the analysis set (one row per subject), the denominators;
- `variable`: the analysis variable; `by`: the grouping variables in the analysis' order;
  `subject_by`: those of them that group subjects (found in `subjects`);
- its parameters from the plan, by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

SUBJECT = "USUBJID"
# SAS PROC UNIVARIATE's default quantile definition (PCTLDEF=5) is Hyndman and Fan's type 2.
QUANTILE_METHOD = "averaged_inverted_cdf"


@dataclass(frozen=True)
class Operation:
    """One statistic of a method (ARS Operation); `decimals` None takes the analysis' `decimals`."""

    id: str
    name: str
    label: str
    decimals: int | None = None


@dataclass(frozen=True)
class Method:
    name: str
    label: str
    description: str
    operations: tuple[Operation, ...]
    compute: Callable[..., pd.DataFrame]
    # How a table shows it: (column header, template over operation ids). Headers may name
    # parameters: "{landmark}-day rate".
    display: tuple[tuple[str, str], ...]

    def operation(self, id: str) -> Operation:
        return next(o for o in self.operations if o.id == id)

    def parameters(self) -> dict[str, Any]:
        """The plan parameters the method takes, with their defaults."""
        fixed = {"records", "subjects", "variable", "by", "subject_by"}
        return {name: p.default for name, p in inspect.signature(self.compute).parameters.items()
                if name not in fixed}


# --- helpers ----------------------------------------------------------------------------------

def _long(frame: pd.DataFrame, by: Sequence[str], operations: Sequence[str]) -> pd.DataFrame:
    """Wide statistics (one column per operation) to result rows."""
    wide = frame.reset_index() if by else frame.reset_index(drop=True)
    rows = wide.melt(id_vars=list(by), value_vars=list(operations), var_name="operation", value_name="value")
    return rows.astype({"value": float})


def _grouped(frame: pd.DataFrame, by: Sequence[str]):
    return frame.groupby(list(by), sort=True, dropna=False) if by else frame.groupby(lambda _: 0)


def _denominators(subjects: pd.DataFrame, subject_by: Sequence[str]) -> pd.DataFrame:
    counts = _grouped(subjects, subject_by)[SUBJECT].nunique().rename("N")
    return counts.reset_index() if subject_by else pd.DataFrame({"N": [counts.iloc[0] if len(counts) else 0]})


def _with_denominator(counts: pd.DataFrame, subjects: pd.DataFrame,
                      subject_by: Sequence[str]) -> pd.DataFrame:
    denominators = _denominators(subjects, subject_by)
    if subject_by:
        return counts.merge(denominators, on=list(subject_by), how="left")
    return counts.assign(N=float(denominators["N"].iloc[0]))


def _percent(n: pd.Series, total: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (100 * n.astype(float) / total.astype(float)).where(total > 0)


def _matches(frame: pd.DataFrame, where: Mapping[str, Any]) -> pd.Series:
    """Rows whose every `where` variable holds the value (or one of the values listed)."""
    mask = pd.Series(True, index=frame.index)
    for variable, wanted in where.items():
        values = wanted if isinstance(wanted, list | tuple) else [wanted]
        column = frame[variable]
        if pd.api.types.is_numeric_dtype(column):
            mask &= column.isin([float(v) for v in values])
        else:
            mask &= column.astype("string").isin([str(v) for v in values]).fillna(False)
    return mask


# --- methods ----------------------------------------------------------------------------------

def count_subjects(records: pd.DataFrame, subjects: pd.DataFrame, *, variable: str, by: Sequence[str],
                   subject_by: Sequence[str]) -> pd.DataFrame:
    """Subjects of the analysis set (the N of every table), per subject grouping."""
    counts = _grouped(subjects, subject_by)[variable].nunique().rename("N").to_frame()
    return _long(counts, subject_by, ["N"])


def incidence(records: pd.DataFrame, subjects: pd.DataFrame, *, variable: str, by: Sequence[str],
              subject_by: Sequence[str], categories: Sequence[str] | None = None,
              missing: str | None = None, worst_by: str | None = None) -> pd.DataFrame:
    """Subjects with at least one record, per group, and their percentage of the analysis set.

    `categories` lists every value of the last grouping (a category with no subject shows 0, in
    this order); `missing` names the category of the subjects of the set without a record;
    `worst_by` counts each subject once per group of the other groupings, at the record with the
    highest `worst_by` (a subject's worst grade of an event).
    """
    data = records
    if worst_by is not None:
        data = data.sort_values(worst_by, ascending=False, kind="stable").drop_duplicates(
            [variable, *[b for b in by[:-1]]], keep="first")
    if missing is not None:
        absent = subjects[~subjects[SUBJECT].isin(data[SUBJECT])]
        data = pd.concat([data, absent.assign(**{by[-1]: missing})], ignore_index=True)
    counts = _grouped(data, by)[variable].nunique().rename("n").to_frame()
    if by and set(by) <= set(subject_by):
        # Grouped by subject groupings alone: a group without a subject with a record shows 0.
        groups = subjects[list(by)].drop_duplicates()
        counts = counts.reindex(pd.MultiIndex.from_frame(groups) if len(by) > 1 else
                                pd.Index(groups[by[0]], name=by[0]), fill_value=0).sort_index()
    if categories is not None:
        counts = _all_categories(counts, by, [*categories, *([missing] if missing else [])], data)
    counts = _with_denominator(counts.reset_index() if by else counts.reset_index(drop=True),
                               subjects, subject_by)
    counts["pct"] = _percent(counts["n"], counts["N"])
    return _long(counts.set_index(list(by)) if by else counts, by, ["n", "pct"])


def _all_categories(counts: pd.DataFrame, by: Sequence[str], categories: Sequence[str],
                    data: pd.DataFrame) -> pd.DataFrame:
    """`counts` with a zero row for every listed category missing from a group (categories last)."""
    others = list(by[:-1])
    groups = data[others].drop_duplicates() if others else pd.DataFrame(index=[0])
    full = groups.merge(pd.DataFrame({by[-1]: list(categories)}), how="cross")
    full = full.set_index(list(by)).join(counts, how="left").fillna({"n": 0})
    extra = counts[~counts.index.isin(full.index)]
    return pd.concat([full, extra])


def proportion_exact_ci(records: pd.DataFrame, subjects: pd.DataFrame, *, variable: str,
                        by: Sequence[str], subject_by: Sequence[str], responder: Mapping[str, Any],
                        confidence: float = 0.95) -> pd.DataFrame:
    """Subjects meeting `responder` among the analysis set (a subject without a record counts as
    not meeting it), the percentage and its exact Clopper-Pearson interval (scipy binomtest)."""
    met = records[_matches(records, responder)]
    counts = _grouped(met, by)[variable].nunique().rename("n")
    counts = _with_denominator(counts.reset_index() if by else counts.to_frame().reset_index(drop=True),
                               subjects, subject_by)
    if not by:
        counts = counts.reindex([0]).assign(n=lambda d: d["n"].fillna(0), N=float(len(subjects)))
    counts["pct"] = _percent(counts["n"], counts["N"])
    bounds = [_clopper_pearson(int(n), int(total), confidence) for n, total in zip(counts["n"], counts["N"],
                                                                                  strict=True)]
    counts["lcl"] = [100 * low for low, _ in bounds]
    counts["ucl"] = [100 * high for _, high in bounds]
    return _long(counts.set_index(list(by)) if by else counts, by, ["n", "N", "pct", "lcl", "ucl"])


def _clopper_pearson(k: int, n: int, confidence: float) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return float(interval.low), float(interval.high)


def summary_continuous(records: pd.DataFrame, subjects: pd.DataFrame, *, variable: str, by: Sequence[str],
                       subject_by: Sequence[str]) -> pd.DataFrame:
    """n, mean, standard deviation, median, quartiles (SAS's default definition), minimum, maximum
    of the non-missing values."""
    def summary(values: pd.Series) -> pd.Series:
        x = values.dropna().to_numpy(dtype=float)
        if not len(x):
            return pd.Series({"n": 0.0} | dict.fromkeys(("mean", "sd", "median", "q1", "q3", "min", "max"),
                                                          np.nan))
        q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75], method=QUANTILE_METHOD)
        sd = np.std(x, ddof=1) if len(x) > 1 else np.nan
        return pd.Series({"n": float(len(x)), "mean": x.mean(), "sd": sd, "median": median, "q1": q1,
                          "q3": q3, "min": x.min(), "max": x.max()})

    table = _grouped(records, by)[variable].apply(summary).unstack()
    return _long(table, by, ["n", "mean", "sd", "median", "q1", "q3", "min", "max"])


def summary_geometric(records: pd.DataFrame, subjects: pd.DataFrame, *, variable: str, by: Sequence[str],
                      subject_by: Sequence[str]) -> pd.DataFrame:
    """n, geometric mean and geometric CV % (over the positive values: 100 x sqrt(exp(s^2) - 1),
    s the standard deviation of the logarithms), median, minimum, maximum."""
    def summary(values: pd.Series) -> pd.Series:
        x = values.dropna().to_numpy(dtype=float)
        positive = x[x > 0]
        geomean = stats.gmean(positive) if len(positive) else np.nan
        geocv = np.sqrt(np.expm1(np.log(stats.gstd(positive)) ** 2)) * 100 if len(positive) > 1 else np.nan
        return pd.Series({"n": float(len(x)), "geomean": geomean, "geocv": geocv,
                          "median": np.median(x) if len(x) else np.nan,
                          "min": x.min() if len(x) else np.nan, "max": x.max() if len(x) else np.nan})

    table = _grouped(records, by)[variable].apply(summary).unstack()
    return _long(table, by, ["n", "geomean", "geocv", "median", "min", "max"])


def kaplan_meier(records: pd.DataFrame, subjects: pd.DataFrame, *, variable: str, by: Sequence[str],
                 subject_by: Sequence[str], censor: str = "CNSR", landmark: float = 365,
                 confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier (statsmodels SurvfuncRight) of time `variable`, an event where `censor` is 0:
    subjects, events, censored, the median with its Brookmeyer-Crowley interval on the log-log
    scale (statsmodels quantile_ci 'cloglog', as SAS PROC LIFETEST's default CONFTYPE=LOGLOG), and
    the event-free rate in percent at `landmark` with its log-log interval (Greenwood's variance
    from statsmodels). A median or bound not reached is missing."""
    def summary(group: pd.DataFrame) -> pd.Series:
        fitted = fit_kaplan_meier(group[variable], group[censor])
        rate, low, high = survival_at(fitted, landmark, confidence)
        # statsmodels takes log(-log S) of every estimate, S = 1 and 0 included (not in the interval)
        with np.errstate(divide="ignore", invalid="ignore"):
            lower, upper = fitted.quantile_ci(0.5, alpha=1 - confidence, method="cloglog")
        events = float((group[censor] == 0).sum())
        return pd.Series({"N": float(len(group)), "events": events, "censored": float(len(group)) - events,
                          "median": fitted.quantile(0.5), "median_lcl": lower, "median_ucl": upper,
                          "rate": 100 * rate, "rate_lcl": 100 * low, "rate_ucl": 100 * high})

    data = records.dropna(subset=[variable, censor])
    table = _grouped(data, by)[[variable, censor]].apply(summary)
    table = table.where(np.isfinite(table.astype(float)))
    return _long(table, by, ["N", "events", "censored", "median", "median_lcl", "median_ucl",
                             "rate", "rate_lcl", "rate_ucl"])


def fit_kaplan_meier(time: pd.Series, censor: pd.Series) -> SurvfuncRight:
    """statsmodels' Kaplan-Meier estimate of times with a censoring flag (0 = event)."""
    return SurvfuncRight(time.to_numpy(dtype=float), (censor.to_numpy(dtype=float) == 0).astype(float))


def survival_at(fitted: SurvfuncRight, t: float, confidence: float) -> tuple[float, float, float]:
    """S(t) and its log-log interval: S^exp(±z·se/(S·log S)) (Kalbfleisch and Prentice; SAS
    CONFTYPE=LOGLOG), se from Greenwood's formula as statsmodels computes it. Missing beyond the
    last time observed, and the interval where S is 0 or 1."""
    last = float(np.max(fitted.time))
    if t > last:
        return np.nan, np.nan, np.nan
    index = np.searchsorted(fitted.surv_times, t, side="right") - 1
    if index < 0:
        return 1.0, np.nan, np.nan
    s, se = float(fitted.surv_prob[index]), float(fitted.surv_prob_se[index])
    if s <= 0 or s >= 1:
        return s, np.nan, np.nan
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    spread = z * se / (s * np.log(s))
    return s, s ** np.exp(-spread), s ** np.exp(spread)


# --- the registry -------------------------------------------------------------------------------

def _ops(*specs: tuple[str, str, str, int | None]) -> tuple[Operation, ...]:
    return tuple(Operation(*spec) for spec in specs)


COUNT, PERCENT = 0, 1
METHODS: dict[str, Method] = {m.name: m for m in (
    Method("count_subjects", "Subjects in the analysis set",
           "Number of subjects of the analysis set, per subject grouping.",
           _ops(("N", "Number of subjects", "N", COUNT)), count_subjects, (("N", "{N}"),)),
    Method("incidence", "Subject incidence",
           "Number of subjects with at least one record and its percentage of the analysis set's "
           "subjects; with worst_by, each subject counted once at their highest value.",
           _ops(("n", "Number of subjects", "n", COUNT), ("pct", "Percent of subjects", "%", PERCENT)),
           incidence, (("n (%)", "{n} ({pct})"),)),
    Method("proportion_exact_ci", "Proportion with exact 95 % CI",
           "Subjects meeting the response condition over the analysis set's subjects, in percent, with "
           "the Clopper-Pearson exact confidence interval (scipy.stats.binomtest).",
           _ops(("n", "Number of responders", "n", COUNT), ("N", "Number of subjects", "N", COUNT),
                ("pct", "Percent", "%", PERCENT), ("lcl", "Lower confidence limit", "LCL", PERCENT),
                ("ucl", "Upper confidence limit", "UCL", PERCENT)),
           proportion_exact_ci, (("n/N", "{n}/{N}"), ("% (95% CI)", "{pct} ({lcl}, {ucl})"))),
    Method("summary_continuous", "Descriptive statistics",
           "n, mean, standard deviation, median, first and third quartiles (SAS PCTLDEF=5), minimum and "
           "maximum of the non-missing values.",
           _ops(("n", "n", "n", COUNT), ("mean", "Mean", "Mean", None),
                ("sd", "Standard deviation", "SD", None), ("median", "Median", "Median", None),
                ("q1", "First quartile", "Q1", None),
                ("q3", "Third quartile", "Q3", None), ("min", "Minimum", "Min", None),
                ("max", "Maximum", "Max", None)),
           summary_continuous,
           (("n", "{n}"), ("Mean (SD)", "{mean} ({sd})"), ("Median", "{median}"), ("Q1, Q3", "{q1}, {q3}"),
            ("Min, Max", "{min}, {max}"))),
    Method("summary_geometric", "Geometric summary",
           "n, geometric mean and geometric coefficient of variation (%) over the positive values, "
           "median, minimum and maximum (scipy.stats.gmean, gstd).",
           _ops(("n", "n", "n", COUNT), ("geomean", "Geometric mean", "Geo. mean", None),
                ("geocv", "Geometric CV %", "Geo. CV%", PERCENT), ("median", "Median", "Median", None),
                ("min", "Minimum", "Min", None), ("max", "Maximum", "Max", None)),
           summary_geometric,
           (("n", "{n}"), ("Geo. mean (CV%)", "{geomean} ({geocv})"), ("Median", "{median}"),
            ("Min, Max", "{min}, {max}"))),
    Method("kaplan_meier", "Kaplan-Meier estimates",
           "Kaplan-Meier estimate (statsmodels SurvfuncRight): median time with its Brookmeyer-Crowley 95 % "
           "CI on the log-log scale, and the event-free rate at the landmark with its log-log 95 % CI "
           "(Greenwood variance), as SAS PROC LIFETEST reports by default (CONFTYPE=LOGLOG).",
           _ops(("N", "Number of subjects", "N", COUNT), ("events", "Number of events", "Events", COUNT),
                ("censored", "Number censored", "Censored", COUNT), ("median", "Median time", "Median", None),
                ("median_lcl", "Median lower confidence limit", "LCL", None),
                ("median_ucl", "Median upper confidence limit", "UCL", None),
                ("rate", "Event-free rate at the landmark (%)", "Rate", PERCENT),
                ("rate_lcl", "Rate lower confidence limit (%)", "LCL", PERCENT),
                ("rate_ucl", "Rate upper confidence limit (%)", "UCL", PERCENT)),
           kaplan_meier,
           (("N", "{N}"), ("Events", "{events}"), ("Censored", "{censored}"),
            ("Median (95% CI)", "{median} ({median_lcl}, {median_ucl})"),
            ("{landmark}-day rate, % (95% CI)", "{rate} ({rate_lcl}, {rate_ucl})"))),
)}
