"""The raw columns a study's SDTM specs map, and refusing an export that lacks one.

A raw export may leave out a field the CRF library lists (the readers keep only the columns a
file has). A column a spec maps must be there: a missing one would otherwise convert silently
to a blank variable (every AETOXGR empty for an AE export without AEGRADE). A rule or a
supplemental qualifier marked `optional: true` may do without its columns: they are read as
blank.

What a spec maps, per raw form:

- a source rule: its `field` and every field of its form named in its `with:` (a whole value at
  any depth, or a word of a `when:` query); a nested rule under a `with: {form: FORM}` names
  fields of FORM; `codelist:` and `value:` hold codelist names and literal values, not fields;
- a source block: the fields in its `where:` query and its `distinct:` list;
- a supplemental qualifier: its `field` on every source form that has that field;
- a spec built from one form (`parameters: {form: FORM}`): the fields named in its parameters
  and in its variables' `with:`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from specs.errors import InputError
from specs.model import DatasetSpec, Study

# Keys whose values are never raw fields (a codelist name, a literal value).
NOT_FIELDS = ("codelist", "value")
# Keys whose values are queries on the raw record.
QUERIES = ("when", "not_done")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_WORD = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class Mapped:
    """A raw column that a spec line maps."""

    form: str
    column: str
    spec_file: str
    line: int
    target: str  # what it fills, e.g. AE.AETOXGR
    optional: bool = False

    def place(self) -> str:
        return f"{self.spec_file}:{self.line}" if self.line else self.spec_file


def mapped_columns(study: Study) -> list[Mapped]:
    """Every raw column every SDTM spec of the study maps (see the module docstring)."""
    found: list[Mapped] = []
    for spec in study.sdtm.values():
        for block in spec.sources:
            fields = _fields(study, block.form)
            found += [Mapped(block.form, name, block.file or spec.file, block.line,
                             f"{spec.name} (source {block.form})")
                      for name in sorted(_query_words(block.where or "") & fields | set(block.distinct))]
            for target, rule in block.map.items():
                names = _named(study, block.form, {"field": rule.field, **rule.params})
                found += [Mapped(form, name, rule.file or spec.file, rule.line, f"{spec.name}.{target}",
                                 rule.optional)
                          for form, name in sorted(names)]
            found += [Mapped(block.form, q.field, q.file or spec.file, q.line, f"SUPP{spec.name}.{q.qnam}",
                             q.optional)
                      for q in spec.supplemental if q.field in fields]
        found += _builder_columns(study, spec)
    return found


def _builder_columns(study: Study, spec: DatasetSpec) -> list[Mapped]:
    form = spec.parameters.get("form")
    if not spec.parameters.get("builder") or form not in study.forms:
        return []
    found = [Mapped(f, name, *spec.place("parameters"), f"{spec.name} (parameters)")
             for f, name in sorted(_named(study, form, spec.parameters))]
    for variable in spec.variables:
        found += [Mapped(f, name, variable.file or spec.file, variable.line, f"{spec.name}.{variable.name}")
                  for f, name in sorted(_named(study, form, variable.params))]
    return found


def _fields(study: Study, form: str) -> set[str]:
    return set(study.forms[form].field_names()) if form in study.forms else set()


def _named(study: Study, form: str, params: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(form, field) pairs a rule's parameters name; a `form:` key switches to that form."""
    inner = params.get("form")
    form = inner if isinstance(inner, str) and inner in study.forms else form
    fields = _fields(study, form)
    found: set[tuple[str, str]] = set()
    for key, value in params.items():
        if key in NOT_FIELDS or key == "form":
            continue
        if key in QUERIES and isinstance(value, str):
            found |= {(form, w) for w in _query_words(value) & fields}
            continue
        for item in _values(value):
            if isinstance(item, Mapping):
                found |= _named(study, form, {"field": item.get("field"), **(item.get("with") or {})}
                                if "algorithm" in item else item)
            elif item in fields:
                found.add((form, item))
    return found


def _values(value: Any) -> Iterable[Any]:
    """A value, or the items of a list (nested lists flattened)."""
    if isinstance(value, list | tuple):
        for item in value:
            yield from _values(item)
    else:
        yield value


def _query_words(query: str) -> set[str]:
    return set(_WORD.findall(_QUOTED.sub(" ", query)))


def with_optional_columns(study: Study, raw: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The raw forms, each optional column its export lacks added as blank.

    Raises InputError naming every column a spec maps without `optional: true` that an export
    lacks: the file, the column and the spec line that maps it.
    """
    absent = [m for m in mapped_columns(study) if m.form in raw and m.column not in raw[m.form].columns]
    required = [m for m in absent if not m.optional]
    if required:
        by_form: dict[str, list[str]] = {}
        for m in required:
            by_form.setdefault(m.form, []).append(f"{m.column} ({m.place()} maps it to {m.target})")
        raise InputError(
            "; ".join(f"{form}.csv lacks column {', '.join(dict.fromkeys(phrases))}"
                      for form, phrases in by_form.items()),
            expected="every column the specs map in the export's header, or `optional: true` on the "
                     "rule (or qualifier) that maps it when the EDC may leave it out",
        )
    out = dict(raw)
    for m in absent:
        out[m.form] = out[m.form].assign(**{m.column: pd.Series("", index=out[m.form].index, dtype="str")})
    return out
