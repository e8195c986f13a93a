"""Trial design datasets (TA, TE, TV, TI, TS) from the study spec, and SE from each subject's dates.

TA, TE and TV restate study.yaml (arms, elements, schedule of activities). TI reads the
eligibility criteria and TS the trial summary parameters from the `parameters` of their own
dataset specs (TI.yaml, TS.yaml), so the protocol text lives in the specs, not in code.
SE places each subject's elements on the calendar from DM's reference dates, by rules that
SE.yaml declares (which DM date starts which element).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from sdtm.algorithms import Context, builder
from specs.errors import InputError, Problem, SpecError
from specs.model import Study
from specs.schema import STUDY_FILE, closest

# The facts a TS entry may take from study.yaml `study.protocol` (present or not).
PROTOCOL_FACTS = tuple(STUDY_FILE.keys["study"].kind.keys["protocol"].kind.keys)

# Where a TS value code comes from when the spec names a reference dictionary (SDTMIG TS
# assumptions): CDISC CT terms carry their C-code; ISO 8601 values carry none; identifiers
# such as the registry number or an ISO 3166 country code are their own code.
CDISC_CT = "CDISC CT"
ISO_8601 = "ISO 8601"


def date_part(dtc: pd.Series) -> pd.Series:
    """The `YYYY-MM-DD` part of --DTC values complete to the day; NA otherwise."""
    return dtc.astype("string").str.extract(r"^(\d{4}-\d{2}-\d{2})", expand=False)


def build_ta(study: Study) -> pd.DataFrame:
    """TA: one row per planned element of each arm, in the arm's order."""
    elements = {e.etcd: e for e in study.elements}
    rows = [
        {"STUDYID": study.studyid, "DOMAIN": "TA", "ARMCD": arm.armcd, "ARM": arm.arm,
         "TAETORD": float(order), "ETCD": etcd, "ELEMENT": elements[etcd].element,
         "TABRANCH": "", "TATRANS": "", "EPOCH": elements[etcd].epoch}
        for arm in study.arms for order, etcd in enumerate(arm.elements, start=1)
    ]
    return pd.DataFrame(rows)


def build_te(study: Study) -> pd.DataFrame:
    """TE: one row per element with its start rule, end rule and planned duration."""
    rows = [
        {"STUDYID": study.studyid, "DOMAIN": "TE", "ETCD": e.etcd, "ELEMENT": e.element,
         "TESTRL": e.start, "TEENRL": e.end, "TEDUR": e.duration or ""}
        for e in study.elements
    ]
    return pd.DataFrame(rows)


def _day_text(day: int) -> str:
    return f"protocol Day {day}"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def build_tv(study: Study) -> pd.DataFrame:
    """TV: one row per planned visit; VISITDY is the SDTM study day (no day 0).

    All arms share the schedule, so ARMCD and ARM are blank (SDTMIG TV assumption 3).
    TVSTRL/TVENRL state the visit window around the protocol day, Day 0 being the
    study's day-zero event (study.yaml `reference.day_zero`).
    """
    zero = study.reference.get("day_zero", "Day 0")
    rows = []
    for v in study.visits:
        if v.window_before:
            start = f"{_days(v.window_before)} before {_day_text(v.day)} (Day 0 = {zero})"
        else:
            start = f"Start of {_day_text(v.day)} (Day 0 = {zero})"
        end = (f"{_days(v.window_after)} after {_day_text(v.day)}" if v.window_after
               else f"End of {_day_text(v.day)}")
        rows.append({"STUDYID": study.studyid, "DOMAIN": "TV", "VISITNUM": float(v.visitnum),
                     "VISIT": v.visit, "VISITDY": float(v.study_day), "ARMCD": "", "ARM": "",
                     "TVSTRL": start, "TVENRL": end})
    return pd.DataFrame(rows)


def _check_eligibility(study: Study, spec_name: str) -> None:
    """Each TI criterion has `category` INCLUSION or EXCLUSION and a `text`; else a SpecError at
    the spec's line naming the entry and what is expected."""
    spec = study.sdtm[spec_name]
    problems = []
    for i, entry in enumerate(spec.parameters.get("eligibility") or []):
        where = f"{spec_name}.parameters.eligibility[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: expected {{category, text, testcd}}, found {entry!r}")
            continue
        if entry.get("category") not in ("INCLUSION", "EXCLUSION"):
            problems.append(f"{where}: category {entry.get('category')!r} is not INCLUSION or EXCLUSION")
        if not entry.get("text"):
            problems.append(f"{where}: missing required key 'text' (expected the criterion as the "
                            f"protocol states it)")
        unknown = sorted(set(entry) - {"category", "text", "testcd"})
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(unknown)} "
                            f"(valid keys: category, text, testcd)")
    if problems:
        file, line = spec.place("parameters.eligibility")
        raise SpecError([Problem(file, line, p) for p in problems])


def build_ti(study: Study, *, spec_name: str = "TI") -> pd.DataFrame:
    """TI: the eligibility criteria listed in the TI spec's `parameters.eligibility`.

    Each entry has `category` (INCLUSION or EXCLUSION) and `text`, optionally `testcd`;
    without it the code is INCL01, INCL02 … / EXCL01 … in list order within category.
    `parameters.version` gives TIVERS (the protocol version of the criteria).
    """
    params = study.sdtm[spec_name].parameters
    _check_eligibility(study, spec_name)
    criteria = pd.DataFrame(params.get("eligibility", []), columns=["category", "text", "testcd"])
    prefix = criteria["category"].map({"INCLUSION": "INCL", "EXCLUSION": "EXCL"})
    number = criteria.groupby("category").cumcount() + 1
    generated = prefix + number.map("{:02d}".format)
    testcd = criteria["testcd"].where(criteria["testcd"].notna(), generated)
    return pd.DataFrame({
        "STUDYID": study.studyid, "DOMAIN": "TI", "IETESTCD": testcd.astype(str),
        "IETEST": criteria["text"].astype(str), "IECAT": criteria["category"].astype(str),
        "IESCAT": "", "TIRL": "", "TIVERS": str(params.get("version", "")),
    })


def study_facts(study: Study) -> dict[str, Any]:
    """Trial summary values the study spec already holds, by the name a TS entry uses (`study:`)."""
    cart = study.treatments.get("cart", {})
    constructs = [c["name"] for c in cart.get("constructs", ())]
    low, high = study.age_range
    protocol = study.protocol
    single = len(study.arms) == 1
    return {
        **protocol,
        # One arm is a single-group design; more arms are parallel unless the protocol says otherwise.
        "intervention_model": protocol.get("intervention_model")
        or ("SINGLE GROUP" if single else "PARALLEL"),
        # One arm is neither randomised nor controlled; with more, only the protocol can say.
        "randomised": protocol.get("randomised") or ("N" if single else None),
        "control": protocol.get("control") or ("NONE" if single else None),
        "pediatric": "Y" if low < 18 else "N",
        "title": study.title,
        "sponsor": study.sponsor,
        "phase": study.phase,
        "indication": study.indication,
        "registry_id": study.registry_id,
        "planned_subjects": str(study.planned_subjects),
        "arms": str(len(study.arms)),
        "age_min": f"P{low}Y",
        "age_max": f"P{high}Y",
        "sex_population": study.sex_population,
        "countries": list(study.countries),
        "sdtmig": study.standards.get("sdtmig", ""),
        "treatment": ((constructs or [cart["name"]]) if cart else []) + arm_treatment_names(study),
        "lymphodepletion": [t["name"] for t in study.treatments.get("lymphodepletion", ())],
    }


def arm_treatment_names(study: Study) -> list[str]:
    """The names of the treatments study.yaml gives the arms (`treatments.arms`), in arm order,
    each once."""
    given = study.treatments.get("arms", {})
    names = [t["name"] for arm in study.arms for t in given.get(arm.armcd, ())]
    return list(dict.fromkeys(names))


def data_facts(dm: pd.DataFrame | None) -> dict[str, Any]:
    """Trial summary values that come from the converted data (`data:` in a TS entry)."""
    if dm is None or dm.empty:
        return {}
    consent = date_part(dm["RFICDTC"]).dropna()
    end = date_part(dm["RFPENDTC"]).dropna()
    return {
        "subjects": str(dm["USUBJID"].nunique()),
        "first_consent": consent.min() if len(consent) else None,
        "last_participation": end.max() if len(end) else None,
    }


def _tsparm(study: Study, parmcd: str, entry: Mapping[str, Any]) -> str:
    if entry.get("parm"):
        return entry["parm"]
    codes = study.codelists.get("TSPARMCD")
    term = codes.term(parmcd) if codes else None
    if term is None:
        raise InputError(f"TS parameter {parmcd} is not in codelist TSPARMCD; give `parm:` "
                         f"for a sponsor-defined parameter", file=study.sdtm["TS"].file)
    if term.decode:
        return term.decode
    names = study.codelists.get("TSPARM")
    match = next((t for t in names.terms if t.c_code == term.c_code), None) if names else None
    if match is None:
        raise InputError(f"TS parameter {parmcd}: no TSPARM term with its C-code {term.c_code}",
                         file=study.sdtm["TS"].file)
    return match.value


def _coded(study: Study, entry: Mapping[str, Any], value: str, ct_version: str) -> tuple[str, str, str]:
    """TSVALCD, TSVCDREF, TSVCDVER of one value."""
    if entry.get("c_code"):
        # A CDISC term whose codelist is not in the shipped CT subset: the spec states its code.
        return entry["c_code"], CDISC_CT, ct_version
    if entry.get("codelist"):
        codelist = study.codelists[entry["codelist"]]
        term = codelist.term(value)
        if term is None:
            raise InputError(f"TS {entry['parmcd']}: value not in codelist {codelist.name}",
                             file=study.sdtm["TS"].file, value=value,
                             expected=", ".join(codelist.values()))
        return term.c_code or "", CDISC_CT, ct_version
    ref = entry.get("ref", "")
    code = value if entry.get("code") == "value" else entry.get("code", "")
    return code, ref, str(entry.get("version", ""))


DATA_FACTS = ("subjects", "first_consent", "last_participation")


def _check_summary(study: Study, spec_name: str) -> None:
    """Every TS entry names `parmcd` and exactly one source of its value, and a `study` or `data`
    fact that exists; else a SpecError at the entry's line listing what is valid."""
    spec = study.sdtm[spec_name]
    file, line = spec.place("parameters.summary")
    facts = sorted(set(study_facts(study)) | set(PROTOCOL_FACTS))
    problems = []
    for i, entry in enumerate(spec.parameters.get("summary", [])):
        where = f"{spec_name}.parameters.summary[{i}]"
        sources = [k for k in ("value", "study", "data") if k in entry]
        if "parmcd" not in entry:
            problems.append(f"{where}: missing required key 'parmcd' (expected a TSPARMCD)")
        if len(sources) != 1:
            problems.append(f"{where} ({entry.get('parmcd', '?')}): give exactly one of value, study, data; "
                            f"found {', '.join(sources) or 'none'}")
        elif "study" in entry and entry["study"] not in facts:
            problems.append(f"{where} ({entry.get('parmcd')}): unknown study fact {entry['study']!r}"
                            f"{closest(entry['study'], facts)} (valid: {', '.join(facts)})")
        elif "data" in entry and entry["data"] not in DATA_FACTS:
            problems.append(f"{where} ({entry.get('parmcd')}): unknown data fact {entry['data']!r}"
                            f"{closest(entry['data'], DATA_FACTS)} (valid: {', '.join(DATA_FACTS)})")
    if problems:
        raise SpecError([Problem(file, line, p) for p in problems])


def build_ts(study: Study, dm: pd.DataFrame | None = None, *, spec_name: str = "TS") -> pd.DataFrame:
    """TS: the trial summary parameters listed in the TS spec's `parameters.summary`.

    Each entry names `parmcd` and one of `value` (a literal or list), `study` (a fact of
    study.yaml, see `study_facts`) or `data` (a fact of the converted DM, see
    `data_facts`). `codelist` codes the value through CDISC CT (TSVALCD = C-code,
    TSVCDREF `CDISC CT`, TSVCDVER = `parameters.ct_version`, else the release of the SDTM CT
    package the study's codelists come from); otherwise `ref` names the
    reference (ISO 8601, ISO 3166, ClinicalTrials.gov …) and `code: value`
    makes the value its own code. A list gives one record per value (TSSEQ 1, 2 …). A
    value that is not available gets TSVALNF from the entry's `null_flavor` (default NI);
    an entry with `optional: true` is left out instead.
    """
    params = study.sdtm[spec_name].parameters
    _check_summary(study, spec_name)
    ct_version = str(params.get("ct_version") or next(
        (c.source.version for c in study.terminology if c.standard == "sdtm"), ""))
    facts = {"study": study_facts(study), "data": data_facts(dm)}
    rows = []
    for entry in params.get("summary", []):
        parmcd = entry["parmcd"]
        if "value" in entry:
            value = entry["value"]
        else:
            source = "study" if "study" in entry else "data"
            value = facts[source].get(entry[source])
        values = [str(v) for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]
        if not values and entry.get("optional"):
            continue
        tsparm = _tsparm(study, parmcd, entry)
        if not values:
            rows.append({"TSSEQ": 1.0, "TSPARMCD": parmcd, "TSPARM": tsparm, "TSVAL": "",
                         "TSVALNF": entry.get("null_flavor", "NI"), "TSVALCD": "",
                         "TSVCDREF": "", "TSVCDVER": ""})
            continue
        for seq, val in enumerate(values, start=1):
            code, ref, version = _coded(study, entry, val, ct_version)
            rows.append({"TSSEQ": float(seq), "TSPARMCD": parmcd, "TSPARM": tsparm, "TSVAL": val,
                         "TSVALNF": "", "TSVALCD": code, "TSVCDREF": ref, "TSVCDVER": version})
    frame = pd.DataFrame(rows, columns=["TSSEQ", "TSPARMCD", "TSPARM", "TSVAL", "TSVALNF",
                                        "TSVALCD", "TSVCDREF", "TSVCDVER"])
    frame.insert(0, "STUDYID", study.studyid)
    frame.insert(1, "DOMAIN", "TS")
    frame.insert(3, "TSGRPID", "")
    return frame


def subject_arms(dm: pd.DataFrame) -> pd.Series:
    """The arm whose elements each DM row went through: the actual arm (ACTARMCD), else the planned
    one (ARMCD) for a subject never treated, else ""."""
    planned = dm["ARMCD"].astype("string").fillna("") if "ARMCD" in dm else pd.Series("", index=dm.index)
    actual = dm["ACTARMCD"].astype("string").fillna("") if "ACTARMCD" in dm else pd.Series("", index=dm.index)
    return actual.where(actual != "", planned).astype("string")


def _of_own_arm(se: pd.DataFrame, dm: pd.DataFrame, study: Study) -> pd.Series:
    """Which candidate SE rows are elements of their subject's own arm (study.yaml `arms`). Without
    this, in a study of several arms every subject got every arm's elements: the other arm's, and
    a zero-length one of its own where both start on the same DM date. A subject without an arm of
    the study (a screen failure) keeps the elements every arm shares (screening)."""
    by_arm = {a.armcd: set(a.elements) for a in study.arms}
    shared = set.intersection(*by_arm.values()) if by_arm else set()
    arms = dict(zip(dm["USUBJID"].astype("string"), subject_arms(dm), strict=True))
    allowed = [by_arm.get(arms.get(u, ""), shared) for u in se["USUBJID"].astype("string")]
    return pd.Series([e in ok for e, ok in zip(se["ETCD"], allowed, strict=True)], index=se.index)


def _check_element_rules(study: Study, spec_name: str, dm: pd.DataFrame) -> None:
    """SE.yaml `parameters.elements`: each entry an element of study.yaml starting on a DM
    variable, `days` a whole number; `end` a DM variable. A SpecError at the spec's line otherwise."""
    spec = study.sdtm[spec_name]
    file, line = spec.place("parameters.elements")
    etcds = [e.etcd for e in study.elements]
    columns = list(dm.columns)
    problems = []
    end = spec.parameters.get("end", "RFPENDTC")
    if end not in columns:
        problems.append(f"{spec_name}.parameters.end: {end!r} is not a DM variable{closest(end, columns)}")
    for i, rule in enumerate(spec.parameters.get("elements") or []):
        where = f"{spec_name}.parameters.elements[{i}]"
        if not isinstance(rule, Mapping):
            problems.append(f"{where}: expected {{etcd, start, days}}, found {rule!r}")
            continue
        problems += [f"{where}: missing required key {k!r} (expected {what})"
                     for k, what in (("etcd", "an ETCD of study.yaml elements"), ("start", "a DM variable"))
                     if k not in rule]
        if "etcd" in rule and rule["etcd"] not in etcds:
            problems.append(f"{where}: etcd {rule['etcd']!r} is not an element of study.yaml"
                            f"{closest(rule['etcd'], etcds)} (elements: {', '.join(etcds)})")
        if "start" in rule and rule["start"] not in columns:
            problems.append(f"{where}: start {rule['start']!r} is not a DM variable"
                            f"{closest(rule['start'], columns)}")
        if "days" in rule and (not isinstance(rule["days"], int) or isinstance(rule["days"], bool)):
            problems.append(f"{where}: days must be a whole number of days, found {rule['days']!r}")
    if not spec.parameters.get("elements"):
        problems.append(f"{spec_name}.parameters.elements: missing or empty (expected a list of "
                        f"{{etcd, start, days}}, one per element, in planned order)")
    if problems:
        raise SpecError([Problem(file, line, p) for p in problems])


def build_se(dm: pd.DataFrame, study: Study, *, spec_name: str = "SE") -> pd.DataFrame:
    """SE: each subject's actual elements, placed on the calendar from DM's reference dates.

    SE.yaml `parameters.elements` lists, in planned order, each element's start rule:
    `{etcd, start: <DM variable>, days: <offset>}`. Without `days` the start is the DM
    value as collected (date or date-time); with `days` it is that date plus the offset
    (complete dates only). `parameters.end` names the DM variable ending participation.
    An element is present when its start is known and not after the end of participation;
    it ends where the subject's next present element starts, the last one at the end of
    participation. So a subject never infused has no CAR-T or follow-up element and stops
    at lymphodepletion (or screening, when lymphodepletion never started). Only the elements
    of the subject's own arm count (`subject_arms`: ACTARMCD, else ARMCD), so in a study of
    several arms each subject gets its arm's elements and no other's; an element that would end
    where it starts is left out (but a subject's first).
    TAETORD is the element's position in the subject's arm (blank outside it).
    Returns the rows without SESEQ/SESTDY/SEENDY, which the shared derivations add.
    """
    params = study.sdtm[spec_name].parameters
    end_var = params.get("end", "RFPENDTC")
    elements = {e.etcd: e for e in study.elements}
    _check_element_rules(study, spec_name, dm)
    end = dm[end_var].astype("string").fillna("")
    pieces = []
    for order, rule in enumerate(params["elements"]):
        start = dm[rule["start"]].astype("string").fillna("")
        if rule.get("days"):
            shifted = pd.to_datetime(date_part(start), format="%Y-%m-%d") + pd.Timedelta(days=rule["days"])
            start = shifted.dt.strftime("%Y-%m-%d").astype("string").fillna("")
        pieces.append(pd.DataFrame({
            "STUDYID": dm["STUDYID"], "USUBJID": dm["USUBJID"], "ARMCD": subject_arms(dm),
            "ETCD": rule["etcd"], "SESTDTC": start, "_END": end, "_ORDER": order,
        }))
    se = pd.concat(pieces, ignore_index=True)
    se = se[_of_own_arm(se, dm, study)]
    start_day, end_day = date_part(se["SESTDTC"]), date_part(se["_END"])
    after_end = (start_day > end_day).fillna(False).astype(bool)
    se = se[(se["SESTDTC"] != "") & ~after_end].sort_values(["USUBJID", "_ORDER"], kind="stable")
    following = se.groupby("USUBJID")["SESTDTC"].shift(-1)
    se["SEENDTC"] = following.where(following.notna(), se["_END"]).fillna("")
    # An element that ends where it starts (follow-up due on the day participation ended) has no
    # time in it: the subject never entered it. The subject's first element is kept whatever its
    # length, so that every subject has one.
    zero_length = (se["SEENDTC"] == se["SESTDTC"]) & (se.groupby("USUBJID").cumcount() > 0)
    se = se[~zero_length]

    planned = build_ta(study)[["ARMCD", "ETCD", "TAETORD"]]
    se = se.merge(planned, on=["ARMCD", "ETCD"], how="left")
    se["ELEMENT"] = se["ETCD"].map({e.etcd: e.element for e in elements.values()})
    se["EPOCH"] = se["ETCD"].map({e.etcd: e.epoch for e in elements.values()})
    se["DOMAIN"] = "SE"
    se["SEUPDES"] = ""
    return se[["STUDYID", "DOMAIN", "USUBJID", "ETCD", "ELEMENT", "TAETORD", "EPOCH",
               "SESTDTC", "SEENDTC", "SEUPDES"]].reset_index(drop=True)


# --- builders the specs name (`parameters: {builder: NAME}`) --------------------------------

@builder("trial_arms", params={})
def _trial_arms(ctx: Context) -> pd.DataFrame:
    """TA from study.yaml `arms` and `elements`."""
    return build_ta(ctx.study)


@builder("trial_elements", params={})
def _trial_elements(ctx: Context) -> pd.DataFrame:
    """TE from study.yaml `elements`."""
    return build_te(ctx.study)


@builder("trial_visits", params={})
def _trial_visits(ctx: Context) -> pd.DataFrame:
    """TV from study.yaml `visits` (the schedule of activities)."""
    return build_tv(ctx.study)


@builder("trial_inclusion", params={
    "eligibility": "the criteria in protocol order: [{category: INCLUSION|EXCLUSION, text, testcd}]; "
                   "without testcd INCL01.. / EXCL01..",
    "version": "TIVERS, the protocol version of the criteria"})
def _trial_inclusion(ctx: Context) -> pd.DataFrame:
    """TI from the spec's eligibility criteria (build_ti)."""
    return build_ti(ctx.study, spec_name=ctx.spec.name)


@builder("trial_summary", params={
    "summary": "[{parmcd, value | study | data, codelist | ref, code, null_flavor, optional}]: one "
               "trial summary parameter each (build_ts)",
    "ct_version": "TSVCDVER of CDISC CT codes (default the study's SDTM CT release)"})
def _trial_summary(ctx: Context) -> pd.DataFrame:
    """TS from the spec's trial summary parameters, their values literal or study and DM facts
    (build_ts)."""
    return build_ts(ctx.study, ctx.sdtm.get("DM"), spec_name=ctx.spec.name)


@builder("subject_elements", params={
    "elements": "[{etcd, start: DM variable, days: offset}] in planned order",
    "end": "the DM variable ending participation (default RFPENDTC)"},
    required=("elements",))
def _subject_elements(ctx: Context) -> pd.DataFrame:
    """SE: each subject's elements on the calendar from DM's reference dates (build_se)."""
    return build_se(ctx.domain("DM"), ctx.study, spec_name=ctx.spec.name)
