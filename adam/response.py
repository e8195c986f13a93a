"""RECIST 1.1 overall response per time point and best overall response (BOR, confirmed BOR).

Follows admiralonco: the assessments to use are selected first (on or after the reference
date, within the window, before new anticancer therapy, up to the first PD), then a list of
`Event` rules (adam.sources) is evaluated in order and the first rule a subject meets wins;
its first qualifying assessment gives ADT. Everything is vectorised: confirmation is a
self-join of each subject's assessments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from adam.sources import (
    Condition,
    Confirmation,
    Event,
    bor_events,
    compute_condition,
    confirmed_bor_events,
)

SUBJECT_KEYS = ("STUDYID", "USUBJID")

# admiralonco aval_resp(): CR 1 ... NE 6, MISSING 7.
RESPONSE_AVAL = {"CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6, "MISSING": 7}


def compute_aval_resp(avalc: pd.Series) -> pd.Series:
    """Numeric code of a RECIST response (AVAL from AVALC); other values give NaN."""
    return avalc.map(RESPONSE_AVAL).astype("float64")


def compute_recist_overall(target: pd.Series, nontarget: pd.Series, new: pd.Series) -> pd.Series:
    """Overall response at one time point from its three components (RECIST 1.1 tables 1-2).

    `target`: CR, PR, SD, PD, NE, or missing when the subject has no target lesions.
    `nontarget`: CR, NON-CR/NON-PD, PD, NE, or missing when there are no non-target lesions.
    `new`: Y when an unequivocal new lesion is seen, N when none; anything else (missing,
    NE) is "not known", which blocks CR but is not progression.
    """
    tgt = target.astype("string").str.strip().str.upper().replace("", pd.NA)
    ntg = nontarget.astype("string").str.strip().str.upper().replace("", pd.NA)
    nwl = new.astype("string").str.strip().str.upper()
    no_new = (nwl == "N").fillna(False)
    tgt_is = {v: (tgt == v).fillna(False) for v in ("CR", "PR", "SD", "PD", "NE")}
    ntg_is = {v: (ntg == v).fillna(False) for v in ("CR", "NON-CR/NON-PD", "PD")}
    no_target, no_nontarget = tgt.isna(), ntg.isna()
    choices = [
        ("PD", tgt_is["PD"] | ntg_is["PD"] | (nwl == "Y").fillna(False)),
        ("NE", no_target & no_nontarget),
        ("NE", tgt_is["NE"]),
        ("CR", no_target & ntg_is["CR"] & no_new),
        ("NON-CR/NON-PD", no_target & (ntg_is["NON-CR/NON-PD"] | ntg_is["CR"])),
        ("CR", tgt_is["CR"] & (ntg_is["CR"] | no_nontarget) & no_new),
        ("PR", tgt_is["CR"] | tgt_is["PR"]),
        ("SD", tgt_is["SD"]),
    ]
    result = np.select([c for _, c in choices], [v for v, _ in choices], default="NE")
    return pd.Series(result, index=target.index, dtype="string")


def select_assessments(
    dataset: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    *,
    reference_date: str = "TRTSDT",
    filter: Condition = "PARAMCD == 'OVR' and ANL01FL == 'Y'",
    end_window_days: int | None = None,
    nact_date: str | None = None,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """Assessments that count for best response, sorted by subject and ADT.

    Keeps records meeting `filter` dated on or after the reference date, at most
    `end_window_days` after it, strictly before the new anticancer therapy date variable
    `nact_date` (when given and present), and up to and including the first PD.
    """
    keys = list(subject_keys)
    rows = dataset[compute_condition(dataset, filter)]
    rows = _with_adsl_vars(rows, dataset_adsl, [reference_date, nact_date], keys)
    keep = rows["ADT"] >= rows[reference_date]
    if end_window_days is not None:
        keep &= rows["ADT"] <= rows[reference_date] + pd.Timedelta(days=end_window_days)
    if nact_date is not None:
        keep &= ~(rows["ADT"] >= rows[nact_date])
    order = [*keys, "ADT", *[v for v in ("RSSEQ",) if v in rows]]
    rows = rows[keep.fillna(False)].sort_values(order, kind="stable")
    is_pd = (rows["AVALC"] == "PD").fillna(False).astype(int)
    pd_before = is_pd.groupby([rows[k] for k in keys]).cumsum() - is_pd
    return rows[pd_before == 0]


def derive_extreme_event(
    dataset: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    events: Sequence[Event],
    *,
    reference_date: str = "TRTSDT",
    order: str = "event",
    set_values_to: Mapping[str, object] | None = None,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """One record per ADSL subject from the first `Event` rule it meets (admiral derive_extreme_event).

    `dataset` holds the assessments to use (see `select_assessments`). With
    `order="event"` the earliest rule wins, then the earliest date (BOR); with
    `order="date"` the result sorted descending wins (Y before N), then the earliest date,
    then the earliest rule (response flags such as RSP, CB). The selected assessment's
    variables are kept, AVALC is set to the rule's result. Returns the new records only.
    """
    if order not in ("event", "date"):
        raise ValueError(f"order must be 'event' or 'date', got {order!r}")
    keys = list(subject_keys)
    adsl = dataset_adsl[[*keys, reference_date]].drop_duplicates(keys)
    # The rules run on a narrow frame (_row: position in `dataset`); the chosen records'
    # other variables are taken once at the end, not copied through every step.
    narrow = dataset[[*keys, "ADT", "AVALC"]].assign(_row=np.arange(len(dataset)))
    ovr = _with_adsl_vars(narrow, dataset_adsl, [reference_date], keys)
    ovr = ovr.sort_values([*keys, "ADT"], kind="stable").reset_index(drop=True)
    ovr["_pos"] = ovr.groupby(keys, sort=False).cumcount()

    candidates = []
    for number, event in enumerate(events):
        if event.condition is None:
            rows = adsl.assign(ADT=pd.Series(pd.NaT, index=adsl.index, dtype=ovr["ADT"].dtype), _row=-1)
        else:
            mask = ovr["AVALC"].isin(event.condition).fillna(False)
            if event.min_days is not None:
                min_date = ovr[reference_date] + pd.Timedelta(days=event.min_days)
                mask &= (ovr["ADT"] >= min_date).fillna(False)
            if event.confirmation is not None:
                mask &= compute_confirmed(ovr, mask, event.confirmation, subject_keys=keys)
            rows = ovr[mask]
        candidates.append(rows.assign(AVALC=event.result, _event_nr=number))
    found = pd.concat(candidates, ignore_index=True)
    found = found[found.set_index(keys).index.isin(adsl.set_index(keys).index)]
    if order == "event":
        sort_by, ascending = [*keys, "_event_nr", "ADT", "_pos"], [True] * (len(keys) + 3)
    else:
        sort_by = [*keys, "AVALC", "ADT", "_event_nr", "_pos"]
        ascending = [True] * len(keys) + [False, True, True, True]
    best = found.sort_values(sort_by, ascending=ascending, kind="stable", na_position="last")
    best = best.drop_duplicates(keys)
    from_data = best["_row"].to_numpy() >= 0
    chosen = dataset.iloc[best.loc[from_data, "_row"].to_numpy()].reset_index(drop=True)
    chosen = _with_adsl_vars(chosen.assign(AVALC=best.loc[from_data, "AVALC"].to_numpy()),
                             dataset_adsl, [reference_date], keys)
    best = pd.concat([chosen, best.loc[~from_data, [*keys, reference_date, "ADT", "AVALC"]]],
                     ignore_index=True)
    for name, value in (set_values_to or {}).items():
        best[name] = value
    return best.sort_values(keys, kind="stable").reset_index(drop=True)


def compute_confirmed(
    assessments: pd.DataFrame,
    candidate: pd.Series,
    confirmation: Confirmation,
    *,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.Series:
    """For each candidate assessment, whether a later one confirms it (admiral event_joined).

    `assessments` must be sorted by subject and ADT with a per-subject position `_pos`.
    Returns a boolean Series aligned with `assessments`.
    """
    keys = list(subject_keys)
    cols = [*keys, "_pos", "ADT", "AVALC"]
    first = assessments.loc[candidate.fillna(False), cols].reset_index(names="_row")
    later = assessments[cols].rename(columns={"_pos": "_pos_j", "ADT": "ADT_j", "AVALC": "AVALC_j"})
    pairs = first.merge(later, on=keys)
    pairs = pairs[pairs["_pos_j"] > pairs["_pos"]]
    confirms = pairs["AVALC_j"].isin(confirmation.confirmed_by) & (
        pairs["ADT_j"] >= pairs["ADT"] + pd.Timedelta(days=confirmation.min_days)
    )
    upper = pairs[confirms.fillna(False)].groupby("_row", as_index=False)["_pos_j"].min()
    window = pairs.merge(upper.rename(columns={"_pos_j": "_upper"}), on="_row")
    window = window[window["_pos_j"] <= window["_upper"]]
    allowed = set(confirmation.allowed_between) | set(confirmation.confirmed_by)
    value = window["AVALC_j"]
    window = window.assign(
        _bad=~value.isin(allowed).fillna(False),
        _ne=(value == "NE").fillna(False),
        _cr_dt=window["ADT_j"].where(value == "CR"),
        _pr_dt=window["ADT_j"].where(value == "PR"),
    )
    summary = window.groupby("_row").agg(
        bad=("_bad", "any"), ne=("_ne", "sum"), first_cr=("_cr_dt", "min"), last_pr=("_pr_dt", "max")
    )
    ok = ~summary["bad"] & (summary["ne"] <= confirmation.max_ne)
    if confirmation.no_pr_after_cr:
        ok &= ~(summary["first_cr"] <= summary["last_pr"])
    confirmed = pd.Series(False, index=assessments.index)
    confirmed[ok.index[ok]] = True
    return confirmed


def derive_param_bor(
    dataset: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    *,
    reference_date: str = "TRTSDT",
    sd_min_days: int = 42,
    end_window_days: int | None = None,
    nact_date: str | None = None,
    filter: Condition = "PARAMCD == 'OVR' and ANL01FL == 'Y'",
    set_values_to: Mapping[str, object] | None = None,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """Add best overall response without confirmation (one record per ADSL subject).

    Order of evaluation: CR, PR, SD (CR/PR/SD at least `sd_min_days` after the reference
    date), NON-CR/NON-PD (same minimum), PD, NE, MISSING (no assessment at all).
    """
    return _add_best_response(
        dataset,
        dataset_adsl,
        bor_events(sd_min_days=sd_min_days),
        reference_date=reference_date,
        end_window_days=end_window_days,
        nact_date=nact_date,
        filter=filter,
        set_values_to={"PARAMCD": "BOR", **(set_values_to or {})},
        subject_keys=subject_keys,
    )


def derive_param_confirmed_bor(
    dataset: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    *,
    reference_date: str = "TRTSDT",
    confirmation_days: int = 28,
    sd_min_days: int = 42,
    max_ne_between: int = 1,
    no_pr_after_cr: bool = True,
    end_window_days: int | None = None,
    nact_date: str | None = None,
    filter: Condition = "PARAMCD == 'OVR' and ANL01FL == 'Y'",
    set_values_to: Mapping[str, object] | None = None,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """Add confirmed best overall response (one record per ADSL subject).

    CR needs a CR at least `confirmation_days` later; PR needs a CR or PR that late; at
    most `max_ne_between` NE in between and, with `no_pr_after_cr`, no PR after a CR.
    Unconfirmed CR/PR falls back to SD, PD or NE as in `derive_param_bor`.
    """
    events = confirmed_bor_events(
        confirmation_days=confirmation_days,
        sd_min_days=sd_min_days,
        max_ne_between=max_ne_between,
        no_pr_after_cr=no_pr_after_cr,
    )
    return _add_best_response(
        dataset,
        dataset_adsl,
        events,
        reference_date=reference_date,
        end_window_days=end_window_days,
        nact_date=nact_date,
        filter=filter,
        set_values_to={"PARAMCD": "CBOR", **(set_values_to or {})},
        subject_keys=subject_keys,
    )


def _add_best_response(
    dataset: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    events: Sequence[Event],
    *,
    reference_date: str,
    end_window_days: int | None,
    nact_date: str | None,
    filter: Condition,
    set_values_to: Mapping[str, object],
    subject_keys: Sequence[str],
) -> pd.DataFrame:
    assessments = select_assessments(
        dataset,
        dataset_adsl,
        reference_date=reference_date,
        filter=filter,
        end_window_days=end_window_days,
        nact_date=nact_date,
        subject_keys=subject_keys,
    )
    best = derive_extreme_event(
        assessments,
        dataset_adsl,
        events,
        reference_date=reference_date,
        set_values_to=set_values_to,
        subject_keys=subject_keys,
    )
    best["AVAL"] = compute_aval_resp(best["AVALC"])
    keep = [c for c in best if c in dataset or c in set_values_to or c in ("AVALC", "AVAL")]
    return pd.concat([dataset, best[keep]], ignore_index=True)


def _with_adsl_vars(
    dataset: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    names: Sequence[str | None],
    keys: list[str],
) -> pd.DataFrame:
    """`dataset` with the ADSL variables `names` merged in where it lacks them."""
    missing = [n for n in names if n is not None and n not in dataset and n in dataset_adsl]
    if not missing:
        return dataset
    adsl = dataset_adsl[[*keys, *missing]].drop_duplicates(keys)
    return dataset.merge(adsl, on=keys, how="left", validate="many_to_one").set_axis(dataset.index)
