"""A study's resolved specs (after `extends:`), or what a define.xml holds, as the rows of the P21
define-spec workbook (specs.workbook.SHEETS).

Methods and comments stand in the Methods and Comments sheets; the Variables and ValueLevel rows
name them by ID, as P21's layout does, and value-level conditions stand in WhereClauses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from specs.errors import Problem, SpecError
from specs.model import Codelist, DatasetSpec, Study, Variable
from specs.workbook import EXTRA, Tables, flatten
from specs.yamlio import read_yaml

PURPOSE = {"sdtm": "Tabulation", "adam": "Analysis"}
GUIDE = {"sdtm": ("sdtmig", "SDTMIG"), "adam": ("adamig", "ADaMIG")}
# The study's other spec files, carried whole by clinforge's key/value sheets.
DOCUMENT_SHEETS = {"study.yaml": EXTRA + "Study", "forms.yaml": EXTRA + "Forms",
                   "analyses.yaml": EXTRA + "Analyses"}


def study_tables(study: Study) -> Tables:
    """Every sheet's rows for a loaded study: the P21 sheets from its resolved dataset specs and
    codelists, clinforge's from its mapping rules, qualifiers and other spec files."""
    tables: Tables = {}
    add(tables, "Study", [{"attribute": "StudyName", "value": study.studyid},
                          {"attribute": "StudyDescription", "value": study.title},
                          {"attribute": "ProtocolName", "value": study.studyid}])
    folder = Path(study.folder)
    for file, sheet in DOCUMENT_SHEETS.items():
        if (folder / file).is_file():
            add(tables, sheet, flatten(plain(read_yaml(folder / file))))
    for kind in ("sdtm", "adam"):
        key, guide = GUIDE[kind]
        standard = f"{guide} {study.standards.get(key, '')}".strip()
        for spec in getattr(study, kind).values():
            dataset_tables(tables, spec, standard)
    add(tables, "Codelists", codelist_rows(study.codelists[n] for n in study_codelists(study)))
    return tables


def define_tables(datasets: Mapping[str, DatasetSpec], codelists: Mapping[str, Codelist],
                  study: Mapping[str, str], documents: Iterable[Mapping[str, str]] = ()) -> Tables:
    """The P21 sheets from what a define.xml holds (define.reader): `study` its GlobalVariables,
    `documents` its def:leaf elements as {id, title, href}."""
    tables: Tables = {}
    add(tables, "Study", [{"attribute": k, "value": v} for k, v in study.items()])
    for spec in datasets.values():
        dataset_tables(tables, spec, "")
    add(tables, "Codelists", codelist_rows(codelists.values()))
    add(tables, "Documents", [dict(d) for d in documents])
    return tables


def add(tables: Tables, sheet: str, rows: Iterable[dict[str, Any]]) -> None:
    tables.setdefault(sheet, []).extend(rows)


def dataset_tables(tables: Tables, spec: DatasetSpec, standard: str) -> None:
    """The rows one dataset spec adds to Datasets, Variables, ValueLevel, WhereClauses, Methods,
    Comments and clinforge's Sources and Supplemental."""
    name = spec.name
    add(tables, "Datasets", [{
        "dataset": name, "label": spec.label, "class": spec.dataset_class, "structure": spec.structure,
        "purpose": PURPOSE[spec.kind], "keys": spec.keys, "standard": standard,
        "repeating": "Yes" if spec.repeating else "No",
        "reference_data": "Yes" if spec.is_reference_data else "No",
        "comment": note(tables, "Comments", f"COM.{name}", spec.comment),
        "parameters": spec.parameters or None, "data_structure": spec.data_structure,
    }])
    add(tables, "Variables", [variable_row(tables, name, v) for v in spec.variables])
    for i, vl in enumerate(spec.value_level, start=1):
        where = f"WC.{name}.{i}"
        commas = [v for values in vl.where.values() for v in values if "," in v]
        if commas:
            # P21's Value column separates the values of an IN condition by commas.
            file, line = spec.place("value_level")
            raise SpecError([Problem(file, line, f"{name} value_level {vl.variable}: the where value "
                                                 f"{commas[0]!r} holds a comma, which the workbook's "
                                                 f"WhereClauses sheet cannot tell from a separator")])
        add(tables, "WhereClauses", [
            {"id": where, "dataset": name, "variable": var, "value": values,
             "comparator": "EQ" if len(values) == 1 else "IN"}
            for var, values in vl.where.items()])
        add(tables, "ValueLevel", [{
            "order": i, "dataset": name, "variable": vl.variable, "where": where, "label": vl.label,
            "data_type": data_type(vl.variable, vl.type, vl.significant_digits), "length": vl.length,
            "significant_digits": vl.significant_digits, "codelist": vl.codelist, "origin": vl.origin,
            "method": note(tables, "Methods", f"MT.{name}.{vl.variable}.{i}", vl.method),
            "unit": vl.unit,
        }])
    for block_number, block in enumerate(spec.sources, start=1):
        common = {"dataset": name, "block": block_number, "form": block.form, "where": block.where,
                  "distinct": block.distinct}
        rules = [{**common, "target": target, "algorithm": rule.algorithm, "field": rule.field,
                  "with": rule.params or None, "optional": rule.optional or None}
                 for target, rule in block.map.items()]
        add(tables, EXTRA + "Sources", rules or [common])
    add(tables, EXTRA + "Supplemental", [
        {"dataset": name, "qnam": q.qnam, "qlabel": q.qlabel, "field": q.field, "qorig": q.qorig,
         "qeval": q.qeval, "codelist": q.codelist, "optional": q.optional or None}
        for q in spec.supplemental])


def variable_row(tables: Tables, dataset: str, v: Variable) -> dict[str, Any]:
    # P21 puts a Predecessor origin's source (DM.AGE) in its own column.
    predecessor = v.origin == "Predecessor"
    return {
        "order": v.order, "dataset": dataset, "name": v.name, "label": v.label,
        "data_type": data_type(v.name, v.type, v.significant_digits), "length": v.length,
        "significant_digits": v.significant_digits, "format": v.format,
        "mandatory": "Yes" if v.core == "Req" else "No", "codelist": v.codelist, "origin": v.origin,
        "source": None if predecessor else v.source, "predecessor": v.source if predecessor else None,
        "method": note(tables, "Methods", f"MT.{dataset}.{v.name}", v.method),
        "role": v.role, "comment": note(tables, "Comments", f"COM.{dataset}.{v.name}", v.comment),
        "core": v.core, "algorithm": v.algorithm, "with": v.params or None,
    }


def data_type(name: str, sas_type: str, significant_digits: int | None) -> str:
    """The define.xml data type a spec alone tells (the data decide the rest when define.xml is
    written): an ISO 8601 --DTC is datetime, other Char text; a Num float with significant digits,
    else integer."""
    if sas_type == "Num":
        return "float" if significant_digits else "integer"
    return "datetime" if name.endswith("DTC") else "text"


def note(tables: Tables, sheet: str, id: str, text: str | None) -> str | None:
    """Add a method or comment text to its sheet; its ID, or None without text."""
    if not text:
        return None
    row = {"id": id, "description": text}
    if sheet == "Methods":
        row |= {"name": id, "type": "Computation"}
    add(tables, sheet, [row])
    return id


def codelist_rows(codelists: Iterable[Codelist]) -> list[dict[str, Any]]:
    """One row per term (one row without a term for a codelist without terms)."""
    rows = []
    for c in codelists:
        common = {"id": c.name, "label": c.label, "c_code": c.c_code, "data_type": c.data_type,
                  "terminology": c.source.label if c.source else None, "note": c.note,
                  "extensible": c.extensible}
        rows += [{**common, "order": i, "value": t.value, "term_c_code": t.c_code, "decode": t.decode,
                  "synonyms": list(t.synonyms) or None} for i, t in enumerate(c.terms, start=1)] or [common]
    return rows


def study_codelists(study: Study) -> list[str]:
    """The codelists a study's specs name (variables, value level, qualifiers and the parameters of
    rules and builders), then its own that none names, in the order first met."""
    from specs.loader import study_terminology

    named: dict[str, None] = {}
    for spec in (*study.sdtm.values(), *study.adam.values()):
        for v in spec.variables:
            named |= dict.fromkeys(filter(None, [v.codelist, *codelists_in(v.params)]))
        named |= dict.fromkeys(filter(None, (vl.codelist for vl in spec.value_level)))
        named |= dict.fromkeys(filter(None, (q.codelist for q in spec.supplemental)))
        for block in spec.sources:
            for rule in block.map.values():
                named |= dict.fromkeys(codelists_in(rule.params))
        named |= dict.fromkeys(codelists_in(spec.parameters))
    shipped, _ = study_terminology(study.ct)
    own = [n for n, c in study.codelists.own.items() if shipped.own.get(n) != c]
    names = {study.codelists[n].name: None for n in [*named, *own] if n in study.codelists}
    return list(names)


def codelists_in(value: Any) -> Iterable[str]:
    """Every `codelist: NAME` in parameters, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "codelist" and isinstance(item, str):
                yield item
            else:
                yield from codelists_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from codelists_in(item)


def plain(value: Any) -> Any:
    """Parsed YAML (line-tracking containers) as plain dicts and lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
