"""Shared derivations of Basic Data Structure (BDS) datasets, in admiral's grammar.

Baseline flag, BASE, CHG, PCHG, analysis visit windows, the analysis record flag and
summary parameters (peak, ratio to baseline). Each function returns a new frame; the
by-variables name the analysis groups (usually STUDYID, USUBJID, PARAMCD).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from adam.flags import derive_var_extreme_flag, select_extreme_records
from adam.sources import Condition, compute_condition

SUBJECT_KEYS = ("STUDYID", "USUBJID")
PARAM_KEYS = ("STUDYID", "USUBJID", "PARAMCD")
WINDOW_COLUMNS = ("AVISIT", "AVISITN", "AWTARGET", "AWLO", "AWHI")


def _as_datetime(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[ns]")


def compute_on_or_before(
    dataset: pd.DataFrame,
    *,
    reference_date: str = "TRTSDT",
    date_var: str = "ADT",
    reference_datetime: str | None = None,
    datetime_var: str | None = None,
) -> pd.Series:
    """True for records on or before the reference (e.g. the infusion).

    Where both datetimes are known (``datetime_var``, ``reference_datetime``) they decide,
    so a day-0 sample taken before the infusion counts and one taken after does not;
    otherwise the dates are compared, and a record on the reference day counts as on or
    before it (a sample without time on the infusion day is taken to be pre-infusion).
    """
    on_date = _as_datetime(dataset[date_var]).dt.normalize() <= _as_datetime(
        dataset[reference_date]).dt.normalize()
    result = on_date.fillna(False).astype(bool)
    if reference_datetime is not None and datetime_var is not None:
        moment = _as_datetime(dataset[datetime_var])
        reference = _as_datetime(dataset[reference_datetime])
        both = moment.notna() & reference.notna()
        result = result.mask(both, moment <= reference)
    return result.astype(bool)


def derive_var_ablfl(
    dataset: pd.DataFrame,
    by_vars: Sequence[str] = PARAM_KEYS,
    order: Sequence[str] = ("ADT",),
    new_var: str = "ABLFL",
    *,
    filter: Condition = None,
    value_var: str = "AVAL",
    reference_date: str = "TRTSDT",
    date_var: str = "ADT",
    reference_datetime: str | None = None,
    datetime_var: str | None = None,
) -> pd.DataFrame:
    """Baseline flag: the last record by ``order`` with a non-missing ``value_var`` on or before
    the reference (see `compute_on_or_before`), per ``by_vars``, among records meeting ``filter``.
    """
    eligible = (
        compute_condition(dataset, filter)
        & dataset[value_var].notna()
        & compute_on_or_before(
            dataset,
            reference_date=reference_date,
            date_var=date_var,
            reference_datetime=reference_datetime,
            datetime_var=datetime_var,
        )
    )
    return derive_var_extreme_flag(
        dataset, by_vars, order, new_var, mode="last", filter=lambda _: eligible
    )


def derive_var_base(
    dataset: pd.DataFrame,
    by_vars: Sequence[str] = PARAM_KEYS,
    *,
    source_var: str = "AVAL",
    new_var: str = "BASE",
    filter: Condition = "ABLFL == 'Y'",
) -> pd.DataFrame:
    """Copy ``source_var`` of the baseline record (``filter``) to every record of its group.

    More than one baseline record in a group is an error (admiral derive_var_base).
    """
    by = list(by_vars)
    baseline = dataset.loc[compute_condition(dataset, filter), [*by, source_var]]
    twice = baseline.duplicated(by, keep=False)
    if twice.any():
        keys = baseline.loc[twice, by].drop_duplicates().head(3).to_dict("records")
        raise ValueError(f"derive_var_base: more than one baseline record for {keys}")
    merged = dataset[by].merge(baseline.rename(columns={source_var: new_var}), on=by,
                               how="left", validate="many_to_one")
    return dataset.assign(**{new_var: merged[new_var].to_numpy()})


def derive_var_chg(
    dataset: pd.DataFrame,
    *,
    new_var: str = "CHG",
    filter: Condition = None,
) -> pd.DataFrame:
    """CHG = AVAL − BASE for records meeting ``filter`` (e.g. post-baseline), else missing."""
    change = (dataset["AVAL"] - dataset["BASE"]).astype(float)
    return dataset.assign(**{new_var: change.where(compute_condition(dataset, filter))})


def derive_var_pchg(
    dataset: pd.DataFrame,
    *,
    new_var: str = "PCHG",
    filter: Condition = None,
) -> pd.DataFrame:
    """PCHG = (AVAL − BASE) / |BASE| × 100; missing when BASE is 0 or missing (admiral)."""
    base = dataset["BASE"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = (dataset["AVAL"].astype(float) - base) / base.abs() * 100
    keep = compute_condition(dataset, filter) & (base != 0)
    return dataset.assign(**{new_var: percent.where(keep)})


def compute_window_table(windows: Sequence[Mapping[str, object]] | pd.DataFrame) -> pd.DataFrame:
    """Check a window table: AVISIT, AVISITN, AWTARGET, AWLO, AWHI (inclusive, None = open).

    Windows must not overlap, so every day falls in at most one window.
    """
    table = pd.DataFrame(windows).copy()
    missing = [c for c in WINDOW_COLUMNS if c not in table]
    if missing:
        raise ValueError(f"window table lacks columns {missing}")
    low = pd.to_numeric(table["AWLO"], errors="coerce").fillna(-np.inf).astype(float)
    high = pd.to_numeric(table["AWHI"], errors="coerce").fillna(np.inf).astype(float)
    target = pd.to_numeric(table["AWTARGET"], errors="coerce").astype(float)
    bad = (low > high) | (target < low) | (target > high)
    if bad.any():
        raise ValueError(f"window {table.loc[bad, 'AVISIT'].iloc[0]!r}: need AWLO <= AWTARGET <= AWHI")
    ordered = pd.DataFrame({"low": low, "high": high, "visit": table["AVISIT"]}).sort_values("low")
    overlap = ordered["low"].to_numpy()[1:] <= ordered["high"].to_numpy()[:-1]
    if overlap.any():
        pair = ordered["visit"].to_numpy()[np.flatnonzero(overlap)[0]:][:2]
        raise ValueError(f"analysis windows {list(pair)} overlap")
    return table.assign(_low=low, _high=high, AWTARGET=target)


def derive_vars_avisit(
    dataset: pd.DataFrame,
    windows: Sequence[Mapping[str, object]] | pd.DataFrame,
    *,
    day_var: str = "ADY",
    unit: str = "DAYS",
    filter: Condition = None,
) -> pd.DataFrame:
    """Analysis visit from a window table: AVISIT, AVISITN, AWTARGET, AWLO, AWHI, AWTDIFF, AWU.

    A record whose ``day_var`` lies in [AWLO, AWHI] gets that window (bounds inclusive, a
    missing bound open); records outside every window, or not meeting ``filter``, get none.
    AWTDIFF = |day − AWTARGET|. Window days are in the units of ``day_var`` (ADY has no
    day 0: protocol day 28 after the infusion is ADY 29).
    """
    table = compute_window_table(windows)
    day = pd.to_numeric(dataset[day_var], errors="coerce").astype(float).to_numpy()
    starts = table.sort_values("_low")
    position = np.searchsorted(starts["_low"].to_numpy(), day, side="right") - 1
    inside = (position >= 0) & ~np.isnan(day)
    position = np.where(inside, position, 0)
    chosen = starts.iloc[position].reset_index(drop=True)
    inside &= day <= chosen["_high"].to_numpy()
    inside &= compute_condition(dataset, filter).to_numpy()
    index = dataset.index
    values = {
        name: pd.to_numeric(chosen[name], errors="coerce").astype(float).where(inside).set_axis(index)
        for name in ("AVISITN", "AWTARGET", "AWLO", "AWHI")
    }
    values["AVISIT"] = chosen["AVISIT"].astype("string").where(inside).set_axis(index)
    distance = np.abs(day - chosen["AWTARGET"].to_numpy(dtype=float))
    values["AWTDIFF"] = pd.Series(np.where(inside, distance, np.nan), index=index)
    values["AWU"] = pd.Series(unit, index=index, dtype="string").where(inside)
    result = dataset.assign(**values)
    return result


def derive_var_anl01fl(
    dataset: pd.DataFrame,
    by_vars: Sequence[str] = (*PARAM_KEYS, "AVISITN"),
    order: Sequence[str] = ("AWTDIFF", "-ADY"),
    new_var: str = "ANL01FL",
    *,
    filter: Condition = "AVAL.notna() and AVISITN.notna()",
) -> pd.DataFrame:
    """Flag one record per analysis visit: the first by ``order`` among records meeting ``filter``.

    The default order picks the record closest to the window target, and of two equally
    close records the later one (more recent information). Records not meeting
    ``filter`` get no flag.
    """
    return derive_var_extreme_flag(dataset, by_vars, order, new_var, mode="first", filter=filter)


def derive_param_extreme_record(
    dataset: pd.DataFrame,
    by_vars: Sequence[str] = PARAM_KEYS,
    order: Sequence[str] = ("-AVAL", "ADT"),
    *,
    filter: Condition = "AVAL.notna()",
    paramcd: Mapping[str, str],
    set_values_to: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """New parameter rows: the first record by ``order`` per ``by_vars`` among records
    meeting ``filter`` (default order: highest AVAL, earliest date, i.e. the peak).

    ``paramcd`` maps each source PARAMCD to the new one; groups whose PARAMCD it does not
    name give no row. Returns only the new rows (concatenate them to the dataset).
    """
    chosen = select_extreme_records(dataset, by_vars, order, mode="first", filter=filter)
    chosen = chosen[chosen["PARAMCD"].isin(list(paramcd))]
    new = chosen.assign(PARAMCD=chosen["PARAMCD"].map(dict(paramcd)))
    for name, value in (set_values_to or {}).items():
        new[name] = value
    return new.reset_index(drop=True)


def compute_ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator; missing when the denominator is 0 or missing."""
    numerator = numerator.astype(float)
    denominator = denominator.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    return ratio.where(denominator != 0)


def derive_var_ontrtfl(
    dataset: pd.DataFrame,
    *,
    start_date: str = "ADT",
    ref_start_date: str = "TRTSDT",
    ref_end_date: str | None = "TRTEDT",
    ref_end_window: int = 0,
    filter_pre_timepoint: Condition = None,
    new_var: str = "ONTRTFL",
) -> pd.DataFrame:
    """On-treatment flag (admiral derive_var_ontrtfl): Y when ``start_date`` is on or after
    ``ref_start_date`` and on or before ``ref_end_date`` + ``ref_end_window`` days (no upper
    limit when ``ref_end_date`` is None). A record on the start date that meets
    ``filter_pre_timepoint`` (a pre-dose time point) is not on treatment. Records without a
    date get no flag."""
    date = _as_datetime(dataset[start_date]).dt.normalize()
    start = _as_datetime(dataset[ref_start_date]).dt.normalize()
    on = date >= start
    if ref_end_date is not None:
        end = _as_datetime(dataset[ref_end_date]).dt.normalize() + pd.Timedelta(days=ref_end_window)
        on &= date <= end
    if filter_pre_timepoint is not None:
        on &= ~((date == start) & compute_condition(dataset, filter_pre_timepoint))
    flag = pd.Series(pd.NA, index=dataset.index, dtype="string")
    return dataset.assign(**{new_var: flag.mask(on.fillna(False).astype(bool), "Y")})


# The statistics a summary record may take (admiral derive_summary_records' set_values_to), by name.
SUMMARY_STATISTICS = ("mean", "median", "min", "max")


def derive_summary_records(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    *,
    filter: Condition = None,
    statistic: str = "mean",
    dtype: str = "AVERAGE",
    source_var: str = "AVAL",
) -> pd.DataFrame:
    """New records summarising ``source_var`` per ``by_vars`` (e.g. the mean of a visit's time
    points) among records meeting ``filter``, with DTYPE = ``dtype`` (admiral
    derive_summary_records). A missing by-value forms its own group. Returns only the new rows,
    holding the by-variables, ``source_var`` and DTYPE."""
    if statistic not in SUMMARY_STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(SUMMARY_STATISTICS)}, got {statistic!r}")
    by = list(by_vars)
    rows = dataset[compute_condition(dataset, filter)]
    new = rows.groupby(by, dropna=False, sort=True)[source_var].agg(statistic).reset_index()
    return new.assign(DTYPE=pd.Series(dtype, index=new.index, dtype="string"))


def derive_extreme_records(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    order: Sequence[str],
    *,
    mode: str = "last",
    filter: Condition = None,
    set_values_to: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """New records: a copy of the first (or last) record by ``order`` per ``by_vars`` among records
    meeting ``filter``, with ``set_values_to`` (admiral derive_extreme_records; e.g. the last
    on-treatment value as an "End of Treatment" visit). Returns only the new rows."""
    chosen = select_extreme_records(dataset, by_vars, order, mode=mode, filter=filter)
    return chosen.assign(**dict(set_values_to or {})).reset_index(drop=True)
