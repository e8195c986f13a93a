"""Time-to-event datasets by structure (`data_structure: TTE`): ADTTE or any other name.

A dataset spec with `data_structure: TTE` declares each time-to-event parameter once, under
`parameters: analysis_parameters:`, naming its start and its event and censoring sources
(adam.sources EVENT_SOURCES, CENSOR_SOURCES, and `start_censor`):

    - {paramcd: OS, start_date: TRTSDT, start_description: Treatment Start,
       events: [death_event], censors: [lastalive_censor, start_censor]}
    - {paramcd: PFS, start_date: TRTSDT, events: [pd_event, death_event],
       censors: [last_adequate_censor, missed_assessments_censor, nact_censor, start_censor]}
    - {paramcd: RSD, start_response: CRSP, events: [pd_event, death_event],
       censors: [last_adequate_censor]}       # from the first response of ADRS PARAMCD CRSP

PARAM is the decode of PARAMCD in the spec's PARAMCD codelist; the define.xml method text of
PARAMCD and CNSR is written from the same declarations (`describe_tte`), with the same source
objects the derivation runs. Each parameter is derived by `derive_param_tte_fda`: admiral's
derive_param_tte with the censoring rules of the FDA 2018 guidance on cancer trial endpoints
(docs/clinical.md section 5) where the declaration names their censoring sources: no adequate
assessment → censored at the start date (`start_censor`); new anticancer therapy before the event
→ censored at the last adequate assessment on or before it (`nact_censor`, dataset parameter
`nact_date`); event after two or more missed assessments → censored at the last adequate
assessment before the gap (`missed_assessments_censor`, `assessment_interval_days` ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adam.params import (
    PARAM_NAMES,
    AdslVars,
    OptionalAdslVar,
    compute_declaration_problems,
    compute_param_names,
)
from adam.sources import (
    CENSOR_SOURCES,
    EVENT_SOURCES,
    LAST_ADEQUATE_CENSOR,
    MISSED_ASSESSMENTS_CENSOR,
    NACT_CENSOR,
    START_CENSOR,
    CensorSource,
    EventSource,
    TimeToEventSource,
    compute_condition,
    start_censor,
)
from adam.tte import SUBJECT_KEYS, derive_param_tte, filter_extreme_sources
from specs.errors import Problem
from specs.model import DatasetSpec, Study
from specs.schema import closest

ADSL_VARS = ("ARMCD", "ARM", "ACTARMCD", "ACTARM", "AGE", "SEX")
DECLARATION_KEYS = ("paramcd", "start_date", "start_response", "start_description", "events", "censors")
# Adequate assessments (FDA 2018): an overall response that was done and is evaluable.
ADEQUATE = "PARAMCD == 'OVR' and ANL01FL == 'Y' and AVALC != 'NE'"
# Internal start column of a parameter that starts at a response (the ADRS date of it).
RESPONSE_START = "_RESPDT"
TTE_RULE = (
    "The earliest event wins; with no event, the latest censoring date. "
    "AVAL = ADT - STARTDT + 1 (days)."
)


@dataclass(frozen=True)
class TteDeclaration:
    """One time-to-event parameter: its PARAMCD, its start (an ADSL date, or the first response of
    an ADRS parameter), and the names of its event and censoring sources."""

    paramcd: str
    events: tuple[str, ...]
    censors: tuple[str, ...]
    start_date: str | None = None
    start_response: str | None = None
    start_description: str = "Treatment Start"

    def event_sources(self) -> list[EventSource]:
        return [EVENT_SOURCES[name] for name in self.events]

    def censor_sources(self) -> list[CensorSource]:
        """The censoring sources in declared order (ties between censoring dates: the last wins)."""
        return [start_censor(self.start_date, self.start_description) if name == START_CENSOR
                else CENSOR_SOURCES[name] for name in self.censors]


def declarations(values: Sequence[Mapping[str, Any]]) -> tuple[TteDeclaration, ...]:
    """The spec's `analysis_parameters` entries as declarations (checked by `check_tte`)."""
    return tuple(
        TteDeclaration(
            paramcd=v["paramcd"], events=tuple(v["events"]), censors=tuple(v.get("censors") or ()),
            start_date=v.get("start_date"), start_response=v.get("start_response"),
            **({"start_description": v["start_description"]} if "start_description" in v else {}),
        )
        for v in values
    )


def derive_param_tte_fda(
    dataset_adsl: pd.DataFrame,
    dataset_adrs: pd.DataFrame,
    *,
    start_date: str = "TRTSDT",
    event_conditions: Sequence[EventSource],
    censor_conditions: Sequence[CensorSource],
    nact_date: str | None = None,
    assessment_interval_days: int | None = None,
    assessment_window_days: int = 0,
    max_missed_assessments: int = 2,
    set_values_to: Mapping[str, object] | None = None,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """Time-to-event records (admiral derive_param_tte) with the FDA censoring rules whose sources
    `censor_conditions` holds, for the subjects of `dataset_adsl` with a start date.

    Adequate assessments are the ADRS OVR records with ANL01FL = Y and a response other than NE,
    on or after the start date. With NACT_CENSOR, a subject whose first event is not on or before
    `nact_date` (an ADSL variable: start of new anticancer therapy) is censored at the last adequate
    assessment on or before that date. With MISSED_ASSESSMENTS_CENSOR, an event more than
    `max_missed_assessments` × `assessment_interval_days` + `assessment_window_days` days after the
    last adequate assessment before it (or after the start date) is censored at that assessment.
    A subject either rule censors has no event: the datasets the event sources read leave it out.
    Raises ValueError when a rule's censoring source is given without its parameter.
    """
    keys = list(subject_keys)
    by_nact = NACT_CENSOR in censor_conditions
    by_gap = MISSED_ASSESSMENTS_CENSOR in censor_conditions
    if by_nact and nact_date is None:
        raise ValueError("the new anticancer therapy censoring needs nact_date (an ADSL date variable)")
    if by_gap and assessment_interval_days is None:
        raise ValueError("the missed assessments censoring needs assessment_interval_days")
    # A subject without a start date has no time at risk: no record rather than one with CNSR but
    # no STARTDT or AVAL (ADaMIG rules 247-249; docs/decisions.md D1).
    at_risk = dataset_adsl[dataset_adsl[start_date].notna()]
    adsl_vars = [start_date, *([nact_date] if by_nact else [])]
    subjects = at_risk[[*keys, *adsl_vars]].drop_duplicates(keys)
    subjects = subjects.assign(**{v: _as_date(subjects[v]) for v in adsl_vars})
    adrs = dataset_adrs.assign(ADT=_as_date(dataset_adrs["ADT"]))
    datasets = {"adrs": adrs, "adsl": at_risk}

    first_event = filter_extreme_sources(event_conditions, datasets, keys, mode="first")
    subjects = subjects.merge(first_event[[*keys, "ADT"]].rename(columns={"ADT": "_event_dt"}), on=keys,
                              how="left")
    adequate = adrs.loc[compute_condition(adrs, ADEQUATE) & adrs["AVALC"].notna(), [*keys, "ADT", "ASEQ"]]
    adequate = adequate.merge(subjects, on=keys, how="inner")
    adequate = adequate[adequate["ADT"] >= adequate[start_date]]
    before_event = adequate[~(adequate["ADT"] >= adequate["_event_dt"])]
    last_before = before_event.groupby(keys)["ADT"].max().rename("_last_dt")
    subjects = subjects.merge(last_before, on=keys, how="left")
    missed = pd.Series(False, index=subjects.index)
    if by_gap:
        gap = (subjects["_event_dt"] - subjects["_last_dt"].fillna(subjects[start_date])).dt.days
        allowed = max_missed_assessments * assessment_interval_days + assessment_window_days
        missed = (gap > allowed).fillna(False)
    after_nact = pd.Series(False, index=subjects.index)
    if by_nact:
        nact = subjects[nact_date]
        after_nact = nact.notna() & ~(subjects["_event_dt"] <= nact).fillna(False)
    subjects["_reason"] = np.select([after_nact, missed], ["nact", "missed"], default="none")

    adequate = adequate.merge(subjects[[*keys, "_reason"]], on=keys)
    datasets |= {
        LAST_ADEQUATE_CENSOR.dataset_name: adequate[adequate["_reason"] == "none"],
        MISSED_ASSESSMENTS_CENSOR.dataset_name: adequate[
            (adequate["_reason"] == "missed") & (adequate["ADT"] < adequate["_event_dt"])],
    }
    if by_nact:
        datasets[NACT_CENSOR.dataset_name] = adequate[
            (adequate["_reason"] == "nact") & (adequate["ADT"] <= adequate[nact_date])]
    uncensored = subjects.loc[subjects["_reason"] == "none", keys]
    datasets |= {name: datasets[name].merge(uncensored, on=keys)
                 for name in {source.dataset_name for source in event_conditions}}
    return derive_param_tte(
        at_risk,
        datasets,
        start_date=start_date,
        event_conditions=event_conditions,
        censor_conditions=censor_conditions,
        set_values_to=set_values_to,
        subject_keys=keys,
    )


def build_tte(
    adsl: pd.DataFrame,
    adrs: pd.DataFrame,
    *,
    analysis_parameters: Sequence[Mapping[str, Any]],
    param_names: Mapping[str, str] | None = None,
    nact_date: OptionalAdslVar = None,
    assessment_interval_days: int | None = None,
    assessment_window_days: int = 0,
    max_missed_assessments: int = 2,
    adsl_vars: AdslVars = ADSL_VARS,
    subject_keys: Sequence[str] = SUBJECT_KEYS,
) -> pd.DataFrame:
    """A time-to-event dataset from ADSL and ADRS, one parameter per declaration in
    ``analysis_parameters`` (see the module docstring), each by `derive_param_tte_fda`.

    A parameter with ``start_response`` starts at the date of the first response of that ADRS
    PARAMCD (AVALC = Y, ANL01FL = Y): only responders have a record (duration of response). The FDA
    rules' parameters (``nact_date``, ``assessment_interval_days`` ...) are the study's, used by the
    parameters that name the rules' censoring sources. ASEQ numbers each subject's records by
    PARAMCD; ``adsl_vars`` are copied from ADSL. PARAM: ``param_names`` (filled from the PARAMCD
    codelist's decodes, not set in the spec).
    """
    keys = list(subject_keys)
    rules = {"nact_date": nact_date, "assessment_interval_days": assessment_interval_days,
             "assessment_window_days": assessment_window_days,
             "max_missed_assessments": max_missed_assessments, "subject_keys": keys}
    made = []
    for declaration in declarations(analysis_parameters):
        dataset_adsl, start = adsl, declaration.start_date
        if declaration.start_response is not None:
            responders = adrs[
                compute_condition(adrs, f"PARAMCD == '{declaration.start_response}' and AVALC == 'Y'")
                & compute_condition(adrs, "ANL01FL == 'Y'")
            ][[*keys, "ADT"]].rename(columns={"ADT": RESPONSE_START})
            dataset_adsl = adsl.merge(responders, on=keys, how="inner", validate="one_to_one")
            start = RESPONSE_START
        made.append(derive_param_tte_fda(
            dataset_adsl, adrs, start_date=start,
            event_conditions=declaration.event_sources(), censor_conditions=declaration.censor_sources(),
            set_values_to={"PARAMCD": declaration.paramcd}, **rules))
    tte = pd.concat(made, ignore_index=True)
    tte = tte.sort_values([*keys, "PARAMCD"], kind="stable").reset_index(drop=True)
    tte["ASEQ"] = tte.groupby(keys, sort=False).cumcount() + 1
    tte["PARAM"] = tte["PARAMCD"].map(dict(param_names or {})).astype("string")
    extra = [v for v in adsl_vars if v in adsl and v not in tte]
    return tte.merge(adsl[[*keys, *extra]], on=keys, how="left", validate="many_to_one")


# --- the spec checks and the define.xml text ----------------------------------------------------

def check_tte(spec: DatasetSpec, study: Study, parameters: Mapping[str, Any]
              ) -> tuple[dict[str, Any], list[Problem]]:
    """Problems of the spec's time-to-event declarations, each at its line, and the parameters they
    imply (`param_names`: PARAMCD → the decode in the codelist of the spec's PARAMCD variable)."""
    found: list[tuple[str, str]] = []
    made: dict[str, str] = {}  # PARAMCD -> the declaration that makes it
    entries = parameters.get("analysis_parameters")
    if not isinstance(entries, list) or not entries:
        found.append(("parameters.analysis_parameters",
                      "parameters.analysis_parameters: expected a list of time-to-event declarations "
                      "({paramcd: CODE, start_date: ADSLVAR, events: [...], censors: [...]})"))
        entries = []
    adsl = study.adam.get("ADSL")
    responses = _adrs_paramcds(study)
    for i, entry in enumerate(entries):
        where = f"parameters.analysis_parameters[{i}]"
        found += _declaration_problems(entry, where, parameters, adsl.variable_names() if adsl else None,
                                       responses)
        if isinstance(entry, Mapping) and isinstance(entry.get("paramcd"), str):
            if entry["paramcd"] in made:
                found.append((where, f"{where}: PARAMCD {entry['paramcd']} is declared twice"))
            made.setdefault(entry["paramcd"], where)
    names, problems = compute_param_names(spec, study, made)
    return {PARAM_NAMES: names}, [Problem(*spec.place(part), text) for part, text in found] + problems


def _adrs_paramcds(study: Study) -> tuple[str, ...] | None:
    """The PARAMCDs of the study's ADRS codelist, which a `start_response` names (None: unknown)."""
    variable = study.adam["ADRS"].variable("PARAMCD") if "ADRS" in study.adam else None
    codelist = study.codelists.get(variable.codelist) if variable and variable.codelist else None
    return codelist.values() if codelist else None


def _declaration_problems(entry: Any, where: str, parameters: Mapping[str, Any],
                          adsl: Sequence[str] | None, responses: Sequence[str] | None
                          ) -> list[tuple[str, str]]:
    """(spec part, message) for each problem of one declaration."""
    found = compute_declaration_problems(entry, where, DECLARATION_KEYS)
    if not isinstance(entry, Mapping):
        return found
    if ("start_date" in entry) == ("start_response" in entry):
        found.append((where, f"{where}: give either start_date (an ADSL date variable) or start_response "
                             f"(an ADRS PARAMCD whose first response starts the time), not "
                             f"{'both' if 'start_date' in entry else 'neither'}"))
    start = entry.get("start_date")
    if start is not None and adsl is not None and start not in adsl:
        found.append((f"{where}.start_date", f"{where}.start_date: the study's ADSL spec has no variable "
                                             f"{start}{closest(start, adsl)}"))
    response = entry.get("start_response")
    if response is not None and responses is not None and response not in responses:
        found.append((f"{where}.start_response", f"{where}.start_response: {response} is not a PARAMCD of "
                                                 f"ADRS{closest(response, responses)}"))
    for key, valid, kind in (("events", list(EVENT_SOURCES), "event"),
                             ("censors", [*CENSOR_SOURCES, START_CENSOR], "censoring")):
        names = entry.get(key, [] if key == "censors" else None)
        if not isinstance(names, list) or (key == "events" and not names):
            found.append((f"{where}.{key}", f"{where}.{key}: expected a list of {kind} source names "
                                            f"({', '.join(valid)})"))
            continue
        found += [(f"{where}.{key}", f"{where}.{key}: no {kind} source {name!r}{closest(name, valid)} "
                                     f"({kind} sources: {', '.join(valid)})")
                  for name in names if name not in valid]
    censors = entry.get("censors") or []
    needs = {"nact_censor": "nact_date", "missed_assessments_censor": "assessment_interval_days"}
    found += [(f"{where}.censors", f"{where}.censors: {name} needs parameters.{parameter}, which is not set")
              for name, parameter in needs.items()
              if isinstance(censors, list) and name in censors and parameters.get(parameter) is None]
    if isinstance(censors, list) and START_CENSOR in censors and start is None:
        found.append((f"{where}.censors", f"{where}.censors: {START_CENSOR} needs a start_date"))
    return found


def describe_tte(spec: DatasetSpec, parameters: Mapping[str, Any]) -> dict[str, str]:
    """define.xml method text of PARAMCD and CNSR, a paragraph per parameter, from the declarations
    and the source objects the derivation runs (`parameters`: every parameter build_tte runs with)."""
    missed = (
        f" Missed assessments: an event more than {parameters['max_missed_assessments']} x "
        f"{parameters['assessment_interval_days']} + {parameters['assessment_window_days']} days "
        "after the last adequate assessment (or the start date)."
    )
    paramcd, cnsr = {}, {}
    for d in declarations(parameters["analysis_parameters"]):
        if d.start_response is None:
            start = f"Start {d.start_date}."
            paramcd[d.paramcd] = f"One record per subject with a start date (ADSL.{d.start_date})."
        else:
            start = f"Start: date of the first response (ADRS PARAMCD = {d.start_response}, AVALC = Y)."
            paramcd[d.paramcd] = f"One record per responder (ADRS PARAMCD = {d.start_response}, AVALC = Y)."
        sources: list[TimeToEventSource] = [*d.event_sources(), *d.censor_sources()]
        lines = [f"{i}. {source.describe()}" for i, source in enumerate(sources, start=1)]
        cnsr[d.paramcd] = (f"{start}\n" + "\n".join(lines) + f"\n{TTE_RULE}"
                           + (missed if "missed_assessments_censor" in d.censors else ""))
    return {"PARAMCD": _paragraphs(paramcd), "CNSR": _paragraphs(cnsr)}


def _paragraphs(texts: Mapping[str, str]) -> str:
    return "\n\n".join(f"PARAMCD = {code}: {text}" for code, text in texts.items())


def _as_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[ns]").dt.normalize()
