"""Time-to-event parameters from event and censoring sources (admiral derive_param_tte)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from adam.sources import CensorSource, EventSource, TimeToEventSource, compute_condition

SUBJECT_KEYS = ("STUDYID", "USUBJID")
TTE_VARS = ("EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ")


def derive_param_tte(
    dataset_adsl: pd.DataFrame,
    source_datasets: Mapping[str, pd.DataFrame],
    *,
    start_date: str = "TRTSDT",
    event_conditions: Sequence[EventSource],
    censor_conditions: Sequence[CensorSource],
    set_values_to: Mapping[str, object] | None = None,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """One time-to-event record per ADSL subject that has an event or a censoring date.

    The earliest event wins (ties: the source listed first); with no event the latest
    censoring date wins (ties: the source listed last, as in admiral). ADT is never
    before STARTDT (the start date is used instead); AVAL = ADT − STARTDT + 1 in days.
    Records with a missing date are ignored. Returns the new records only.
    """
    keys = list(subject_keys)
    events = filter_extreme_sources(event_conditions, source_datasets, keys, mode="first")
    censors = filter_extreme_sources(censor_conditions, source_datasets, keys, mode="last")
    chosen = pd.concat([events, censors], ignore_index=True).drop_duplicates(keys, keep="first")
    adsl = dataset_adsl[[*keys, start_date]].drop_duplicates(keys)
    adsl = adsl.rename(columns={start_date: "STARTDT"})
    adsl["STARTDT"] = _as_date(adsl["STARTDT"])
    tte = chosen.merge(adsl, on=keys, how="inner", validate="one_to_one")
    tte["ADT"] = _as_date(tte["ADT"])
    tte["ADT"] = tte["ADT"].where(~(tte["ADT"] < tte["STARTDT"]), tte["STARTDT"])
    tte["AVAL"] = (tte["ADT"] - tte["STARTDT"]).dt.days.astype("float64") + 1
    for name, value in (set_values_to or {}).items():
        tte[name] = value
    columns = [*keys, *(set_values_to or {}), "STARTDT", "ADT", "AVAL", "CNSR", *TTE_VARS]
    return tte[columns].sort_values(keys, kind="stable").reset_index(drop=True)


def filter_extreme_sources(
    sources: Sequence[TimeToEventSource],
    source_datasets: Mapping[str, pd.DataFrame],
    keys: list[str],
    *,
    mode: str,
) -> pd.DataFrame:
    """Per subject, the first (events) or last (censorings) dated record over all sources:
    the keys, ADT, CNSR and the source's EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR, SRCSEQ."""
    frames = []
    for number, source in enumerate(sources):
        if source.dataset_name not in source_datasets:
            raise KeyError(
                f"source {source.evntdesc!r} reads dataset {source.dataset_name!r}, "
                f"not among source_datasets {sorted(source_datasets)}"
            )
        data = source_datasets[source.dataset_name]
        rows = data[compute_condition(data, source.filter)]
        rows = rows.assign(_date=_as_date(rows[source.date])).dropna(subset=["_date"])
        rows = rows.sort_values([*keys, "_date", *source.order], kind="stable")
        rows = rows.drop_duplicates(keys, keep=mode)
        frames.append(
            pd.DataFrame(
                {
                    **{k: rows[k] for k in keys},
                    "ADT": rows["_date"],
                    "CNSR": source.censor,
                    "EVNTDESC": source.evntdesc,
                    "CNSDTDSC": source.cnsdtdsc,
                    "SRCDOM": source.srcdom,
                    "SRCVAR": source.srcvar,
                    "SRCSEQ": rows[source.srcseq].astype("float64") if source.srcseq else None,
                    "_source_nr": number,
                }
            )
        )
    columns = [*keys, "ADT", "CNSR", *TTE_VARS, "_source_nr"]
    if not frames:
        return pd.DataFrame(columns=columns)
    combined = pd.concat(frames, ignore_index=True)
    combined = combined.sort_values([*keys, "ADT", "_source_nr"], kind="stable")
    combined = combined.drop_duplicates(keys, keep=mode)
    combined["CNSR"] = combined["CNSR"].astype("int64")
    for name in ("EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR"):
        combined[name] = combined[name].astype("string")
    combined["SRCSEQ"] = combined["SRCSEQ"].astype("float64")
    return combined.drop(columns="_source_nr")


def _as_date(values: pd.Series) -> pd.Series:
    """Dates as datetime64 at midnight (ADSL from parquet may hold Python dates)."""
    return pd.to_datetime(values).astype("datetime64[ns]").dt.normalize()
