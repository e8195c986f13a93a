"""define.xml method text of the derivations whose rules are objects (adam.sources), per study.

The response and censoring rules are built with the study's own parameters (confirmation
days, SD minimum, TEAE window, start date, FDA censoring options) and described by the same
objects the derivation runs, so the method documented is the method run. A text here is
meant to replace the spec's static `method:` of the same variable in define.xml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adam.adrs import WINDOW_PARAMS
from adam.build import BUILDERS, OCCDS_BUILDER, STRUCTURES, builder_for
from adam.params import effective_parameters
from adam.sources import (
    NO_DATA_N,
    RSP_Y,
    bor_events,
    clinical_benefit_event,
    confirmed_bor_events,
    confirmed_response_events,
    describe_events,
)
from specs.model import Study


def methods(study: Study) -> dict[tuple[str, str], str]:
    """Method text by (dataset, variable) for TRTEMFL of every occurrence dataset (ADAE, or any
    built by structure OCCDS) and ADRS AVALC, where specified, and what the builder of each
    dataset built by a structure describes (BDS: PARAMCD and AVAL; TTE: PARAMCD and CNSR).

    Per-parameter rules (ADRS AVALC, TTE CNSR) come as one text with a paragraph per
    PARAMCD, each starting "PARAMCD = X:".
    """
    found: dict[tuple[str, str], str] = {}
    for name, spec in study.adam.items():
        if builder_for(spec) is OCCDS_BUILDER:
            found[(name, "TRTEMFL")] = _trtemfl(effective_parameters(spec, study, OCCDS_BUILDER.function))
    if "ADRS" in study.adam:
        found[("ADRS", "AVALC")] = _response(_parameters(study, "ADRS"))
    # A dataset built by structure: from the same parameter declarations the builder runs.
    for name, spec in study.adam.items():
        builder = STRUCTURES.get(spec.data_structure or "")
        if builder is not None and builder.describe is not None:
            parameters = effective_parameters(spec, study, builder.function)
            found |= {(name, variable): text for variable, text in builder.describe(spec, parameters).items()}
    return found


def _parameters(study: Study, name: str) -> dict[str, Any]:
    return effective_parameters(study.adam[name], study, BUILDERS[name].function)


def _paragraphs(texts: Mapping[str, str]) -> str:
    return "\n\n".join(f"PARAMCD = {paramcd}: {text}" for paramcd, text in texts.items())


def _trtemfl(p: Mapping[str, Any]) -> str:
    window = p["teae_window_days"]
    upper = "(no upper limit)"
    if window is not None:
        upper = f"and ASTDT on or before {p['trt_end_date']} + {window} days"
    start = p["trt_start_datetime"]
    text = (
        f"Y when {start} is known, the event did not end before it (AENDTM), and ASTDTM is missing or "
        f"on or after {start} {upper}"
    )
    if p.get("intensity"):
        text += f"; also Y when it started before treatment and {p['intensity']} worsened"
    return text + (
        " (admiral derive_var_trtemfl; the first rule that applies wins). Date-times are compared: an "
        f"event on the day of {start} but before its time is not emergent; a start without time on "
        f"that day is imputed to {start}."
    )


def _response(p: Mapping[str, Any]) -> str:
    used = f"OVR records with ANL01FL = Y on or after {p['reference_date']}"
    if p["nact_date"]:
        used += f", before {p['nact_date']}"
    used += ", up to and including the first PD"
    windows = "".join(
        f" For {', '.join(code + suffix for code in WINDOW_PARAMS)}: the same rules on these "
        f"assessments up to {days} days after {p['reference_date']}."
        for suffix, days in (p["response_windows"] or {}).items()
    )
    confirmed = dict(
        confirmation_days=p["confirmation_days"],
        max_ne_between=p["max_ne_between"],
        no_pr_after_cr=p["no_pr_after_cr"],
    )
    benefit = clinical_benefit_event(sd_min_days=p["sd_min_days"])
    confirmed_y = confirmed_response_events(result_cr="Y", result_pr="Y", **confirmed)
    rules = {
        "BOR": describe_events(bor_events(sd_min_days=p["sd_min_days"])),
        "CBOR": describe_events(confirmed_bor_events(sd_min_days=p["sd_min_days"], **confirmed)),
        "RSP": describe_events((RSP_Y, NO_DATA_N)),
        "CRSP": describe_events((*confirmed_y, NO_DATA_N)),
        "CB": describe_events((RSP_Y, benefit, NO_DATA_N)),
        "CCB": describe_events((*confirmed_y, benefit, NO_DATA_N)),
    }
    return f"Assessments used: {used}.{windows}\n\n" + _paragraphs(rules)
