"""Define-XML 2.1 from a study's specs and the datasets written from them.

`build_define` turns one kind of metadata (SDTM or ADaM) into an ODM 1.3.2 / Define-XML 2.1
tree: def:Standards, one ItemGroupDef per dataset with its ItemRefs, ItemDefs with DataType,
Length and def:Origin, value-level metadata (def:ValueListDef + def:WhereClauseDef) from the
specs' `value_level` entries, CodeLists with NCI C-codes for the terms the data use, MethodDefs
from `method` text and CommentDefs from `comment` text. Lengths, data types and codelist terms
come from the data when it is given, so the document describes the files beside it.
`write_define` checks the tree (XSD and cross-checks) and refuses to write an invalid one.

OIDs: IG.<DS>, IT.<DS>.<VAR>, IT.<DS>.<VAR>.<WHERE> (value level), CL.<CODELIST>, MT.<DS>.<VAR>,
COM.<DS>[.<VAR>], VL.<DS>.<VAR>, WC.<DS>.<VAR>.<WHERE>, LF.<DS>, MU.<UNIT>, STD.<...>.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
from lxml import etree

from define.check import validate_define
from define.datatypes import (
    ISO_DATE_TYPES,
    as_text,
    compute_data_type,
    compute_length,
    compute_significant_digits,
    present_values,
)
from define.odm import NCI_CONTEXT, NSMAP, XLINK, XML, DefineError, dfn, odm, serialize
from specs.dataset import build_timestamp
from specs.loader import ADAM_CATALOGUE, CT_FILES, SHIPPED, load_standard
from specs.model import Codelist, DatasetSpec, Study, ValueLevel, Variable
from specs.yamlio import read_yaml

Kind = Literal["sdtm", "adam"]

IG_NAMES = {"sdtm": ("SDTMIG", "sdtmig", "Tabulation"), "adam": ("ADaMIG", "adamig", "Analysis")}
PUBLISHING_SETS = {"SDTM CT": "SDTM", "ADaM CT": "ADaM"}
# Who is responsible for a value of each origin type when the spec does not say (Define-XML 2.1
# def:Origin/@Source); Predecessor and Not Available take no Source.
DEFAULT_SOURCE = {"Collected": "Investigator", "Derived": "Sponsor", "Assigned": "Sponsor",
                  "Protocol": "Sponsor"}
ORIGIN_SOURCES = frozenset({"Investigator", "Sponsor", "Subject", "Vendor"})
# Datasets in the order reviewers expect them: the classes of the SDTM model, then ADaM.
CLASS_ORDER = ("SPECIAL PURPOSE", "INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT",
               "RELATIONSHIP", "STUDY REFERENCE", "TRIAL DESIGN", "SUBJECT LEVEL ANALYSIS DATASET",
               "BASIC DATA STRUCTURE", "OCCURRENCE DATA STRUCTURE", "ADAM OTHER")
ACRF_TITLES = ("acrf", "annotated crf")


@dataclass(frozen=True)
class CtPackage:
    oid: str
    publishing_set: str
    version: str
    codelists: frozenset[str]


@dataclass
class _Doc:
    """Definitions gathered while the item groups are written, emitted after them in schema order."""

    study: Study
    kind: str
    packages: tuple[CtPackage, ...]
    item_defs: list[etree._Element] = field(default_factory=list)
    value_lists: list[etree._Element] = field(default_factory=list)
    where_clauses: list[etree._Element] = field(default_factory=list)
    # codelist name → values used in the data (None: no data, so every term is listed)
    codelists: dict[str, set[str] | None] = field(default_factory=dict)
    methods: dict[str, tuple[str, str]] = field(default_factory=dict)  # OID → (name, text)
    comments: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)  # unit → OID
    method_texts: Mapping[tuple[str, str], str] = field(default_factory=dict)
    unknown_codelists: list[str] = field(default_factory=list)

    def use_codelist(self, name: str, values: pd.Series | None, user: str) -> str:
        """Note that a codelist is used (by `user`, for errors), and which of its values the data hold."""
        if name not in self.study.codelists:
            self.unknown_codelists.append(f"{user} uses codelist {name!r}, which the study does not define")
        elif values is None:
            self.codelists[name] = None
        elif name not in self.codelists:
            self.codelists[name] = set(present_values(values.drop_duplicates()))
        elif self.codelists[name] is not None:
            self.codelists[name] |= set(present_values(values.drop_duplicates()))
        return f"CL.{name}"


def ct_packages() -> tuple[CtPackage, ...]:
    """The shipped CDISC CT packages (SDTM CT, ADaM CT): version and codelist names."""
    packages = []
    for file in CT_FILES:
        data = read_yaml(SHIPPED / "ct" / file)
        publishing_set = PUBLISHING_SETS.get(data["package"], data["package"])
        packages.append(CtPackage(
            oid=f"STD.CT.{publishing_set.upper()}.{data['version']}", publishing_set=publishing_set,
            version=str(data["version"]), codelists=frozenset(c["name"] for c in data["codelists"]),
        ))
    return tuple(packages)


def creation_timestamp(creation_datetime: datetime | None = None) -> str:
    """ODM CreationDateTime: SOURCE_DATE_EPOCH when set, else the given time, else the fixed default."""
    if creation_datetime is not None and not os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        stamp = creation_datetime
    else:
        stamp = build_timestamp()
    return stamp.isoformat(timespec="seconds")


def origin_source(origin: str, source: str | None) -> str | None:
    """What def:Origin says about the source: the spec's text, else who is responsible by default."""
    return source or DEFAULT_SOURCE.get(origin)


def build_define(study: Study, kind: Kind, datasets: Mapping[str, pd.DataFrame] | None = None, *,
                 leaf_names: Mapping[str, str] | None = None, documents: Mapping[str, str] | None = None,
                 methods: Mapping[tuple[str, str], str] | None = None,
                 creation_datetime: datetime | None = None) -> etree._ElementTree:
    """The Define-XML 2.1 tree of a study's SDTM or ADaM datasets.

    datasets: the frames by dataset name; when given, only the specs with data are described and
    lengths, data types and codelist terms are measured on the data. Without data every spec is
    described from the specs alone (a draft: Char lengths unknown unless the spec fixes them).
    leaf_names: file name per dataset (default `<name lower>.xpt`). documents: title → href of
    supporting documents (a title 'acrf' or 'Annotated CRF' becomes def:AnnotatedCRF).
    methods: method text by (dataset, variable) that replaces the spec's `method` (the text the
    ADaM rule objects give for the rules they run, `adam.methods.methods(study)`).
    """
    if kind not in IG_NAMES:
        raise DefineError(f"kind must be 'sdtm' or 'adam', not {kind!r}")
    specs = study.sdtm if kind == "sdtm" else study.adam
    frames = {name.upper(): frame for name, frame in (datasets or {}).items()}
    chosen = [s for s in specs.values() if datasets is None or s.name in frames]
    chosen.sort(key=lambda s: (_class_rank(s.dataset_class), s.name != "ADSL", s.name))
    doc = _Doc(study=study, kind=kind, packages=ct_packages(), method_texts=methods or {})
    leaf_names = leaf_names or {}

    root = etree.Element(odm("ODM"), nsmap=NSMAP)
    kind_label = "SDTM" if kind == "sdtm" else "ADaM"
    root.set("FileType", "Snapshot")
    root.set("FileOID", f"DEF.{study.studyid}.{kind_label}")
    root.set("CreationDateTime", creation_timestamp(creation_datetime))
    root.set("ODMVersion", "1.3.2")
    root.set("Originator", study.sponsor)
    root.set("SourceSystem", "clinforge")
    root.set(dfn("Context"), "Submission")
    study_el = etree.SubElement(root, odm("Study"), OID=f"ST.{study.studyid}")
    global_vars = etree.SubElement(study_el, odm("GlobalVariables"))
    etree.SubElement(global_vars, odm("StudyName")).text = study.studyid
    etree.SubElement(global_vars, odm("StudyDescription")).text = study.title
    etree.SubElement(global_vars, odm("ProtocolName")).text = study.studyid

    groups = [_item_group(doc, spec, frames.get(spec.name), leaf_names) for spec in chosen]
    if doc.unknown_codelists:
        raise DefineError(f"cannot write define.xml for {study.studyid} {kind.upper()}",
                          doc.unknown_codelists)

    if doc.units:
        basic = etree.SubElement(study_el, odm("BasicDefinitions"))
        for unit, oid in sorted(doc.units.items(), key=lambda kv: kv[1]):
            mu = etree.SubElement(basic, odm("MeasurementUnit"), OID=oid, Name=unit)
            _translated(etree.SubElement(mu, odm("Symbol")), unit)
    mdv = etree.SubElement(study_el, odm("MetaDataVersion"), OID=f"MDV.{study.studyid}.{kind_label}",
                           Name=f"{study.studyid} {kind_label} define.xml",
                           Description=f"{kind_label} data definitions of study {study.studyid}")
    mdv.set(dfn("DefineVersion"), study.standards.get("define", "2.1.0"))
    mdv.append(_standards(doc))
    docs = dict(documents or {})
    acrf = [t for t in docs if t.lower() in ACRF_TITLES]
    if acrf:
        etree.SubElement(etree.SubElement(mdv, dfn("AnnotatedCRF")), dfn("DocumentRef"),
                         leafID=_leaf_id(acrf[0]))
    others = [t for t in docs if t not in acrf]
    if others:
        supp = etree.SubElement(mdv, dfn("SupplementalDoc"))
        for title in others:
            etree.SubElement(supp, dfn("DocumentRef"), leafID=_leaf_id(title))
    mdv.extend(doc.value_lists)
    mdv.extend(doc.where_clauses)
    mdv.extend(groups)
    mdv.extend(doc.item_defs)
    for name in sorted(doc.codelists):
        mdv.append(_codelist(doc, study.codelists[name], doc.codelists[name]))
    for oid in sorted(doc.methods):
        name, text = doc.methods[oid]
        method = etree.SubElement(mdv, odm("MethodDef"), OID=oid, Name=name, Type="Computation")
        _description(method, text)
    for oid in sorted(doc.comments):
        _description(etree.SubElement(mdv, dfn("CommentDef"), OID=oid), doc.comments[oid])
    for title, href in docs.items():
        _leaf(mdv, _leaf_id(title), href, title)
    return etree.ElementTree(root)


def write_define(study: Study, kind: Kind, datasets: Mapping[str, pd.DataFrame] | None, path: str | Path,
                 *, leaf_names: Mapping[str, str] | None = None, documents: Mapping[str, str] | None = None,
                 methods: Mapping[tuple[str, str], str] | None = None,
                 creation_datetime: datetime | None = None) -> Path:
    """Build, check (XSD and cross-checks against the data) and write define.xml atomically.

    Raises DefineError listing every problem; nothing is written then.
    """
    tree = build_define(study, kind, datasets, leaf_names=leaf_names, documents=documents,
                        methods=methods, creation_datetime=creation_datetime)
    problems = validate_define(tree, datasets)
    if problems:
        raise DefineError(f"define.xml for {study.studyid} {kind.upper()} is not valid; not written",
                          problems)
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(serialize(tree))
    temporary.replace(path)
    return path


# --- item groups and items ---------------------------------------------------------------

def _item_group(doc: _Doc, spec: DatasetSpec, frame: pd.DataFrame | None,
                leaf_names: Mapping[str, str]) -> etree._Element:
    variables = sorted(spec.variables, key=lambda v: v.order)
    if frame is not None:
        variables = [v for v in variables if v.name in frame.columns]
    names = [v.name for v in variables]
    keys = [k for k in spec.keys if k in names]
    ig_name, _, purpose = IG_NAMES[doc.kind]
    group = etree.Element(odm("ItemGroupDef"), OID=f"IG.{spec.name}", Name=spec.name,
                          SASDatasetName=spec.name, Repeating="Yes" if spec.repeating else "No",
                          IsReferenceData="Yes" if spec.is_reference_data else "No", Purpose=purpose)
    if doc.kind == "sdtm":
        group.set("Domain", _domain(spec))
    group.set(dfn("Structure"), spec.structure or spec.label)
    group.set(dfn("ArchiveLocationID"), f"LF.{spec.name}")
    if _is_standard(spec):
        group.set(dfn("StandardOID"), f"STD.IG.{ig_name}")
    else:
        group.set(dfn("IsNonStandard"), "Yes")
    if spec.comment:
        group.set(dfn("CommentOID"), _comment(doc, f"COM.{spec.name}", spec.comment))
    _description(group, spec.label)
    value_levels: dict[str, list[ValueLevel]] = {}
    for vl in spec.value_level:
        value_levels.setdefault(vl.variable, []).append(vl)
    for number, variable in enumerate(variables, start=1):
        ref = etree.SubElement(group, odm("ItemRef"), ItemOID=f"IT.{spec.name}.{variable.name}",
                               OrderNumber=str(number), Mandatory=_mandatory(variable))
        if variable.name in keys:
            ref.set("KeySequence", str(keys.index(variable.name) + 1))
        method = doc.method_texts.get((spec.name, variable.name), variable.method)
        if method:
            ref.set("MethodOID", _method(doc, f"MT.{spec.name}.{variable.name}", variable.name, method))
        if doc.kind == "sdtm" and variable.role:
            ref.set("Role", variable.role)
        values = frame[variable.name] if frame is not None else None
        levels = value_levels.get(variable.name)
        value_list = f"VL.{spec.name}.{variable.name}" if levels else None
        doc.item_defs.append(_item_def(doc, spec, variable, values, value_list))
        if levels:
            _value_list(doc, spec, variable, levels, frame)
    klass = etree.SubElement(group, dfn("Class"), Name=spec.dataset_class.upper())
    subclass = _subclass(spec)
    if subclass:
        etree.SubElement(klass, dfn("SubClass"), Name=subclass)
    href = leaf_names.get(spec.name, f"{spec.name.lower()}.xpt")
    _leaf(group, f"LF.{spec.name}", href, href)
    return group


def _item_def(doc: _Doc, spec: DatasetSpec, variable: Variable, values: pd.Series | None,
              value_list: str | None) -> etree._Element:
    data_type = compute_data_type(variable.name, variable.type, values, display_format=variable.format,
                                  significant_digits=variable.significant_digits)
    item = etree.Element(odm("ItemDef"), OID=f"IT.{spec.name}.{variable.name}", Name=variable.name,
                         DataType=data_type)
    _set_size(item, data_type, variable.type, values, variable.length, variable.significant_digits)
    item.set("SASFieldName", variable.name)
    if variable.format:
        item.set(dfn("DisplayFormat"), variable.format)
    if variable.comment:
        item.set(dfn("CommentOID"), _comment(doc, f"COM.{spec.name}.{variable.name}", variable.comment))
    _description(item, variable.label)
    if variable.codelist:
        etree.SubElement(item, odm("CodeListRef"), CodeListOID=doc.use_codelist(
            variable.codelist, values, f"{spec.name}.{variable.name}"))
    _origin(item, variable.origin, variable.source)
    if value_list:
        etree.SubElement(item, dfn("ValueListRef"), ValueListOID=value_list)
    return item


def _value_list(doc: _Doc, spec: DatasetSpec, variable: Variable, levels: list[ValueLevel],
                frame: pd.DataFrame | None) -> None:
    value_list = etree.Element(dfn("ValueListDef"), OID=f"VL.{spec.name}.{variable.name}")
    parent_method = doc.method_texts.get((spec.name, variable.name), variable.method)
    # What define.xml says of a slice depends only on which values it holds, so the slices are
    # taken from the distinct rows of the where-clause columns and the variable.
    rows = None
    if frame is not None:
        where_columns = {name for vl in levels for name in vl.where if name in frame.columns}
        columns = [c for c in frame.columns if c in where_columns or c == variable.name]
        rows = frame[columns].drop_duplicates()
    for number, vl in enumerate(levels, start=1):
        suffix = _where_suffix(vl.where)
        item_oid = f"IT.{spec.name}.{variable.name}.{suffix}"
        where_oid = f"WC.{spec.name}.{variable.name}.{suffix}"
        values = None
        if rows is not None:
            values = rows.loc[_where_mask(rows, vl.where), variable.name]
        ref = etree.SubElement(value_list, odm("ItemRef"), ItemOID=item_oid, OrderNumber=str(number),
                               Mandatory="No")
        if vl.method:
            ref.set("MethodOID", _method(doc, f"MT.{spec.name}.{variable.name}.{suffix}", variable.name,
                                         vl.method))
        elif (vl.origin or variable.origin) == "Derived" and parent_method:
            # A derived slice without a method of its own is derived as its variable is.
            shared = f"MT.{spec.name}.{variable.name}"
            ref.set("MethodOID", _method(doc, shared, variable.name, parent_method))
        if values is not None and present_values(values).empty:
            ref.set(dfn("HasNoData"), "Yes")
        etree.SubElement(ref, dfn("WhereClauseRef"), WhereClauseOID=where_oid)
        doc.where_clauses.append(_where_clause(where_oid, spec.name, vl.where))
        doc.item_defs.append(_value_item(doc, item_oid, variable, vl, values))
    doc.value_lists.append(value_list)


def _value_item(doc: _Doc, oid: str, variable: Variable, vl: ValueLevel,
                values: pd.Series | None) -> etree._Element:
    data_type = compute_data_type(variable.name, vl.type, values, display_format=variable.format,
                                  significant_digits=vl.significant_digits)
    item = etree.Element(odm("ItemDef"), OID=oid, Name=variable.name, DataType=data_type)
    # The width is the column's: numbers in a Char column are text in the file.
    _set_size(item, data_type, variable.type, values, vl.length, vl.significant_digits)
    item.set("SASFieldName", variable.name)
    _description(item, vl.label or variable.label)
    if vl.unit:
        oid_unit = doc.units.setdefault(vl.unit, f"MU.{_oid_part(vl.unit)}")
        etree.SubElement(item, odm("MeasurementUnitRef"), MeasurementUnitOID=oid_unit)
    if vl.codelist:
        etree.SubElement(item, odm("CodeListRef"), CodeListOID=doc.use_codelist(
            vl.codelist, values, f"value-level {oid}"))
    _origin(item, vl.origin or variable.origin, None if vl.origin else variable.source)
    return item


def _set_size(item: etree._Element, data_type: str, sas_type: str, values: pd.Series | None,
              fixed: int | None, significant_digits: int | None) -> None:
    # ISO 8601 values carry no Length in define.xml: their width follows from the format.
    if data_type in ISO_DATE_TYPES:
        return
    length = compute_length(sas_type, values, fixed)
    if length is not None:
        item.set("Length", str(length))
    if data_type == "float":
        digits = significant_digits if significant_digits is not None else compute_significant_digits(values)
        if digits is not None:
            item.set("SignificantDigits", str(digits))


def _where_clause(oid: str, dataset: str, where: Mapping[str, tuple[str, ...]]) -> etree._Element:
    clause = etree.Element(dfn("WhereClauseDef"), OID=oid)
    for name, values in where.items():
        check = etree.SubElement(clause, odm("RangeCheck"), Comparator="EQ" if len(values) == 1 else "IN",
                                 SoftHard="Soft")
        check.set(dfn("ItemOID"), f"IT.{dataset}.{name}")
        for value in values:
            etree.SubElement(check, odm("CheckValue")).text = value
    return clause


def _where_mask(frame: pd.DataFrame, where: Mapping[str, tuple[str, ...]]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for name, values in where.items():
        if name not in frame.columns:
            return pd.Series(False, index=frame.index)
        mask &= as_text(frame[name]).str.strip().isin(values)
    return mask


def _where_suffix(where: Mapping[str, tuple[str, ...]]) -> str:
    return ".".join(f"{name}.{'.'.join(_oid_part(v) for v in values)}" for name, values in where.items())


def _oid_part(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip())


# --- codelists, methods, comments, standards, leaves ---------------------------------------

def _codelist(doc: _Doc, codelist: Codelist, used: set[str] | None) -> etree._Element:
    terms = [t for t in codelist.terms if used is None or t.value in used]
    if not terms:
        terms = list(codelist.terms)
    element = etree.Element(odm("CodeList"), OID=f"CL.{codelist.name}", Name=codelist.label,
                            DataType=codelist.data_type)
    package = next((p for p in doc.packages if codelist.name in p.codelists), None)
    # A sponsor codelist that replaced a CDISC one of the same name is not standard.
    standard = package is not None and not (codelist.sponsor and codelist.c_code is None)
    if standard:
        element.set(dfn("StandardOID"), package.oid)
    extended = standard and codelist.sponsor
    with_decode = any(t.decode for t in terms)
    for number, term in enumerate(terms, start=1):
        tag = "CodeListItem" if with_decode else "EnumeratedItem"
        item = etree.SubElement(element, odm(tag), CodedValue=term.value, OrderNumber=str(number))
        if extended and term.c_code is None:
            item.set(dfn("ExtendedValue"), "Yes")
        if with_decode:
            _translated(etree.SubElement(item, odm("Decode")), term.decode or term.value)
        if term.c_code:
            etree.SubElement(item, odm("Alias"), Context=NCI_CONTEXT, Name=term.c_code)
    if codelist.c_code:
        etree.SubElement(element, odm("Alias"), Context=NCI_CONTEXT, Name=codelist.c_code)
    return element


def _method(doc: _Doc, oid: str, variable: str, text: str) -> str:
    doc.methods[oid] = (f"Algorithm to derive {variable}", text)
    return oid


def _comment(doc: _Doc, oid: str, text: str) -> str:
    doc.comments[oid] = text
    return oid


def _standards(doc: _Doc) -> etree._Element:
    standards = etree.Element(dfn("Standards"))
    ig_name, key, _ = IG_NAMES[doc.kind]
    version = doc.study.standards.get(key, "3.4" if doc.kind == "sdtm" else "1.3")
    etree.SubElement(standards, dfn("Standard"), OID=f"STD.IG.{ig_name}", Name=ig_name, Type="IG",
                     Version=str(version), Status="Final")
    used = set(doc.codelists)
    for package in doc.packages:
        if package.codelists & used:
            etree.SubElement(standards, dfn("Standard"), OID=package.oid, Name="CDISC/NCI", Type="CT",
                             PublishingSet=package.publishing_set, Version=package.version, Status="Final")
    return standards


def _leaf(parent: etree._Element, leaf_id: str, href: str, title: str) -> None:
    leaf = etree.SubElement(parent, dfn("leaf"), ID=leaf_id)
    leaf.set(f"{{{XLINK}}}href", href)
    etree.SubElement(leaf, dfn("title")).text = title


def _leaf_id(title: str) -> str:
    return "LF." + re.sub(r"[^A-Za-z0-9_.-]", "_", title)


def _origin(item: etree._Element, origin: str | None, source: str | None) -> None:
    origin = origin or "Derived"
    element = etree.SubElement(item, dfn("Origin"), Type=origin)
    source = origin_source(origin, source)
    if origin in ("Predecessor", "Not Available"):
        if source:
            _description(element, source)
    elif source in ORIGIN_SOURCES:
        element.set("Source", source)
    elif source:
        element.set("Source", DEFAULT_SOURCE.get(origin, "Sponsor"))
        _description(element, source)


def _description(parent: etree._Element, text: str) -> None:
    _translated(etree.SubElement(parent, odm("Description")), text)


def _translated(parent: etree._Element, text: str) -> None:
    etree.SubElement(parent, odm("TranslatedText"), {f"{{{XML}}}lang": "en"}).text = text.strip()


# --- dataset facts -------------------------------------------------------------------------

def _mandatory(variable: Variable) -> str:
    return "Yes" if variable.core == "Req" else "No"


def _domain(spec: DatasetSpec) -> str:
    return spec.name[4:] if spec.name.startswith("SUPP") else spec.name


def _class_rank(dataset_class: str) -> int:
    upper = dataset_class.upper()
    return CLASS_ORDER.index(upper) if upper in CLASS_ORDER else len(CLASS_ORDER)


def _is_standard(spec: DatasetSpec) -> bool:
    """An SDTMIG domain (SUPP-- as SUPPQUAL), or an ADaM dataset of an ADaMIG class."""
    if spec.kind == "adam":
        return spec.dataset_class.upper() in ADAM_CATALOGUE
    return ("SUPPQUAL" if spec.name.startswith("SUPP") else spec.name) in load_standard("sdtm")


def _subclass(spec: DatasetSpec) -> str | None:
    """ADaM subclasses (Define-XML 2.1): time-to-event BDS and adverse-event OCCDS."""
    names = set(spec.variable_names())
    klass = spec.dataset_class.upper()
    if klass == "BASIC DATA STRUCTURE" and "CNSR" in names:
        return "TIME-TO-EVENT"
    if klass == "OCCURRENCE DATA STRUCTURE" and {"AETERM", "AEDECOD"} & names:
        return "ADVERSE EVENT"
    return None

