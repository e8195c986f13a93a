"""The two conformance rules not yet in the CORE-format catalogue (qc/catalogue): ADaM source
records and the treatment-emergent flag.

Each check is vectorised pandas over whole datasets. Frames are expected with a 0-based
RangeIndex (validate_folder resets it), so an offending row's index is its position.
Rule ids of Pinnacle 21 and of the CDISC conformance rules are given only where a public source
states them for the same condition; otherwise they are left empty.
"""

from __future__ import annotations

import pandas as pd

from qc.frames import (
    Datasets,
    as_date,
    as_datetime,
    is_adam,
    missing_columns,
    seq_column,
    text,
)
from qc.rules import ConformanceRule, Offence, hits
from specs.vector import is_in


def _adam(data: Datasets) -> list[str]:
    return [n for n in sorted(data) if is_adam(n)]


def _lookup(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """mapping[key] for each key (mapping indexed by unique keys), NA where absent."""
    return keys.map(mapping)


def _per_subject(frame: pd.DataFrame, column: str) -> pd.Series:
    """One value per USUBJID (the first), indexed by USUBJID text."""
    subjects = text(frame["USUBJID"])
    return frame[column].set_axis(subjects).loc[lambda s: ~s.index.duplicated()]


# --- ADaM traceability -------------------------------------------------------------------------

def _source_records(data: Datasets) -> list[Offence]:
    names = [n for n in _adam(data) if "SRCDOM" in data[n].columns]
    if not names:
        return [Offence("", not_run="no ADaM dataset with SRCDOM")]
    out = []
    for name in names:
        frame = data[name]
        domain = text(frame["SRCDOM"])
        srcvar = text(frame["SRCVAR"]) if "SRCVAR" in frame.columns else pd.Series("", index=frame.index)
        srcseq = (pd.to_numeric(frame["SRCSEQ"], errors="coerce") if "SRCSEQ" in frame.columns
                  else pd.Series(float("nan"), index=frame.index))
        subjects = text(frame["USUBJID"]) if "USUBJID" in frame.columns else pd.Series("", index=frame.index)
        problem = pd.Series("", index=frame.index)
        absent = sorted(set(domain[domain != ""]) - set(data))
        for source in sorted(set(domain[domain != ""]) & set(data)):
            rows = domain == source
            parent = data[source]
            unknown = rows & (srcvar != "") & ~srcvar.isin(parent.columns)
            problem[unknown] = f"SRCVAR not a variable of {source}"
            seq = seq_column(source, parent)
            with_seq = rows & srcseq.notna()
            if seq is None or "USUBJID" not in parent.columns:
                problem[with_seq] = f"{source} has no sequence variable to match SRCSEQ"
                continue
            keys = set(text(parent["USUBJID"]) + "\x1f" + text(pd.to_numeric(parent[seq], errors="coerce")))
            wanted = subjects + "\x1f" + text(srcseq)
            unmatched = with_seq & ~is_in(wanted, keys) & (problem == "")
            problem[unmatched] = f"no {source} record with {seq} = SRCSEQ"
        note = f"source datasets not among those validated: {', '.join(absent)}" if absent else ""
        value = domain + "." + srcvar + text(srcseq).map(lambda s: f" #{s}" if s else "")
        out.append(Offence(name, hits(problem != "", "SRCDOM", value, problem=problem), note=note))
    return out


def _subject_variable(frame: pd.DataFrame, adsl: pd.DataFrame | None, variable: str) -> pd.Series | None:
    """`variable` per record: the dataset's own column, else ADSL's value for the subject."""
    if variable in frame.columns:
        return frame[variable]
    if adsl is None or missing_columns(adsl, ("USUBJID", variable)) or "USUBJID" not in frame.columns:
        return None
    return _lookup(text(frame["USUBJID"]), _per_subject(adsl, variable))


def _emergence_moments(
    frame: pd.DataFrame, adsl: pd.DataFrame | None
) -> tuple[pd.Series, pd.Series, pd.Series, tuple[str, str]] | None:
    """Event start and end and treatment start as compared: date-times (ASTDTM, AENDTM, TRTSDTM)
    as admiral's derive_var_trtemfl does, or dates where the date-times are not there; None when
    there is no treatment start at all. Returns (start, end, treatment start, their names)."""
    trtsdtm = _subject_variable(frame, adsl, "TRTSDTM")
    if "ASTDTM" in frame.columns and trtsdtm is not None:
        if "AENDTM" in frame.columns:
            end = as_datetime(frame["AENDTM"])
        else:  # an end known to the day may be as late as 23:59:59 (end imputation)
            end = _optional_date(frame, "AENDT") + pd.Timedelta(hours=23, minutes=59, seconds=59)
        return as_datetime(frame["ASTDTM"]), end, as_datetime(trtsdtm), ("ASTDTM", "TRTSDTM")
    trtsdt = _subject_variable(frame, adsl, "TRTSDT")
    if trtsdt is None or "ASTDT" not in frame.columns:
        return None
    return as_date(frame["ASTDT"]), _optional_date(frame, "AENDT"), as_date(trtsdt), ("ASTDT", "TRTSDT")


def _optional_date(frame: pd.DataFrame, variable: str) -> pd.Series:
    if variable in frame.columns:
        return as_date(frame[variable])
    return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")


def _treatment_emergent(data: Datasets) -> list[Offence]:
    names = [n for n in _adam(data) if "TRTEMFL" in data[n].columns
             and not set(("ASTDTM", "ASTDT")).isdisjoint(data[n].columns)]
    if not names:
        return [Offence("", not_run="no ADaM dataset with TRTEMFL and ASTDTM or ASTDT")]
    adsl = data.get("ADSL")
    out = []
    for name in names:
        frame = data[name]
        moments = _emergence_moments(frame, adsl)
        if moments is None:
            out.append(Offence(name, not_run="neither TRTSDTM nor TRTSDT in the dataset or in ADSL"))
            continue
        start, end, first, (start_var, first_var) = moments
        last = _subject_variable(frame, adsl, "TRTEDT")
        last = as_date(last) if last is not None else pd.Series(pd.NaT, index=frame.index)
        # What admiral's derive_var_trtemfl decides for every window, first rule first: no
        # treatment start, or an end before it, is never emergent; a missing start, or a start
        # at or after the treatment start and on or before TRTEDT (date), always is. The start
        # and treatment start are compared as date-times: an event at 08:00 before a 10:00
        # infusion on the same day is not emergent.
        flag = text(frame["TRTEMFL"])
        flagged = flag == "Y"
        ended_before = end < first
        decided = first.notna() & ~ended_before
        within = (start >= first) & (last.isna() | (start.dt.normalize() <= last))
        problem = pd.Series("", index=frame.index)
        problem[flagged & first.isna()] = f"TRTEMFL = Y without {first_var}"
        problem[flagged & ended_before] = f"TRTEMFL = Y but the event ended before {first_var}"
        problem[~flagged & decided & start.isna()] = f"{start_var} missing but TRTEMFL not Y"
        problem[~flagged & decided & within] = f"{start_var} within treatment but TRTEMFL not Y"
        notes = []
        if first_var == "TRTSDT":
            notes.append("ASTDTM or TRTSDTM not available: emergence compared as dates")
        if last.isna().all():
            notes.append("TRTEDT not available: emergence checked from the treatment start only")
        found = problem != ""
        shown = start[found].dt.strftime("%Y-%m-%dT%H:%M" if start_var == "ASTDTM" else "%Y-%m-%d")
        out.append(Offence(name, hits(found, "TRTEMFL", flag, problem=problem,
                                      start=start_var + " " + shown.reindex(frame.index).fillna("missing")),
                           note="; ".join(notes)))
    return out


RULES: tuple[ConformanceRule, ...] = (
    ConformanceRule(
        "XD-ADAM-SOURCE", "error", "{value}: {problem}",
        "SRCDOM/SRCVAR/SRCSEQ resolve to a source record", ("AD*.SRCDOM", "AD*.SRCVAR", "AD*.SRCSEQ"),
        _source_records),
    ConformanceRule(
        "XD-TRTEMFL", "warning", "{problem} ({start})",
        "TRTEMFL consistent with ASTDTM, AENDTM and TRTSDTM/TRTEDT (admiral derive_var_trtemfl)",
        ("AD*.TRTEMFL", "AD*.ASTDTM", "AD*.AENDTM", "ADSL.TRTSDTM", "ADSL.TRTEDT"),
        _treatment_emergent),
)
