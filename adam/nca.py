"""Non-compartmental analysis (NCA) of cellular kinetics, following PKNCA's conventions.

docs/clinical.md section 3. The conventions, checked against PKNCA's source (R/auc_integrate.R,
R/cleaners.R, R/PKNCA.options.R, R/aucint.R):

- BLQ handling (PKNCA option ``conc.blq``, default ``first="keep", middle="drop",
  last="keep"``): a BLQ sample up to the first quantifiable one counts as 0, a BLQ sample
  between quantifiable ones is dropped, a BLQ sample after the last quantifiable one is kept
  as 0. A missing concentration that is not BLQ is dropped (``conc.na="drop"``).
- ``"lin up/log down"`` (PKNCA's default ``auc.method``): a segment is integrated with the
  log trapezoid when the concentration falls and the lower one is above 0, else linearly.
- AUClast integrates up to Tlast only. AUCINT (PKNCA ``aucint.last``) integrates every segment
  inside its interval, including the one from Clast at Tlast down to the 0 of the next BLQ
  sample (kept by the "last" rule), which is linear since a log trapezoid cannot reach 0:
  PKNCA's aucint passes the interval's last time as Tlast to ``choose_interval_method``.
- Interpolation inside the data follows the segment's own rule (log when the segment
  declines), so AUC over part of a segment is exactly that part of the segment's area.
- Cmax is the highest observed value and Tmax its first time (``first.tmax=TRUE``);
  Clast/Tlast are the last quantifiable value and its time.

Decisions of this project (not PKNCA's):

- All BLQ: every parameter is not estimable (NaN with a reason); PKNCA would report AUC 0.
- A zero concentration is added at the dose time (0) when no sample was taken then, and
  samples before the dose are left out (Cmax is the highest post-infusion value).
- AUCINT whose interval ends after the last sample is not estimable by default (no
  extrapolation, docs/decisions.md D4): PKNCA's ``aucint.last`` would count a quantifiable
  tail as 0, which understates exposure while cells persist, and a lambda-z extrapolation is
  not credible for multiphasic expansion/contraction kinetics. ``after_last="zero"`` counts the
  curve after the last sample as 0, PKNCA's result.
- An interval end between Tlast and the next (BLQ, 0) sample cuts the linear decline there:
  the curve is one piecewise function, so AUCINT(0, a) + AUCINT(a, b) = AUCINT(0, b). PKNCA
  counts that part as 0 instead (it extrapolates the concentration at the end as 0 after Tlast
  and integrates to it with its log rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

AUC_METHODS = ("lin up/log down", "linear")
AFTER_LAST_CHOICES = ("not estimable", "zero")
BLQ_POSITIONS = ("first", "middle", "last")
DEFAULT_BLQ_RULES = {"first": "keep", "middle": "drop", "last": "keep"}
NCA_PARAMETERS = ("CMAX", "TMAX", "CLST", "TLST", "AUCLST", "AUCINT")

REASON_NO_SAMPLE = "NO SAMPLE"
REASON_ALL_BLQ = "ALL BLQ"
REASON_ONE_POINT = "FEWER THAN 2 POINTS UP TO TLAST"
REASON_STARTS_BEFORE = "INTERVAL STARTS BEFORE FIRST SAMPLE"
REASON_ENDS_AFTER_LAST = "NO SAMPLE AT OR AFTER INTERVAL END"


# ---------------------------------------------------------------------------
# Segment arithmetic shared by the one-profile functions and the vectorised engine
# ---------------------------------------------------------------------------
def _log_segments(c1: np.ndarray, c2: np.ndarray, method: str) -> np.ndarray:
    """Which segments use the log trapezoid (PKNCA choose_interval_method)."""
    if method == "linear":
        return np.zeros(np.shape(c1), dtype=bool)
    return (c2 < c1) & (c2 > 0)


def _interpolate(t1, c1, t2, c2, t, is_log) -> np.ndarray:
    with np.errstate(all="ignore"):
        frac = (t - t1) / (t2 - t1)
        log_conc = np.exp(np.log(c1) + frac * (np.log(c2) - np.log(c1)))
    return np.where(is_log, log_conc, c1 + frac * (c2 - c1))


def _area(t1, c1, t2, c2, is_log) -> np.ndarray:
    width = t2 - t1
    # A log piece whose ends are equal (a vanishing sub-segment) is the linear one.
    use_log = is_log & (c1 != c2)
    with np.errstate(all="ignore"):
        log_area = width * (c1 - c2) / np.log(c1 / c2)
    return np.where(use_log, log_area, width * (c1 + c2) / 2)


def _clipped_area(t1, c1, t2, c2, is_log, start, end) -> np.ndarray:
    """Area of each segment's part that lies inside [start, end]."""
    low = np.maximum(t1, start)
    high = np.minimum(t2, end)
    inside = high > low
    c_low = _interpolate(t1, c1, t2, c2, low, is_log)
    c_high = _interpolate(t1, c1, t2, c2, high, is_log)
    return np.where(inside, _area(low, c_low, high, c_high, is_log), 0.0)


def _clean_profile(time, conc) -> tuple[np.ndarray, np.ndarray]:
    time = np.asarray(time, dtype=float)
    conc = np.asarray(conc, dtype=float)
    if time.shape != conc.shape or time.ndim != 1:
        raise ValueError(f"time and conc must be 1-d arrays of one length, got {time.shape} "
                         f"and {conc.shape}")
    keep = ~np.isnan(conc)
    time, conc = time[keep], conc[keep]
    if np.any(np.isnan(time)) or np.any(np.diff(time) <= 0):
        raise ValueError(f"time must be strictly increasing without NaN, got {time.tolist()}")
    return time, conc


def _check_method(method: str) -> None:
    if method not in AUC_METHODS:
        raise ValueError(f"auc method {method!r} is not one of {AUC_METHODS}")


def compute_auc(time, conc, method: str = "lin up/log down") -> float:
    """AUC from the first time to Tlast of one profile (PKNCA AUClast).

    ``conc`` holds BLQ already resolved: 0 for a BLQ value that is kept, NaN for a value
    that is dropped. Times must increase. NaN when no concentration is above 0, or when
    fewer than two points reach Tlast.
    """
    _check_method(method)
    time, conc = _clean_profile(time, conc)
    quantifiable = np.flatnonzero(conc > 0)
    if quantifiable.size == 0 or quantifiable[-1] == 0:
        return float("nan")
    stop = quantifiable[-1] + 1
    t, c = time[:stop], conc[:stop]
    is_log = _log_segments(c[:-1], c[1:], method)
    return float(_area(t[:-1], c[:-1], t[1:], c[1:], is_log).sum())


def compute_aucint(time, conc, start: float, end: float, method: str = "lin up/log down",
                   after_last: str = "not estimable") -> float:
    """AUC over [start, end] of one profile (PKNCA aucint.last).

    ``conc`` holds BLQ already resolved, as for `compute_auc`. Every segment inside the
    interval counts, the decline from Clast to a following 0 too; the concentration at
    ``start``/``end`` is interpolated with the segment's rule. NaN when the interval starts
    before the first sample, when no concentration is above 0, or, with ``after_last="not
    estimable"``, when it ends after the last sample (else the curve is 0 after it).
    """
    _check_method(method)
    if after_last not in AFTER_LAST_CHOICES:
        raise ValueError(f"after_last {after_last!r} is not one of {AFTER_LAST_CHOICES}")
    if not start < end:
        raise ValueError(f"AUC interval start {start} must be before its end {end}")
    time, conc = _clean_profile(time, conc)
    if not np.any(conc > 0) or start < time[0]:
        return float("nan")
    if after_last == "not estimable" and end > time[-1]:
        return float("nan")
    is_log = _log_segments(conc[:-1], conc[1:], method)
    return float(_clipped_area(time[:-1], conc[:-1], time[1:], conc[1:], is_log, start, end).sum())


# ---------------------------------------------------------------------------
# Vectorised engine over many profiles
# ---------------------------------------------------------------------------
def resolve_blq_rules(blq_rules: Mapping[str, object] | None) -> dict[str, object]:
    """BLQ rules by position (first/middle/last): PKNCA's default for None, else checked.

    A rule is "keep" (as 0), "drop" or a finite number >= 0; ValueError otherwise.
    """
    rules = dict(DEFAULT_BLQ_RULES if blq_rules is None else blq_rules)
    if sorted(rules) != sorted(BLQ_POSITIONS):
        raise ValueError(f"blq_rules must name exactly {BLQ_POSITIONS}, got {sorted(rules)}")
    for position, rule in rules.items():
        is_number = isinstance(rule, int | float) and not isinstance(rule, bool)
        if not (rule in ("keep", "drop") or (is_number and np.isfinite(rule) and rule >= 0)):
            raise ValueError(f"blq_rules[{position!r}] = {rule!r}: expected 'keep', 'drop' "
                             "or a finite number >= 0")
    return rules


def _flag_true(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).astype(bool)
    text = values.astype("string").str.strip().str.upper()
    return text.isin(["Y", "TRUE", "1"]).fillna(False).astype(bool)


def _blq_mask(dataset: pd.DataFrame, conc: pd.Series, blq_var: str | None,
              lloq_var: str | None) -> pd.Series:
    if blq_var is not None:
        return _flag_true(dataset[blq_var])
    if lloq_var is not None:
        lloq = pd.to_numeric(dataset[lloq_var], errors="coerce")
        return ((conc.isna() & lloq.notna()) | (conc < lloq)).fillna(False).astype(bool)
    return conc.isna()


def _apply_blq_rules(obs: pd.DataFrame, rules: Mapping[str, object]) -> pd.DataFrame:
    quant_time = obs["_t"].where(obs["_quant"])
    tfirst = quant_time.groupby(obs["_g"]).transform("min")
    tlast = quant_time.groupby(obs["_g"]).transform("max")
    position = np.select(
        [tfirst.isna() | (obs["_t"] <= tfirst), obs["_t"] >= tlast],
        ["first", "last"],
        default="middle",
    )
    conc = obs["_c"].to_numpy(dtype=float, copy=True)
    drop = np.zeros(len(obs), dtype=bool)
    blq = obs["_blq"].to_numpy()
    for name, rule in rules.items():
        rows = blq & (position == name)
        if rule == "drop":
            drop |= rows
        else:
            conc[rows] = 0.0 if rule == "keep" else float(rule)
    return obs.assign(_c=conc)[~drop]


def _group_last(values: pd.Series, groups: pd.Series, n_groups: int) -> np.ndarray:
    """Value of the last row of each group (frame sorted by group then time)."""
    out = np.full(n_groups, np.nan)
    last = ~groups.duplicated(keep="last")
    out[groups[last].to_numpy()] = values[last].to_numpy(dtype=float)
    return out


def derive_nca_parameters(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    *,
    time_var: str = "AFRLT",
    conc_var: str = "AVAL",
    blq_var: str | None = None,
    lloq_var: str | None = None,
    auc_interval: Sequence[float] = (0, 30),
    auc_method: str = "lin up/log down",
    blq_rules: Mapping[str, object] | None = None,
    zero_at_dose: bool = True,
    after_last: str = "not estimable",
    conc_unit: str | None = None,
    time_unit: str = "day",
) -> pd.DataFrame:
    """One row per profile (``by_vars``) and parameter: CMAX, TMAX, CLST, TLST, AUCLST, AUCINT.

    ``dataset`` is long: one row per sample, ``time_var`` in time units from the dose (0),
    ``conc_var`` NaN or any value for a BLQ sample. BLQ comes from ``blq_var`` (a Y/True
    flag), else from ``lloq_var`` (missing concentration with an LLOQ, or below it), else a
    missing concentration is BLQ. ``blq_rules`` maps first/middle/last to "keep" (as 0),
    "drop" or a number (PKNCA conc.blq). AUCINT covers ``auc_interval`` (INTSTART/INTEND).

    Returned columns: the by-variables, PPTESTCD, PPSTRESN, PPSTRESU, INTSTART, INTEND
    (numbers in ``time_unit``, AUCINT only), PPREASND (why a value is missing) and
    PERSNEFL: "Y" when the last sample of the profile is still quantifiable (persistence
    not ended: Tlast is censored), "N" when a BLQ sample follows Tlast.
    """
    _check_method(auc_method)
    if after_last not in AFTER_LAST_CHOICES:
        raise ValueError(f"after_last {after_last!r} is not one of {AFTER_LAST_CHOICES}")
    interval_start, interval_end = (float(x) for x in auc_interval)
    if not interval_start < interval_end:
        raise ValueError(f"auc_interval {list(auc_interval)} must have start < end")
    rules = resolve_blq_rules(blq_rules)
    keys = list(by_vars)
    missing = [v for v in [*keys, time_var, conc_var, blq_var, lloq_var]
               if v is not None and v not in dataset.columns]
    if missing:
        raise KeyError(f"derive_nca_parameters: columns {missing} not in dataset")

    group_ids = dataset.groupby(keys, sort=True, dropna=False).ngroup()
    profiles = (dataset[keys].assign(_g=group_ids.to_numpy())
                .drop_duplicates("_g").sort_values("_g").reset_index(drop=True))
    n_groups = len(profiles)

    conc = pd.to_numeric(dataset[conc_var], errors="coerce").astype(float)
    blq = _blq_mask(dataset, conc, blq_var, lloq_var)
    samples = pd.DataFrame({
        "_g": group_ids.to_numpy(),
        "_t": pd.to_numeric(dataset[time_var], errors="coerce").astype(float).to_numpy(),
        "_c": conc.where(~blq).to_numpy(),
        "_blq": blq.to_numpy(),
    })
    samples = samples[samples["_t"].notna() & (samples["_t"] >= 0)
                      & (samples["_c"].notna() | samples["_blq"])]
    samples = samples.assign(_quant=samples["_c"] > 0, _obs=True)
    samples = samples.sort_values(["_g", "_t"], kind="mergesort").reset_index(drop=True)
    duplicated = samples.duplicated(["_g", "_t"])
    if duplicated.any():
        first = samples[duplicated].iloc[0]
        where = profiles.loc[int(first["_g"]), keys].to_dict()
        raise ValueError(f"derive_nca_parameters: two samples at {time_var}={first['_t']} "
                         f"for {where}")

    # Persistence looks at the samples as taken, before any BLQ rule drops one.
    persisting = _group_last(samples["_quant"].astype(float), samples["_g"], n_groups)
    n_samples = np.bincount(samples["_g"], minlength=n_groups)

    profile = _apply_blq_rules(samples, rules)
    if zero_at_dose:
        has_zero = np.zeros(n_groups, dtype=bool)
        has_zero[profile.loc[profile["_t"] == 0, "_g"].to_numpy()] = True
        needs = np.flatnonzero(~has_zero & (n_samples > 0))
        zeros = pd.DataFrame({"_g": needs, "_t": 0.0, "_c": 0.0, "_obs": False})
        profile = pd.concat([zeros, profile[["_g", "_t", "_c", "_obs"]]], ignore_index=True)
        profile = profile.sort_values(["_g", "_t"], kind="mergesort").reset_index(drop=True)

    g = profile["_g"].to_numpy()
    t = profile["_t"].to_numpy(dtype=float)
    c = profile["_c"].to_numpy(dtype=float)
    positive = c > 0

    tlast = np.full(n_groups, np.nan)
    np.fmax.at(tlast, g[positive], t[positive])
    clast = np.full(n_groups, np.nan)
    at_tlast = positive & (t == tlast[g])
    clast[g[at_tlast]] = c[at_tlast]

    observed = profile[profile["_obs"].to_numpy()]
    cmax = np.full(n_groups, np.nan)
    tmax = np.full(n_groups, np.nan)
    if len(observed):
        first_max = observed.groupby("_g")["_c"].idxmax()
        cmax[first_max.index.to_numpy()] = observed.loc[first_max, "_c"].to_numpy()
        tmax[first_max.index.to_numpy()] = observed.loc[first_max, "_t"].to_numpy()

    same = g[1:] == g[:-1]
    g2, t1, t2, c1, c2 = g[1:], t[:-1], t[1:], c[:-1], c[1:]
    to_tlast = same & (t2 <= tlast[g2])
    is_log = _log_segments(c1, c2, auc_method)
    auclast = np.bincount(g2[to_tlast], weights=_area(t1, c1, t2, c2, is_log)[to_tlast],
                          minlength=n_groups)
    # AUCINT takes every segment, the decline from Clast to the next (BLQ) 0 included.
    aucint = np.bincount(
        g2[same],
        weights=_clipped_area(t1, c1, t2, c2, is_log, interval_start, interval_end)[same],
        minlength=n_groups,
    )

    points_to_tlast = np.bincount(g[t <= tlast[g]], minlength=n_groups)
    first_time = np.full(n_groups, np.nan)
    np.fmin.at(first_time, g, t)
    last_time = _group_last(profile["_t"], profile["_g"], n_groups)

    estimable = ~np.isnan(tlast)
    profile_reason = np.where(n_samples == 0, REASON_NO_SAMPLE, REASON_ALL_BLQ)
    auclast_reason = np.where(points_to_tlast < 2, REASON_ONE_POINT, "")
    ends_after_last = (after_last == "not estimable") & (interval_end > last_time)
    aucint_reason = np.select(
        [interval_start < first_time, ends_after_last], [REASON_STARTS_BEFORE, REASON_ENDS_AFTER_LAST], "")

    auc_unit = None if conc_unit is None else f"{time_unit}*{conc_unit}"
    columns = {
        "CMAX": (cmax, conc_unit, ""),
        "TMAX": (tmax, time_unit, ""),
        "CLST": (clast, conc_unit, ""),
        "TLST": (tlast, time_unit, ""),
        "AUCLST": (auclast, auc_unit, auclast_reason),
        "AUCINT": (aucint, auc_unit, aucint_reason),
    }
    persistence = np.where(persisting == 1, "Y", "N")
    blocks = []
    for testcd, (values, unit, reason) in columns.items():
        reason = np.where(estimable, reason, profile_reason)
        is_interval = testcd == "AUCINT"
        blocks.append(profiles.assign(
            PPTESTCD=testcd,
            PPSTRESN=np.where(reason == "", values, np.nan),
            PPSTRESU=unit,
            INTSTART=interval_start if is_interval else np.nan,
            INTEND=interval_end if is_interval else np.nan,
            PPREASND=reason,
            PERSNEFL=np.where(estimable, persistence, ""),
            _order=NCA_PARAMETERS.index(testcd),
        ))
    result = pd.concat(blocks, ignore_index=True)
    result = result.sort_values(["_g", "_order"], kind="mergesort")
    result["PPREASND"] = result["PPREASND"].replace("", pd.NA)
    result["PERSNEFL"] = result["PERSNEFL"].replace("", pd.NA)
    return result.drop(columns=["_g", "_order"]).reset_index(drop=True)
