"""Is a define.xml right? The official XSD, every OID reference, and the datasets it describes.

Each check returns readable problems instead of stopping at the first, so one run shows all of
them: `schema_problems` (Define-XML 2.1 XSD with lxml), `reference_problems` (every ItemOID,
CodeListOID, MethodOID, CommentOID, ValueListOID, WhereClauseOID, StandardOID, leaf ID
resolves; OIDs are unique; nothing is defined and never used) and `data_problems` (every
dataset has its ItemGroupDef, every column its ItemRef and back, Char lengths match the data).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from lxml import etree

from define.datatypes import longest_bytes
from define.odm import ODM, as_tree, def_namespace, define_schema, serialize
from define.tables import define_tables

TEXT_TYPES = frozenset({"text", "string"})


def validate_define(define: etree._ElementTree | str | Path,
                    datasets: Mapping[str, pd.DataFrame] | None = None) -> list[str]:
    """Every problem of a define.xml: XSD, references, and (given the datasets) the data cross-checks."""
    tree = as_tree(define)
    problems = schema_problems(tree) + reference_problems(tree)
    if datasets is not None:
        problems += data_problems(tree, datasets)
    return problems


def schema_problems(define: etree._ElementTree | str | Path) -> list[str]:
    """Messages of the official Define-XML 2.1 XSD (odmlib's copy), with line numbers of the file form."""
    tree = as_tree(define)
    # An in-memory tree has no line numbers; its serialised form has those of the written file.
    document = etree.fromstring(serialize(tree)).getroottree() if tree.docinfo.URL is None else tree
    schema = define_schema()
    if schema.validate(document):
        return []
    return [f"XSD line {e.line}: {e.message}" for e in schema.error_log]


def reference_problems(define: etree._ElementTree | str | Path) -> list[str]:
    """Unresolved references, duplicate OIDs and definitions nothing refers to."""
    tables = define_tables(as_tree(define))
    references, oids = tables["DEFINE_REFERENCES"], tables["DEFINE_OIDS"]
    problems = [f"{r.where}: {r.element} {r.attribute}={r.value!r} does not resolve: no {r.target} "
                f"with {r.key} {r.value!r}" for r in references.itertuples() if r.resolved == "N"]
    if not oids.empty:
        counts = oids.groupby(["element", "key", "OID"]).size()
        problems += [f"{element} {key} {oid!r} is defined {n} times"
                     for (element, key, oid), n in counts.items() if n > 1]
        problems += [f"{r.element} {r.OID!r} is never referenced" for r in oids.itertuples()
                     if r.must_be_used == "Y" and r.used == "N"]
    return problems


def data_problems(define: etree._ElementTree | str | Path, datasets: Mapping[str, pd.DataFrame]) -> list[str]:
    """Datasets against the ItemGroupDefs: groups, columns, and Char lengths.

    A frame read from an XPT file carries its column widths in `attrs['lengths']`; those must
    equal the define.xml Length. Without them the Length must hold the longest value.
    """
    root = as_tree(define).getroot()
    ns = {"odm": ODM, "def": def_namespace(root)}
    groups = {g.get("Name", "").upper(): g for g in root.iterfind(".//odm:ItemGroupDef", ns)}
    items = {i.get("OID"): i for i in root.iterfind(".//odm:ItemDef", ns)}
    problems = []
    frames = {name.upper(): frame for name, frame in datasets.items()}
    for name, frame in sorted(frames.items()):
        group = groups.get(name)
        if group is None:
            problems.append(f"dataset {name} has no ItemGroupDef in define.xml")
            continue
        refs = {}
        for ref in group.iterfind("odm:ItemRef", ns):
            item = items.get(ref.get("ItemOID"))
            if item is not None:
                refs[item.get("Name")] = item
        columns = [str(c) for c in frame.columns if not str(c).startswith("_")]
        problems += [f"dataset {name}: column {c} has no ItemRef in ItemGroupDef {group.get('OID')}"
                     for c in columns if c not in refs]
        problems += [f"ItemGroupDef {group.get('OID')}: variable {v} is not a column of dataset {name}"
                     for v in refs if v not in columns]
        widths = frame.attrs.get("lengths", {})
        for column in columns:
            item = refs.get(column)
            if item is None or item.get("DataType") not in TEXT_TYPES or item.get("Length") is None:
                continue
            length = int(item.get("Length"))
            width = widths.get(column)
            longest = longest_bytes(frame[column])
            if width is not None and int(width) != length:
                problems.append(f"{name}.{column}: define.xml Length {length} but the file's width is "
                                f"{width}")
            elif length < longest:
                problems.append(f"{name}.{column}: define.xml Length {length} is shorter than the longest "
                                f"value ({longest} bytes)")
    problems += [f"ItemGroupDef {g.get('OID')}: no dataset {name} in the data"
                 for name, g in sorted(groups.items()) if name not in frames]
    return problems
