"""define.xml method text for the SDTM variables the engine derives, from the rules it runs.

Every registered algorithm has a describer here that states what it does with the parameters
the spec gives it, so the method documented is the method run. `methods(study)` gives a text
for each Derived variable of each SDTM spec that does not write its own `method:` (a spec's text
is kept: its author knows the intent better than a rule's parameters do). A variable filled
by source blocks of different forms gets one sentence per form. The pipeline passes the result
to `define.writer.write_define(..., methods=...)`, as `adam.methods.methods` for ADaM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from specs.model import DatasetSpec, Rule, Study

Describer = Callable[[Rule, DatasetSpec, str], str]  # rule, dataset spec, target variable


def methods(study: Study) -> dict[tuple[str, str], str]:
    """Method text by (dataset, variable) for the study's Derived SDTM variables."""
    found: dict[tuple[str, str], str] = {}
    parents = {f"SUPP{s.name}": s for s in study.sdtm.values() if s.supplemental}
    for spec in study.sdtm.values():
        for variable in spec.variables:
            if variable.origin != "Derived" or variable.method:
                continue
            if spec.name in parents:
                text = supp_method(parents[spec.name], variable.name)
            else:
                text = variable_method(spec, variable.name)
            if text:
                found[(spec.name, variable.name)] = text
    return found


def supp_method(parent: DatasetSpec, name: str) -> str | None:
    """What sdtm.supp.derive_supp puts in each SUPP-- variable of `parent`'s qualifiers."""
    idvar = "" if parent.name == "DM" else f"{parent.name[:2]}SEQ"
    per_subject = "Null: the qualifiers are per subject."
    qualifiers = "; ".join(
        f"{q.qnam} = {q.continues} continued, piece {q.qnam[-1]} (SDTMIG 4.5.3.2)"
        if q.continues else f"{q.qnam} = {q.field} ({q.qlabel})"
        for q in parent.supplemental)
    pieces = (" A piece of text over 200 characters: at most 200 characters of it, cut between words."
              if any(q.continues for q in parent.supplemental) else "")
    return {
        "STUDYID": f"STUDYID of the {parent.name} record.",
        "RDOMAIN": f'"{parent.name}", the parent domain.',
        "USUBJID": f"USUBJID of the {parent.name} record.",
        "IDVAR": f'"{idvar}".' if idvar else per_subject,
        "IDVARVAL": f"{idvar} of the {parent.name} record." if idvar else per_subject,
        "QNAM": f"One record per qualifier with a value: {qualifiers}.",
        "QLABEL": "The qualifier's label in the spec.",
        "QVAL": "The qualifier's collected field, through its codelist where it has one." + pieces,
        "QORIG": "The qualifier's origin in the spec (CRF by default).",
        "QEVAL": "The qualifier's evaluator in the spec; null for collected values.",
    }.get(name)


def variable_method(spec: DatasetSpec, name: str) -> str | None:
    """The method text of one variable of `spec`, or None when no rule of the spec fills it."""
    variable = spec.variable(name)
    if variable is not None and variable.algorithm:
        return _sentence(describe(Rule(variable.algorithm, None, variable.params), spec, name))
    by_form: dict[str, str] = {}
    for block in spec.sources:
        if name in block.map:
            by_form.setdefault(block.form, describe(block.map[name], spec, name, block.form))
    texts = list(dict.fromkeys(by_form.values()))
    if len(texts) == 1:
        return _sentence(texts[0])
    if texts:
        return " ".join(_sentence(f"From the {form} form: {text}") for form, text in by_form.items())
    return None


def describe(rule: Rule | Mapping[str, Any] | str, spec: DatasetSpec, target: str,
             form: str | None = None) -> str:
    """What one rule (a source rule, a variable's algorithm, or a nested `with:` rule) filling
    `target` does; `form` is the raw form of a source rule."""
    rule = _as_rule(rule)
    describer = DESCRIBERS.get(rule.algorithm)
    if describer is None:
        return f"Algorithm {rule.algorithm}"
    text = describer(rule, spec, target)
    return f"{text} ({form} form)" if form and rule.algorithm in _FROM_A_FIELD else text


def _as_rule(rule: Rule | Mapping[str, Any] | str) -> Rule:
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, str):
        return Rule("assign", rule)
    return Rule(rule["algorithm"], rule.get("field"), rule.get("with", {}))


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _field(rule: Rule) -> str:
    return rule.field or rule.params.get("field") or rule.params.get("date") or "the field"


def _names(values: Sequence[str]) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


# --- one describer per registered algorithm ---------------------------------------------------

def _assign(rule: Rule, spec: DatasetSpec, target: str) -> str:
    return f"{_field(rule)} as collected" + (", in upper case" if rule.params.get("upper") else "")


def _assign_ct(rule: Rule, spec: DatasetSpec, target: str) -> str:
    variable = spec.variable(target)
    codelist = rule.params.get("codelist") or (variable.codelist if variable else None)
    return f"{_field(rule)} mapped to its submission value in codelist {codelist}"


def _hardcode(rule: Rule, spec: DatasetSpec, target: str) -> str:
    return f'"{rule.params.get("value")}"'


def _checkbox(rule: Rule, spec: DatasetSpec, target: str) -> str:
    text = f"Y when {_field(rule)} is ticked"
    answered = rule.params.get("answered")
    return text + (f"; N when it is not and {answered} is answered; else null" if answered
                   else "; else N")


def _condition(rule: Rule, spec: DatasetSpec, target: str) -> str:
    then = describe(rule.params.get("then", ""), spec, target)
    otherwise = describe(rule.params["else"], spec, target) if "else" in rule.params else "null"
    return f"where {rule.params.get('when')}: {then}; otherwise {otherwise}"


def _decode(rule: Rule, spec: DatasetSpec, target: str) -> str:
    return f"the name (decode) of {_field(rule)} in codelist {rule.params.get('codelist')}"


def _iso8601(rule: Rule, spec: DatasetSpec, target: str) -> str:
    time = rule.params.get("time")
    parts = f"{_field(rule)} and {time}" if time else _field(rule)
    return (f"{parts} in ISO 8601; unknown day or month (UN, UNK) truncated, or a hyphen when a "
            f"known part follows; no imputation")


def _usubjid(rule: Rule, spec: DatasetSpec, target: str) -> str:
    parts = rule.params.get("parts", ["STUDYID", "SUBJID"])
    return f"{_names(parts)} joined by \"{rule.params.get('sep', '-')}\""


_PICKS = {"first": "first non-missing", "last": "last non-missing", "min": "earliest (lowest)",
          "max": "latest (highest)"}


def _per_subject(rule: Rule, spec: DatasetSpec, target: str) -> str:
    inner = describe(rule.params.get("rule", rule.field or ""), spec, target)
    pick = _PICKS.get(rule.params.get("pick", "first"), rule.params.get("pick"))
    return f"per subject, the {pick} value on the {rule.params.get('form')} form of: {inner}"


def _combine(rule: Rule, spec: DatasetSpec, target: str) -> str:
    rules = "; ".join(f"({i}) {describe(r, spec, target)}"
                      for i, r in enumerate(rule.params.get("rules", []), 1))
    pick = _PICKS.get(rule.params.get("pick", "first"), rule.params.get("pick"))
    return f"the {pick} of {rules}"


def _seq(rule: Rule, spec: DatasetSpec, target: str) -> str:
    by = list(rule.params.get("by", ["USUBJID"]))
    order = rule.params.get("order")
    if not order:
        return f"sequence number of the record within {_names(by)}, in the order of the dataset keys"
    # Internal columns (_ROW, _TESTCD) order by the raw record: the form row, the item.
    named = [o for o in order if not o.startswith("_")] + (
        ["the raw record"] if any(o.startswith("_") for o in order) else [])
    return f"sequence number of the record within {_names(by)}, in the order of {_names(named)}"


def _study_day(rule: Rule, spec: DatasetSpec, target: str) -> str:
    date, ref = rule.params.get("date"), rule.params.get("reference", "RFSTDTC")
    return (f"(date of {date} - date of DM.{ref}) + 1 when on or after DM.{ref}, else the difference; "
            f"no day 0; null unless both dates are complete")


def _epoch(rule: Rule, spec: DatasetSpec, target: str) -> str:
    return (f"EPOCH of the subject's last element in SE that started on or before the date of "
            f"{rule.params.get('date')}; null for a partial date or a date before the first element")


_UNSCHEDULED = ("an unscheduled visit (EDC folder UNS<n>) takes the VISITNUM that SV gives the same "
                "subject and folder, else that of the last scheduled visit on or before {date} + 0.01 x n")


def _visitnum(rule: Rule, spec: DatasetSpec, target: str) -> str:
    date = rule.params.get("date", "the record's date")
    return ("VISITNUM of the record's EDC folder in the schedule of activities; "
            + _UNSCHEDULED.format(date=date))


def _visit(rule: Rule, spec: DatasetSpec, target: str) -> str:
    return ("name of the record's scheduled visit (EDC folder) in the schedule of activities; "
            "UNSCHEDULED followed by VISITNUM for an unscheduled visit")


def _visitdy(rule: Rule, spec: DatasetSpec, target: str) -> str:
    return "planned study day of the record's scheduled visit; null for an unscheduled visit"


def _lobxfl(rule: Rule, spec: DatasetSpec, target: str) -> str:
    p = rule.params
    ref = p.get("reference", "RFXSTDTC")
    return (f"Y on the last record per {_names(p.get('by', []))} with a non-missing {p.get('result')} "
            f"whose {p.get('date')} is on or before DM.{ref} (compared by date, or by time and strictly "
            f"before when both carry a time); else null")


def _conversions(rule: Rule) -> str:
    found = rule.params.get("conversions", ())
    return "".join(f"; {c['from']} x {c['factor']} gives {c['to']}" for c in found)


def _stresc(rule: Rule, spec: DatasetSpec, target: str) -> str:
    return (f"{rule.params.get('result')} in standard units{_conversions(rule)}; numbers without "
            f"trailing zeros, other results as collected")


def _stresu(rule: Rule, spec: DatasetSpec, target: str) -> str:
    unit = rule.params.get("unit", "the unit")
    return f"standard unit of {unit}{_conversions(rule)}; null without a result"


def _stresn(rule: Rule, spec: DatasetSpec, target: str) -> str:
    return f"numeric value of {rule.params.get('from')}; null when it is not a number"


def _arm(rule: Rule, spec: DatasetSpec, target: str) -> str:
    part = rule.params.get("value", "ARMCD")
    form, field = rule.params.get("form"), rule.params.get("field")
    if form:
        text = (f"{part} of the arm collected in {form}.{field} (an ARMCD or ARM of the trial "
                f"design); null when none")
    else:
        text = f"{part} of the study's single arm"
    if rule.params.get("actual"):
        text += f" when {rule.params.get('treated', 'RFXSTDTC')} is not null, else null"
    return text


def _armnrs(rule: Rule, spec: DatasetSpec, target: str) -> str:
    text = f"ASSIGNED, NOT TREATED when {rule.params.get('treated', 'RFXSTDTC')} is null"
    if rule.params.get("form"):
        text = (f"NOT ASSIGNED when {rule.params['form']}.{rule.params.get('field')} gives no arm; "
                f"else {text}")
    return text


def _blq(rule: Rule, spec: DatasetSpec, target: str) -> str:
    p = rule.params
    part, result = p.get("part", "stresc"), _field(rule)
    if part == "stresn":
        return f"{result} as a number; null when below the limit of quantitation"
    if part == "lloq":
        given = f"{p['lloq']}, else " if p.get("lloq") else ""
        default = ", else the analyte's LLOQ in the study's kinetics" if p.get("analyte") else ""
        return f"lower limit of quantitation: {given}the limit in a '< n' result{default}"
    return (f"{result} as a number without thousands separators, or {p.get('blq_text', '<BLQ')} for "
            f"any spelling of a result below the limit of quantitation (<LLOQ, BLQ, < n ...)")


def _elapsed_time(rule: Rule, spec: DatasetSpec, target: str) -> str:
    p = rule.params
    field = _field(rule)
    return {
        "tpt": f"{field} in upper case with single spaces",
        "eltm": (f"ISO 8601 duration from the reference of the planned time point {field} (DAY n gives "
                 f"PnD, n H/MIN PRE/POST gives -/PTnH, PTnM; a visit name or a blank time point, the "
                 f"visit's protocol day)"),
        "tptnum": f"the elapsed time of the planned time point {field} in days",
        "tptref": f"\"{p.get('reference')}\" where the planned time point has an elapsed time",
    }.get(p.get("part", "eltm"), field)


def _sum_of_diameters(rule: Rule, spec: DatasetSpec, target: str) -> str:
    p = rule.params
    by = _names(p.get("by", ["SITEID", "SUBJID", "FOLDER"]))
    if p.get("part", "value") == "reasnd":
        return (f"\"{p.get('reason', 'TARGET LESION NOT ASSESSED')}\" when a {p.get('target')} lesion "
                f"of the assessment has no {p.get('diameter')}")
    return (f"sum of {p.get('diameter')} over the lesions with {p.get('type')} = {p.get('target')} "
            f"of the assessment (same {by}); null when one of them was not measured")


def _nrind(rule: Rule, spec: DatasetSpec, target: str) -> str:
    p = rule.params
    return (f"LOW when {p.get('value')} < {p.get('low')}, HIGH when > {p.get('high')}, else NORMAL; "
            f"null without a value or a range")


DESCRIBERS: dict[str, Describer] = {
    "assign": _assign, "assign_ct": _assign_ct, "hardcode": _hardcode, "checkbox": _checkbox,
    "condition": _condition, "decode": _decode, "iso8601": _iso8601, "usubjid": _usubjid,
    "per_subject": _per_subject, "combine": _combine, "seq": _seq, "study_day": _study_day,
    "epoch": _epoch, "visitnum": _visitnum, "visit": _visit, "visitdy": _visitdy,
    "lobxfl": _lobxfl, "stresc": _stresc, "stresu": _stresu, "stresn": _stresn, "arm": _arm,
    "armnrs": _armnrs, "blq": _blq, "elapsed_time": _elapsed_time,
    "sum_of_diameters": _sum_of_diameters, "nrind": _nrind,
}
# Algorithms that read a field of a raw form: their text names the form.
_FROM_A_FIELD = {"assign", "assign_ct", "checkbox", "iso8601", "blq", "elapsed_time"}
