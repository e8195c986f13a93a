"""The cross-dataset (and within-dataset, multi-record) conformance rules clinforge checks.

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
    blank,
    domain_of,
    is_adam,
    iso_date,
    missing_columns,
    seq_column,
    text,
)
from qc.rules import ConformanceRule, Offence, hits
from specs.encoding import non_ascii
from specs.vector import is_in

SERIOUS_CRITERIA = ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE")
ADSL_FROM_DM = ("SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ETHNIC", "ARM", "ARMCD",
                "ACTARM", "ACTARMCD", "COUNTRY", "DTHFL", "RFSTDTC", "RFENDTC")


def _sdtm(data: Datasets) -> list[str]:
    return [n for n in sorted(data) if not is_adam(n)]


def _adam(data: Datasets) -> list[str]:
    return [n for n in sorted(data) if is_adam(n)]


def _by_domain(data: Datasets, domain: str) -> list[str]:
    return [n for n in _sdtm(data) if domain_of(n, data[n]) == domain and not n.startswith("SUPP")]


def _lookup(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """mapping[key] for each key (mapping indexed by unique keys), NA where absent."""
    return keys.map(mapping)


def _per_subject(frame: pd.DataFrame, column: str) -> pd.Series:
    """One value per USUBJID (the first), indexed by USUBJID text."""
    subjects = text(frame["USUBJID"])
    return frame[column].set_axis(subjects).loc[lambda s: ~s.index.duplicated()]


# --- every subject in DM / ADSL ---------------------------------------------------------------

def _subjects_in(reference: str, adam: bool):
    def check(data: Datasets) -> list[Offence]:
        names = [n for n in (_adam(data) if adam else _sdtm(data))
                 if n != reference and "USUBJID" in data[n].columns]
        if not names:
            return [Offence("", not_run="no dataset with USUBJID besides " + reference)]
        ref = data.get(reference)
        if ref is None or "USUBJID" not in ref.columns:
            return [Offence(n, not_run=f"no {reference} dataset with USUBJID") for n in names]
        known = set(text(ref["USUBJID"]))
        out = []
        for name in names:
            subjects = text(data[name]["USUBJID"])
            mask = (subjects != "") & ~is_in(subjects, known)
            out.append(Offence(name, hits(mask, "USUBJID", subjects, reference=reference)))
        return out

    return check


# --- study days ------------------------------------------------------------------------------

def _study_days(data: Datasets) -> list[Offence]:
    pairs = {
        n: [(c, c[:-2] + "DTC") for c in data[n].columns
            if c.endswith("DY") and c[:-2] + "DTC" in data[n].columns]
        for n in _sdtm(data)
    }
    pairs = {n: p for n, p in pairs.items() if p and "USUBJID" in data[n].columns}
    if not pairs:
        return [Offence("", not_run="no dataset with a --DY and its --DTC")]
    dm = data.get("DM")
    if dm is None or missing_columns(dm, ("USUBJID", "RFSTDTC")):
        return [Offence(n, not_run="DM.RFSTDTC not available") for n in pairs]
    reference = iso_date(_per_subject(dm, "RFSTDTC"))
    out = []
    for name, columns in pairs.items():
        frame = data[name]
        ref = _lookup(text(frame["USUBJID"]), reference)
        found = []
        for dy_col, dtc_col in columns:
            dy = pd.to_numeric(frame[dy_col], errors="coerce")
            days = (iso_date(frame[dtc_col]) - ref).dt.days
            expected = days + (days >= 0)
            wrong = (dy == 0) | (expected.notna() & dy.notna() & (dy != expected))
            shown = expected[wrong].astype("Float64").astype(str).str.replace("<NA>", "not computable")
            found.append(hits(wrong, dy_col, dy, expected=shown.reindex(frame.index), dtc=dtc_col))
        out.append(Offence(name, pd.concat(found)))
    return out


# --- --SEQ unique within subject --------------------------------------------------------------

def _seq_unique(data: Datasets) -> list[Offence]:
    domains: dict[str, list[str]] = {}
    for name in _sdtm(data):
        frame = data[name]
        seq = f"{domain_of(name, frame)}SEQ"
        if seq in frame.columns and "USUBJID" in frame.columns:
            domains.setdefault(domain_of(name, frame), []).append(name)
    if not domains:
        return [Offence("", not_run="no dataset with USUBJID and --SEQ")]
    out = []
    for domain, names in domains.items():
        # A domain split over several datasets (LBCH, LBHE) numbers its records as one domain.
        stacked = pd.concat(
            [pd.DataFrame({"name": n, "pos": range(len(data[n])),
                           "usubjid": text(data[n]["USUBJID"]),
                           "seq": pd.to_numeric(data[n][f"{domain}SEQ"], errors="coerce")})
             for n in names], ignore_index=True)
        duplicated = stacked.duplicated(["usubjid", "seq"], keep=False) & stacked["seq"].notna()
        for name in names:
            part = stacked[(stacked["name"] == name) & duplicated]
            mask = pd.Series(False, index=data[name].index)
            mask.iloc[part["pos"].to_numpy()] = True
            seq = data[name][f"{domain}SEQ"]
            out.append(Offence(name, hits(mask, f"{domain}SEQ", seq)))
    return out


# --- adverse events ----------------------------------------------------------------------------

def _ae_datasets(data: Datasets, needed: tuple[str, ...]) -> tuple[list[str], list[Offence]]:
    names = _by_domain(data, "AE")
    if not names:
        return [], [Offence("", not_run="no AE dataset")]
    usable = [n for n in names if not missing_columns(data[n], needed)]
    skipped = [Offence(n, not_run=f"{', '.join(missing_columns(data[n], needed))} missing")
               for n in names if n not in usable]
    return usable, skipped


def _serious_criteria(data: Datasets) -> list[Offence]:
    names, out = _ae_datasets(data, ("AESER",))
    for name in names:
        frame = data[name]
        criteria = [c for c in SERIOUS_CRITERIA if c in frame.columns]
        if not criteria:
            out.append(Offence(name, not_run="none of the seriousness criteria variables present"))
            continue
        any_yes = pd.concat([text(frame[c]) == "Y" for c in criteria], axis=1).any(axis=1)
        mask = (text(frame["AESER"]) == "Y") & ~any_yes
        absent = sorted(set(SERIOUS_CRITERIA) - set(criteria))
        note = f"criteria missing from the dataset: {', '.join(absent)}" if absent else ""
        out.append(Offence(name, hits(mask, "AESER", text(frame["AESER"]),
                                      criteria=", ".join(criteria)), note=note))
    return out


def _death_outcome(data: Datasets) -> list[Offence]:
    names, out = _ae_datasets(data, ("AESDTH", "AEOUT"))
    for name in names:
        frame = data[name]
        death, fatal = text(frame["AESDTH"]), text(frame["AEOUT"])
        mask = (death == "Y") != (fatal == "FATAL")
        out.append(Offence(name, hits(mask, "AESDTH", death, aeout=fatal)))
    return out


# --- death across DM, DS and AE ----------------------------------------------------------------

def _death_consistency(data: Datasets) -> list[Offence]:
    dm = data.get("DM")
    if dm is None or missing_columns(dm, ("USUBJID", "DTHFL")):
        return [Offence("DM", not_run="DM with USUBJID and DTHFL not available")]
    dead = set(text(dm["USUBJID"])[text(dm["DTHFL"]) == "Y"])
    out = []
    ds_dead: set[str] = set()
    ds_names = [n for n in _by_domain(data, "DS") if not missing_columns(data[n], ("USUBJID", "DSDECOD"))]
    for name in ds_names:
        frame = data[name]
        subjects, decod = text(frame["USUBJID"]), text(frame["DSDECOD"])
        ds_dead |= set(subjects[decod == "DEATH"])
        mask = (decod == "DEATH") & ~subjects.isin(dead)
        out.append(Offence(name, hits(mask, "DSDECOD", decod, problem="DM.DTHFL is not Y")))
    subjects, flag = text(dm["USUBJID"]), text(dm["DTHFL"])
    parts = []
    notes = []
    if "DTHDTC" in dm.columns:
        parts.append(hits((flag == "Y") != ~blank(dm["DTHDTC"]), "DTHFL", flag,
                          problem="DTHFL and DTHDTC disagree"))
    else:
        notes.append("DTHDTC missing")
    if ds_names:
        parts.append(hits((flag == "Y") & ~subjects.isin(ds_dead), "DTHFL", flag,
                          problem="no DS record with DSDECOD = DEATH"))
    else:
        notes.append("no DS dataset with DSDECOD")
    out.insert(0, Offence("DM", pd.concat(parts) if parts else None, note="; ".join(notes)))
    ae_names, _ = _ae_datasets(data, ("USUBJID", "AESDTH"))
    for name in ae_names:
        frame = data[name]
        mask = (text(frame["AESDTH"]) == "Y") & ~text(frame["USUBJID"]).isin(dead)
        out.append(Offence(name, hits(mask, "AESDTH", text(frame["AESDTH"]),
                                      problem="DM.DTHFL is not Y")))
    return out


# --- exposure within the reference exposure period ---------------------------------------------

def _exposure_period(data: Datasets) -> list[Offence]:
    names = _by_domain(data, "EX")
    if not names:
        return [Offence("", not_run="no EX dataset")]
    dm = data.get("DM")
    if dm is None or missing_columns(dm, ("USUBJID", "RFXSTDTC", "RFXENDTC")):
        return [Offence(n, not_run="DM.RFXSTDTC/RFXENDTC not available") for n in names]
    first, last = iso_date(_per_subject(dm, "RFXSTDTC")), iso_date(_per_subject(dm, "RFXENDTC"))
    out = []
    for name in names:
        frame = data[name]
        if missing_columns(frame, ("USUBJID", "EXSTDTC")):
            out.append(Offence(name, not_run="USUBJID or EXSTDTC missing"))
            continue
        subjects = text(frame["USUBJID"])
        start = iso_date(frame["EXSTDTC"])
        end = iso_date(frame["EXENDTC"]).fillna(start) if "EXENDTC" in frame.columns else start
        mask = (start < _lookup(subjects, first)) | (end > _lookup(subjects, last))
        period = text(_lookup(subjects, _per_subject(dm, "RFXSTDTC"))) + " to " + text(
            _lookup(subjects, _per_subject(dm, "RFXENDTC")))
        out.append(Offence(name, hits(mask, "EXSTDTC", text(frame["EXSTDTC"]), period=period)))
    return out


# --- relationships: SUPP-- and RELREC resolve to parent records ---------------------------------

def _parent_frames(data: Datasets, domain: str, preferred: str = "") -> list[pd.DataFrame]:
    if preferred and preferred in data:
        return [data[preferred]]
    return [data[n] for n in _by_domain(data, domain)]


def _unresolved(data: Datasets, frame: pd.DataFrame, parent_of: pd.Series) -> pd.DataFrame:
    """Rows of a SUPP--/RELREC frame whose (USUBJID, IDVAR=IDVARVAL) names no parent record."""
    subjects, idvar, idval = text(frame["USUBJID"]), text(frame["IDVAR"]), text(frame["IDVARVAL"])
    problem = pd.Series("", index=frame.index)
    for (parent_name, variable), group in frame.groupby([parent_of, idvar], sort=False).groups.items():
        domain = parent_name.removeprefix("SUPP")
        parents = _parent_frames(data, domain, preferred=parent_name)
        if not parents:
            problem[group] = f"no {domain} dataset"
            continue
        if variable == "":
            known = set().union(*(set(text(p["USUBJID"])) for p in parents if "USUBJID" in p.columns))
            problem[group] = subjects[group].isin(known).map({True: "", False: f"subject not in {domain}"})
            continue
        if not all(variable in p.columns for p in parents):
            problem[group] = f"{variable} is not a variable of {domain}"
            continue
        keys = set()
        for p in parents:
            keys |= set(text(p["USUBJID"]) + "\x1f" + text(p[variable]))
        values = idval[group]
        if any(pd.api.types.is_numeric_dtype(p[variable]) for p in parents):
            values = text(pd.to_numeric(values, errors="coerce")).where(values != "", "")
        wanted = subjects[group] + "\x1f" + values
        message = f"no {domain} record with {variable} = " + idval[group]
        problem[group] = message.where(~is_in(wanted, keys), "")
    return hits(problem != "", "IDVARVAL", idval, idvar=idvar, problem=problem)


def _supp_parents(data: Datasets) -> list[Offence]:
    names = [n for n in _sdtm(data) if n.startswith("SUPP")]
    if not names:
        return [Offence("", not_run="no SUPP-- dataset")]
    out = []
    for name in names:
        frame = data[name]
        missing = missing_columns(frame, ("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL"))
        if missing:
            out.append(Offence(name, not_run=f"{', '.join(missing)} missing"))
            continue
        # SUPPLBCH belongs to the split dataset LBCH; otherwise the parent is the RDOMAIN.
        own = name.removeprefix("SUPP")
        parent = pd.Series(own if own in data else "", index=frame.index)
        parent = parent.where(parent != "", text(frame["RDOMAIN"]))
        out.append(Offence(name, _unresolved(data, frame, parent)))
    return out


def _relrec(data: Datasets) -> list[Offence]:
    frame = data.get("RELREC")
    if frame is None:
        return [Offence("", not_run="no RELREC dataset")]
    missing = missing_columns(frame, ("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELID"))
    if missing:
        return [Offence("RELREC", not_run=f"{', '.join(missing)} missing")]
    subject_level = text(frame["USUBJID"]) != ""
    record = _unresolved(data, frame[subject_level], text(frame["RDOMAIN"])[subject_level])
    # Without USUBJID a RELREC record relates whole datasets through IDVAR (SDTMIG 8.3).
    domain, idvar = text(frame["RDOMAIN"]), text(frame["IDVAR"])
    variables = {(d, v): any(v in p.columns for p in _parent_frames(data, d))
                 for d, v in set(zip(domain, idvar, strict=True))}
    has_var = pd.Series([variables[pair] for pair in zip(domain, idvar, strict=True)], index=frame.index)
    dataset_level = hits(~subject_level & ~has_var, "IDVAR", idvar, idvar=idvar,
                         problem="no " + domain + " dataset with " + idvar)
    return [Offence("RELREC", pd.concat([record, dataset_level]))]


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


def _adsl_matches_dm(data: Datasets) -> list[Offence]:
    adsl, dm = data.get("ADSL"), data.get("DM")
    if adsl is None or dm is None:
        return [Offence("ADSL", not_run="needs both ADSL and DM")]
    if "USUBJID" not in adsl.columns or "USUBJID" not in dm.columns:
        return [Offence("ADSL", not_run="USUBJID missing from ADSL or DM")]
    shared = [v for v in ADSL_FROM_DM if v in adsl.columns and v in dm.columns]
    if not shared:
        return [Offence("ADSL", not_run="no DM-sourced variable present in both")]
    subjects = text(adsl["USUBJID"])
    found = []
    for variable in shared:
        ours = text(adsl[variable])
        theirs = _lookup(subjects, text(_per_subject(dm, variable)))
        mask = theirs.notna() & (ours != theirs)
        found.append(hits(mask, variable, ours, dm_value=theirs))
    return [Offence("ADSL", pd.concat(found))]


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


# --- text is ASCII ----------------------------------------------------------------------------

def _ascii_text(data: Datasets) -> list[Offence]:
    """Character values holding anything beyond ASCII, which XPT v5 for the FDA may not carry."""
    out = []
    for name in sorted(data):
        frame = data[name]
        found = []
        for column in frame.columns:
            values = frame[column]
            if not pd.api.types.is_string_dtype(values.dtype):
                continue
            # Only the few offending values are looked at in Python.
            offending = non_ascii(values.astype("str"))
            if offending.any():
                shown = values[offending].astype("str")
                found.append(hits(offending, column, shown, characters=shown.map(_non_ascii)))
        out.append(Offence(name, pd.concat(found) if found else None))
    return out or [Offence("", not_run="no datasets")]


def _non_ascii(value: str) -> str:
    """The value's non-ASCII characters with their code points: "’ (U+2019)"."""
    return ", ".join(f"{c} (U+{ord(c):04X})" for c in dict.fromkeys(c for c in value if not c.isascii()))


# --- within-dataset relationships ------------------------------------------------------------

def _one_to_one(data: Datasets, left: str, right: str, within: str = "") -> list[Offence]:
    names = [n for n in _adam(data) if not missing_columns(data[n], (left, right))]
    if not names:
        return [Offence("", not_run=f"no ADaM dataset with {left} and {right}")]
    out = []
    for name in names:
        frame = data[name]
        group = [within] if within in frame.columns else []
        table = pd.DataFrame({c: text(frame[c]) for c in (*group, left, right)})
        both = (table[left] != "") & (table[right] != "")
        pairs = table[both].drop_duplicates()
        conflict = (pairs.duplicated([*group, left], keep=False)
                    | pairs.duplicated([*group, right], keep=False))
        # One finding per conflicting pair, on its first record.
        mask = pd.Series(False, index=frame.index)
        mask[pairs.index[conflict]] = True
        where = f" within {within} " + table[within] if group else ""
        out.append(Offence(name, hits(mask, left, table[left], other=table[right], where=where)))
    return out


RULES: tuple[ConformanceRule, ...] = (
    ConformanceRule(
        "XD-SUBJ-IN-DM", "error", "{dataset}: USUBJID {value} is not in DM",
        "Every SDTM subject is in DM", ("DM.USUBJID", "--.USUBJID"),
        _subjects_in("DM", adam=False), p21_id="SD0064"),
    ConformanceRule(
        "XD-SUBJ-IN-ADSL", "error", "{dataset}: USUBJID {value} is not in ADSL",
        "Every ADaM subject is in ADSL", ("ADSL.USUBJID", "AD*.USUBJID"),
        _subjects_in("ADSL", adam=True)),
    ConformanceRule(
        "XD-DY", "error", "{variable} = {value} but {dtc} and DM.RFSTDTC give {expected} (no day 0)",
        "--DY agrees with --DTC and DM.RFSTDTC", ("DM.RFSTDTC", "--DTC", "--DY"),
        _study_days, p21_id="SD1086"),
    ConformanceRule(
        "XD-SEQ-UNIQUE", "error", "{variable} = {value} repeats within the subject",
        "--SEQ unique within subject and domain", ("--.USUBJID", "--SEQ"),
        _seq_unique, p21_id="SD0005"),
    ConformanceRule(
        "XD-AESER-CRITERION", "warning", "AESER = Y but none of {criteria} is Y",
        "A serious AE has at least one seriousness criterion", ("AE.AESER", "AE.AESDTH…AESMIE"),
        _serious_criteria, cdisc_id="CG0042", p21_id="SD0009"),
    ConformanceRule(
        "XD-AESDTH-AEOUT", "error", "AESDTH = '{value}' but AEOUT = '{aeout}'",
        "AESDTH = Y exactly when AEOUT = FATAL", ("AE.AESDTH", "AE.AEOUT"), _death_outcome),
    ConformanceRule(
        "XD-DEATH", "warning", "{variable} = '{value}': {problem}",
        "Death in DM (DTHFL, DTHDTC) agrees with DS (DEATH) and AE (AESDTH)",
        ("DM.DTHFL", "DM.DTHDTC", "DS.DSDECOD", "AE.AESDTH"), _death_consistency),
    ConformanceRule(
        "XD-EX-IN-RFX", "warning", "exposure starting {value} is outside RFXSTDTC–RFXENDTC ({period})",
        "Exposure dates within DM.RFXSTDTC–RFXENDTC",
        ("EX.EXSTDTC", "EX.EXENDTC", "DM.RFXSTDTC", "DM.RFXENDTC"),
        _exposure_period),
    ConformanceRule(
        "XD-SUPP-PARENT", "error", "{idvar} = {value}: {problem}",
        "SUPP-- records resolve to a parent record", ("SUPP--.RDOMAIN", "SUPP--.IDVAR", "SUPP--.IDVARVAL"),
        _supp_parents, p21_id="SD0077"),
    ConformanceRule(
        "XD-RELREC", "error", "{idvar} = {value}: {problem}",
        "RELREC records resolve to their records or datasets",
        ("RELREC.RDOMAIN", "RELREC.IDVAR", "RELREC.IDVARVAL"),
        _relrec, p21_id="SD0077"),
    ConformanceRule(
        "XD-ADAM-SOURCE", "error", "{value}: {problem}",
        "SRCDOM/SRCVAR/SRCSEQ resolve to a source record", ("AD*.SRCDOM", "AD*.SRCVAR", "AD*.SRCSEQ"),
        _source_records),
    ConformanceRule(
        "XD-ADSL-DM", "error", "ADSL.{variable} = '{value}' but DM.{variable} = '{dm_value}'",
        "ADSL variables equal their DM source", ("ADSL", "DM"), _adsl_matches_dm),
    ConformanceRule(
        "XD-TRTEMFL", "warning", "{problem} ({start})",
        "TRTEMFL consistent with ASTDTM, AENDTM and TRTSDTM/TRTEDT (admiral derive_var_trtemfl)",
        ("AD*.TRTEMFL", "AD*.ASTDTM", "AD*.AENDTM", "ADSL.TRTSDTM", "ADSL.TRTEDT"),
        _treatment_emergent),
    # P21's SD1029 (FDA TCG 3.3.5) finds the same characters in --TEST, --TESTCD, --PARM,
    # --PARMCD, QLABEL and QNAM only; XPT v5 holds ASCII in every variable, so this checks all.
    ConformanceRule(
        "DS-ASCII", "error",
        "{variable} has non-ASCII characters: {characters} (XPT v5 for the FDA is ASCII only)",
        "Character values are ASCII (XPT v5, FDA Study Data Technical Conformance Guide)",
        ("--.*",), _ascii_text, p21_id="SD1029"),
    ConformanceRule(
        "DS-PARAM-1TO1", "error", "PARAMCD {value} and PARAM '{other}' are not one to one",
        "PARAMCD and PARAM one to one", ("AD*.PARAMCD", "AD*.PARAM"),
        lambda data: _one_to_one(data, "PARAMCD", "PARAM")),
    ConformanceRule(
        "DS-AVALC-AVAL", "error", "AVALC '{value}' and AVAL {other} are not one to one{where}",
        "AVALC consistent with AVAL within a parameter", ("AD*.AVALC", "AD*.AVAL", "AD*.PARAMCD"),
        lambda data: _one_to_one(data, "AVALC", "AVAL", within="PARAMCD")),
)
