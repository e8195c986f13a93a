"""A P21 define-spec workbook (specs.workbook) back into a study spec folder's files.

The folder is flat: every dataset spec states every attribute (label, type, origin, codelist ...)
instead of extending the shared library, and codelists.yaml states the study's own codelists whole,
or as `extends:` of the CDISC codelist they add terms to. Loading it gives the same study as the
folder the workbook was exported from (tests/specs/test_workbook_import.py).

Every problem of the workbook is collected and reported at once, each naming its sheet, row and
column; no file is made from a workbook with problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from specs.errors import Problem, SpecError
from specs.model import CORES, ORIGINS, Codelist, Term
from specs.nci_evs import DATE
from specs.terminology import Codelists
from specs.workbook import EXTRA, Row, place, read_workbook, unflatten

Files = dict[str, Any]  # path in the study folder → its YAML tree
SAS_TYPES = {
    **dict.fromkeys(("text", "date", "datetime", "time", "partialDate", "partialTime", "partialDatetime",
                     "incompleteDatetime", "incompleteDate", "incompleteTime", "durationDatetime",
                     "intervalDatetime", "URI"), "Char"),
    **dict.fromkeys(("integer", "float", "double"), "Num"),
}
KINDS = {"Tabulation": "sdtm", "Analysis": "adam"}
DOCUMENT_SHEETS = {EXTRA + "Study": "study.yaml", EXTRA + "Forms": "forms.yaml",
                   EXTRA + "Analyses": "analyses.yaml"}


class _Import:
    """The reading of one workbook: rows by sheet, the lookups they share, the problems found."""

    def __init__(self, path: str | Path, rows: dict[str, list[Row]]):
        self.file = str(path)
        self.rows = rows
        self.problems: list[Problem] = []
        self.methods = self.by_id("Methods", lambda r: r["description"])
        self.comments = self.by_id("Comments", lambda r: r["description"])
        self.wheres: dict[str, dict[str, list[str]]] = {}
        for row in rows["WhereClauses"]:
            values = list(row.get("value") or ())
            if row["comparator"] == "EQ" and len(values) != 1:
                self.fail(row, "value", f"EQ takes one value, found {len(values)}")
            where = self.wheres.setdefault(row["id"], {})
            if row["variable"] in where:
                self.fail(row, "variable", f"where clause {row['id']} names {row['variable']} twice")
            where[row["variable"]] = values

    def fail(self, row: Row, field: str | None, message: str) -> None:
        self.problems.append(row.problem(self.file, field, message))

    def by_id(self, sheet: str, value) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for row in self.rows[sheet]:
            if row["id"] in out:
                self.fail(row, "id", f"ID {row['id']!r} repeats an earlier row")
            out[row["id"]] = value(row)
        return out

    def lookup(self, row: Row, field: str, table: Mapping[str, Any], what: str) -> Any:
        """The text an ID names (a method, a comment, a where clause); None for an empty cell."""
        key = row.get(field)
        if key is None:
            return None
        if key not in table:
            from specs.schema import closest

            self.fail(row, field, f"no {what} with ID {key!r}{closest(key, table)}")
        return table.get(key)

    def choice(self, row: Row, field: str, choices: tuple[str, ...]) -> str | None:
        value = row.get(field)
        if value is not None and value not in choices:
            self.fail(row, field, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def sas_type(self, row: Row) -> str | None:
        sas = SAS_TYPES.get(row["data_type"])
        if sas is None:
            self.fail(row, "data_type", f"{row['data_type']!r} is not a Define-XML data type "
                                        f"({', '.join(SAS_TYPES)})")
        return sas


def study_files(path: str | Path, store: str | Path | None = None) -> Files:
    """The spec files (path in the folder → YAML tree) a workbook describes; SpecError listing every
    problem, each naming sheet, row and column."""
    rows = read_workbook(path)
    reading = _Import(path, rows)
    files: Files = {}
    for sheet, name in DOCUMENT_SHEETS.items():
        if rows[sheet]:
            tree, problems = unflatten(rows[sheet], reading.file)
            reading.problems += problems
            files[name] = tree
    study = files.get("study.yaml", {}).get("study")
    if not isinstance(study, dict):
        reading.problems.append(Problem(reading.file, 0, f"{place(EXTRA + 'Study')}: no study.* rows: the "
                                        "workbook does not carry study.yaml (one exported from a "
                                        "define.xml describes datasets, not a study)"))
        raise SpecError(reading.problems)
    baseline = _baseline(study, store)
    entries = _codelist_entries(reading, baseline)
    files |= _datasets(reading, _Known({row["id"] for row in rows["Codelists"]}, baseline))
    if entries:
        files["codelists.yaml"] = {"codelists": entries}
    if reading.problems:
        raise SpecError(reading.problems)
    return files


def write_files(files: Files, folder: Path) -> None:
    """The spec files as YAML in `folder` (which exists)."""
    for name, tree in sorted(files.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=100)
        path.write_text(text, encoding="utf-8")


def _baseline(study: Mapping[str, Any], store: str | Path | None) -> Codelists:
    """The codelists a study has before its codelists.yaml: those of the CT packages it names."""
    from specs.loader import study_terminology

    named = study.get("ct") if isinstance(study.get("ct"), dict) else {}
    texts = {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in named.items()}
    # A release that is no date is the loader's to refuse, at its line of study.yaml.
    return study_terminology({k: v for k, v in texts.items() if DATE.fullmatch(v)}, store)[0]


class _Known:
    """The codelists a spec may name: the workbook's, and those of the CT the study names."""

    def __init__(self, names: set[str], ct: Codelists):
        self.names, self.ct = names, ct

    def __contains__(self, name: object) -> bool:
        return name in self.names or name in self.ct

    def __iter__(self):
        return iter(sorted(self.names))


def _codelist_entries(reading: _Import, baseline: Codelists) -> list[dict[str, Any]]:
    """codelists.yaml entries for the workbook's codelists that differ from the CT the study names:
    an `extends:` of a CDISC codelist when adding terms and synonyms to it gives the workbook's,
    else the whole codelist."""
    grouped: dict[str, list[Row]] = {}
    for row in reading.rows["Codelists"]:
        grouped.setdefault(row["id"], []).append(row)
    entries = []
    for name, group in grouped.items():
        first = group[0]
        terms: list[Term] = []
        values: set[str] = set()
        with_terms = [r for r in group if r.get("value") is not None]
        for row in sorted(with_terms, key=lambda r: r.get("order") or 0):
            synonyms = row.get("synonyms") or []
            if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
                reading.fail(row, "synonyms", f"expected a YAML list of texts, found {synonyms!r}")
                synonyms = []
            if row["value"] in values:
                reading.fail(row, "value", f"term {row['value']!r} repeats in codelist {name}")
            values.add(row["value"])
            terms.append(Term(row["value"], row.get("term_c_code"), row.get("decode"), tuple(synonyms)))
        data_type = reading.choice(first, "data_type", ("text", "integer", "float")) or "text"
        wanted = Codelist(name=name, label=first.get("label") or name, terms=tuple(terms),
                          c_code=first.get("c_code"), extensible=bool(first.get("extensible")),
                          data_type=data_type, note=first.get("note"))
        base = baseline.get(name)
        base = base if base is not None and base.name == name else None
        if base is not None and _same(base, wanted):
            continue
        entries.append(_extension(base, wanted) if base is not None else _whole(wanted))
    return entries


def _same(base: Codelist, wanted: Codelist) -> bool:
    """The workbook's codelist is the CT's (source and sponsor are not in the workbook)."""
    return (base.label, base.terms, base.c_code, base.extensible, base.data_type, base.note) == (
        wanted.label, wanted.terms, wanted.c_code, wanted.extensible, wanted.data_type, wanted.note)


def _extension(base: Codelist, wanted: Codelist) -> dict[str, Any]:
    """`extends: base` with the terms and synonyms that make `wanted`, when that is what it is (the
    loader's merge: base terms in order, each with added synonyms, then the new terms); else the
    whole codelist, which replaces the CT's."""
    head, new = wanted.terms[:len(base.terms)], wanted.terms[len(base.terms):]
    pairs = list(zip(head, base.terms, strict=False))
    same_head = all((t.value, t.c_code, t.decode) == (b.value, b.c_code, b.decode)
                    and t.synonyms[:len(b.synonyms)] == b.synonyms for t, b in pairs)
    addable = not new or base.extensible or (base.source is not None and not base.source.complete)
    fits = (len(head) == len(base.terms) and same_head and addable
            and all(base.term(t.value) is None for t in new)
            and (base.label, base.c_code, base.extensible, base.data_type, base.note)
            == (wanted.label, wanted.c_code, wanted.extensible, wanted.data_type, wanted.note))
    if not fits:
        return _whole(wanted)
    added = [{"value": t.value, "synonyms": list(t.synonyms[len(b.synonyms):])}
             for t, b in pairs if len(t.synonyms) > len(b.synonyms)]
    return {"name": wanted.name, "extends": base.name, "terms": added + [_term(t) for t in new]}


def _whole(c: Codelist) -> dict[str, Any]:
    entry = {"name": c.name, "label": c.label, "c_code": c.c_code, "extensible": c.extensible or None,
             "data_type": None if c.data_type == "text" else c.data_type, "note": c.note,
             "terms": [_term(t) for t in c.terms]}
    return _dropped_none(entry)


def _term(t: Term) -> dict[str, Any]:
    return _dropped_none({"value": t.value, "c_code": t.c_code, "decode": t.decode,
                          "synonyms": list(t.synonyms) or None})


def _dropped_none(entry: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if v is not None or k in keep}


# --- dataset specs ------------------------------------------------------------------------------

def _grouped(rows: list[Row], *fields: str) -> dict[Any, list[Row]]:
    out: dict[Any, list[Row]] = {}
    for row in rows:
        out.setdefault(tuple(row.get(f) for f in fields) if len(fields) > 1 else row.get(fields[0]),
                       []).append(row)
    return out


def _datasets(reading: _Import, codelists: _Known) -> Files:
    rows = reading.rows
    qualifiers = _grouped(rows[EXTRA + "Supplemental"], "dataset")
    sources = _grouped(rows[EXTRA + "Sources"], "dataset")
    variables = _grouped(rows["Variables"], "dataset")
    value_level = _grouped(rows["ValueLevel"], "dataset")
    files: Files = {}
    seen: dict[str, Row] = {}
    for row in rows["Datasets"]:
        name = row["dataset"]
        if name in seen:
            reading.fail(row, "dataset", f"dataset {name} repeats row {seen[name].number}")
            continue
        seen[name] = row
        if name.startswith("SUPP") and name[4:] in qualifiers:
            continue  # built from the parent's qualifiers (clinforge Supplemental) when loaded
        kind = KINDS[row["purpose"]]
        own = variables.get(name, [])
        if not own:
            reading.fail(row, "dataset", f"dataset {name} has no rows in sheet Variables")
        names = [v["name"] for v in own]
        spec = _dropped_none({
            "dataset": name, "label": row.get("label"), "class": row.get("class"),
            "structure": row.get("structure"), "keys": list(row.get("keys") or ()),
            "comment": reading.lookup(row, "comment", reading.comments, "comment"),
            "parameters": row.get("parameters"), "data_structure": row.get("data_structure"),
            "variables": _variables(reading, own, codelists),
            "sources": _sources(reading, sources.get(name, []), names) or None,
            "value_level": [_value_level(reading, r, names, codelists)
                            for r in sorted(value_level.get(name, []), key=lambda r: r.get("order") or 0)]
            or None,
            "supplemental": [_qualifier(reading, r, codelists) for r in qualifiers.get(name, [])] or None,
        })
        for key in spec["keys"]:
            if key not in names:
                reading.fail(row, "keys", f"key {key} is not among the variables of {name}")
        if not isinstance(spec.get("parameters", {}), dict):
            reading.fail(row, "parameters", "expected a YAML mapping")
        files[f"{kind}/{name}.yaml"] = spec
    for grouped in (variables, value_level, sources, qualifiers):
        for name, group in grouped.items():
            if name not in seen:
                reading.fail(group[0], "dataset", f"dataset {name} is not in sheet Datasets")
    return files


def _variables(reading: _Import, rows: list[Row], codelists: _Known) -> list[dict[str, Any]]:
    out, seen = [], {}
    for row in sorted(rows, key=lambda r: r["order"]):
        name = row["name"]
        if name in seen:
            reading.fail(row, "name", f"variable {name} repeats row {seen[name]} of {row['dataset']}")
            continue
        seen[name] = row.number
        out.append(_dropped_none({
            "name": name, "label": row["label"], "type": reading.sas_type(row), "length": row.get("length"),
            "origin": reading.choice(row, "origin", ORIGINS),
            "source": row.get("predecessor") or row.get("source"),
            "codelist": _codelist_named(reading, row, codelists), "role": row.get("role"),
            "core": reading.choice(row, "core", CORES), "format": row.get("format"),
            "significant_digits": row.get("significant_digits"),
            "method": reading.lookup(row, "method", reading.methods, "method in sheet Methods"),
            "comment": reading.lookup(row, "comment", reading.comments, "comment in sheet Comments"),
            "algorithm": row.get("algorithm"), "with": _mapping(reading, row, "with"),
        }, keep=("codelist",)))  # no codelist is `codelist: null`: not the standard's
    return out


def _codelist_named(reading: _Import, row: Row, codelists: _Known) -> str | None:
    name = row.get("codelist")
    if name is not None and name not in codelists:
        from specs.schema import closest

        reading.fail(row, "codelist", f"unknown codelist {name!r}: not in sheet Codelists"
                                      f"{closest(name, codelists)}")
    return name


def _mapping(reading: _Import, row: Row, field: str) -> dict | None:
    value = row.get(field)
    if value is not None and not isinstance(value, dict):
        reading.fail(row, field, f"expected a YAML mapping, found {value!r}")
        return None
    return value or None


def _value_level(reading: _Import, row: Row, names: list[str], codelists: _Known) -> dict[str, Any]:
    if row["variable"] not in names:
        reading.fail(row, "variable", f"{row['variable']} is not a variable of {row['dataset']}")
    where = reading.lookup(row, "where", reading.wheres, "where clause in sheet WhereClauses") or {}
    for variable in where:
        if variable not in names:
            reading.fail(row, "where", f"where clause {row['where']} names {variable}, not a variable "
                                       f"of {row['dataset']}")
    return _dropped_none({
        "variable": row["variable"], "where": where, "type": reading.sas_type(row), "label": row.get("label"),
        "length": row.get("length"), "codelist": _codelist_named(reading, row, codelists),
        "origin": reading.choice(row, "origin", ORIGINS), "unit": row.get("unit"),
        "method": reading.lookup(row, "method", reading.methods, "method in sheet Methods"),
        "significant_digits": row.get("significant_digits"),
    })


def _sources(reading: _Import, rows: list[Row], names: list[str]) -> list[dict[str, Any]]:
    blocks: dict[int, dict[str, Any]] = {}
    for row in rows:
        block = blocks.setdefault(row["block"], _dropped_none({
            "form": row["form"], "where": row.get("where"),
            "distinct": list(row.get("distinct") or ()) or None, "map": {}}))
        if row.get("target") is None:
            continue
        if row.get("algorithm") is None:
            reading.fail(row, "algorithm", f"the rule for {row['target']} names no algorithm")
        if row["target"] not in names or row["target"] in block["map"]:
            reading.fail(row, "target", f"{row['target']} is not a variable of {row['dataset']}, or "
                                        f"repeats in block {row['block']}")
        block["map"][row["target"]] = _dropped_none({
            "algorithm": row.get("algorithm"), "field": row.get("field"),
            "with": _mapping(reading, row, "with"), "optional": row.get("optional") or None})
    return list(blocks.values())


def _qualifier(reading: _Import, row: Row, codelists: _Known) -> dict[str, Any]:
    return _dropped_none({
        "qnam": row["qnam"], "qlabel": row["qlabel"], "field": row["field"], "qorig": row.get("qorig"),
        "qeval": row.get("qeval"), "codelist": _codelist_named(reading, row, codelists),
        "optional": row.get("optional") or None,
    })
