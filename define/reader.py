"""Load a Define-XML 1.0, 2.0 or 2.1 document, written by anyone, into the spec model.

The result is what `validate` needs to check a folder against a sponsor's own metadata: one
DatasetSpec per ItemGroupDef (variables with label, type, length, origin, codelist, order, keys,
role, method, comment; value-level metadata from def:ValueListDef/def:WhereClauseDef) and the
codelists with their NCI C-codes. The file is parsed without entities, network or DTD, and a
document with a DOCTYPE is refused.

Where the versions differ the reader takes every form: def:Class as an element (2.1) or an
attribute (1.0, 2.0); origin types CRF and eDT (1.0, 2.0) become Collected with Source
Investigator or Vendor; labels from Description or a def:Label attribute (1.0); keys from
KeySequence or def:DomainKeys (1.0); methods from MethodDef or def:ComputationMethod (1.0);
comments from def:CommentDef or a Comment attribute (1.0). A value-level entry is Num when its
ItemDef's DataType is a number (integer, float), else Char.

Define-XML 1.0 (ODM 1.2 or 1.3) has no where clauses: its def:ValueListDef hangs on the variable
whose values it lists, and each ItemDef in it, named by one value, describes the result for that
value. So a list on --TESTCD, QNAM, TSPARMCD or PARAMCD is read as the metadata of --ORRES, QVAL,
TSVAL or AVAL where that variable holds the ItemDef's Name; lists on other variables (the
pilot's nested LBCAT → LBTESTCD lists) are left out. Another Define-XML version is refused,
naming the version found. Define-XML cannot say
everything the specs say: Mandatory="No" leaves `core` unset (Exp and Perm look alike), a
codelist's extensibility is not recorded, and value-level conditions other than EQ/IN (NE, LT
...) have no place in the model, so such value-level entries are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from lxml import etree

from define.datatypes import NUMERIC_TYPES
from define.odm import (
    DEF_PREFIX,
    NCI_CONTEXT,
    ODM,
    ODM_V12,
    XLINK,
    DefineError,
    declared_def_namespace,
    safe_parse,
)
from specs.model import Codelist, DatasetSpec, Term, ValueLevel, Variable

VERSIONS = ("1.0", "2.0", "2.1")  # the Define-XML versions read
ORIGIN_V20 = {"CRF": ("Collected", "Investigator"), "eDT": ("Collected", "Vendor")}
KIND_BY_PURPOSE = {"tabulation": "sdtm", "analysis": "adam"}
# Define-XML 1.0: the variable a value list hangs on → the variable its entries describe.
V10_DESCRIBED = {"QNAM": "QVAL", "TSPARMCD": "TSVAL", "PARAMCD": "AVAL"}
T = TypeVar("T")


def read_define(path: str | Path) -> tuple[dict[str, DatasetSpec], dict[str, Codelist]]:
    """Dataset specs by name and codelists by name from a Define-XML 1.0, 2.0 or 2.1 file.

    Raises DefineError naming the file for a document that is not Define-XML, is of another
    version, has a DOCTYPE, or has references that do not resolve (listing all of them).
    """
    path = Path(path)
    root = safe_parse(path).getroot()
    name = etree.QName(root)
    if name.localname != "ODM" or name.namespace not in (ODM, ODM_V12):
        found = f" in namespace {name.namespace}" if name.namespace else " in no namespace"
        raise DefineError(f"{path}: not a Define-XML document: the root element is "
                          f"{name.localname!r}{found}, not ODM in namespace {ODM} (or {ODM_V12})")
    ns = {"odm": name.namespace}
    mdv = root.find("odm:Study/odm:MetaDataVersion", ns)
    if mdv is None:
        raise DefineError(f"{path}: no Study/MetaDataVersion element")
    ns["def"] = _def_namespace(path, mdv)
    reader = _Reader(path, mdv, ns)
    codelists = {reader.codelist_name(oid): reader.codelist(el) for oid, el in reader.codelists.items()}
    datasets = {}
    for group in mdv.iterfind("odm:ItemGroupDef", ns):
        spec = reader.dataset(group)
        datasets[spec.name] = spec
    if reader.problems:
        raise DefineError(f"{path}: references that do not resolve", reader.problems)
    return datasets, codelists


def _def_namespace(path: Path, mdv: etree._Element) -> str:
    """The Define-XML namespace of the metadata, when it is of a version read."""
    read = ", ".join(VERSIONS)
    namespace = declared_def_namespace(mdv)
    if namespace is None:
        raise DefineError(f"{path}: no Define-XML version found: no namespace {DEF_PREFIX}v… is "
                          f"declared; Define-XML {read} are read")
    version = namespace.removeprefix(DEF_PREFIX).removeprefix("v")
    if version not in VERSIONS:
        raise DefineError(f"{path}: Define-XML {version} (namespace {namespace}) is not read; "
                          f"Define-XML {read} are")
    return namespace


class _Reader:
    """Lookups of one MetaDataVersion by OID, and the problems met while resolving them."""

    def __init__(self, path: Path, mdv: etree._Element, ns: dict[str, str]):
        self.path, self.mdv, self.ns = path, mdv, ns
        self.problems: list[str] = []
        self.variable_methods: dict[str, str | None] = {}  # of the ItemGroupDef being read
        self.v10 = ns["def"].endswith("v1.0")
        self.items = self._by_oid("odm:ItemDef")
        self.codelists = self._by_oid("odm:CodeList")
        self.methods = {oid: _text(e, ns) for oid, e in self._by_oid("odm:MethodDef").items()}
        self.methods |= {oid: (e.text or "").strip()
                         for oid, e in self._by_oid("def:ComputationMethod").items()}
        self.comments = {oid: _text(e, ns) for oid, e in self._by_oid("def:CommentDef").items()}
        self.value_lists = self._by_oid("def:ValueListDef")
        self.where_clauses = self._by_oid("def:WhereClauseDef")
        study = mdv.getparent()
        self.units = {e.get("OID"): e.get("Name") for e in study.iterfind(".//odm:MeasurementUnit", ns)}
        # The implementation guide: def:Standards in 2.1, the def:StandardName attribute in 2.0.
        guides = [s.get("Name") or "" for s in mdv.iterfind("def:Standards/def:Standard[@Type='IG']", ns)]
        guides.append(mdv.get(self._def("StandardName")) or "")
        self.kind = "adam" if any("ADAM" in g.upper() for g in guides) else "sdtm"

    def _by_oid(self, tag: str) -> dict[str, etree._Element]:
        return {e.get("OID"): e for e in self.mdv.iterfind(tag, self.ns)}

    def _def(self, name: str) -> str:
        return f"{{{self.ns['def']}}}{name}"

    def _lookup(self, table: dict[str, T], oid: str | None, what: str, where: str) -> T | None:
        if oid is None:
            return None
        if oid not in table:
            self.problems.append(f"{where}: {what} {oid!r} is not defined")
            return None
        return table[oid]

    def codelist_name(self, oid: str) -> str:
        return oid[3:] if oid.startswith("CL.") else self.codelists[oid].get("Name")

    def codelist(self, element: etree._Element) -> Codelist:
        ns = self.ns
        items = element.findall("odm:CodeListItem", ns) + element.findall("odm:EnumeratedItem", ns)
        items.sort(key=lambda e: float(e.get("OrderNumber") or 0))
        terms = []
        for item in items:
            value = item.get("CodedValue")
            decode = _text(item.find("odm:Decode", ns), ns)
            terms.append(Term(value=value, c_code=_nci_code(item, ns),
                              decode=decode if decode and decode != value else None))
        external = element.find("odm:ExternalCodeList", ns)
        note = None
        if external is not None:
            note = " ".join(filter(None, ("External dictionary", external.get("Dictionary"),
                                          external.get("Version"))))
        extended = any(i.get(self._def("ExtendedValue")) == "Yes" for i in items)
        data_type = element.get("DataType", "text")
        return Codelist(
            name=self.codelist_name(element.get("OID")), label=element.get("Name", ""), terms=tuple(terms),
            c_code=_nci_code(element, ns), extensible=False,
            sponsor=extended or element.get(self._def("StandardOID")) is None,
            data_type=data_type if data_type in ("integer", "float") else "text", note=note,
        )

    def dataset(self, group: etree._Element) -> DatasetSpec:
        ns, name = self.ns, group.get("Name")
        refs = group.findall("odm:ItemRef", ns)
        refs.sort(key=lambda r: int(r.get("OrderNumber") or 0))
        variables, keys, value_lists = [], [], []
        # The method each variable's ItemRef points to: a value-level entry pointing to the same
        # MethodDef has no method of its own (define.writer shares it with derived slices).
        self.variable_methods = {}
        for order, ref in enumerate(refs, start=1):
            item = self._lookup(self.items, ref.get("ItemOID"), "ItemDef", f"ItemGroupDef {name}")
            if item is None:
                continue
            variable = self.variable(item, ref, order)
            variables.append(variable)
            self.variable_methods[variable.name] = ref.get("MethodOID")
            if ref.get("KeySequence"):
                keys.append((int(ref.get("KeySequence")), variable.name))
            value_list_ref = item.find("def:ValueListRef", ns)
            if value_list_ref is not None:
                value_list = self._lookup(self.value_lists, value_list_ref.get("ValueListOID"),
                                          "ValueListDef", f"ItemDef {item.get('OID')}")
                if value_list is not None:
                    value_lists.append((value_list, variable))
        # A Define-XML 1.0 list may describe a variable that comes later in the dataset.
        by_name = {v.name: v for v in variables}
        value_level = [level for value_list, variable in value_lists
                       for level in self.value_levels(value_list, variable, by_name)]
        klass = group.find("def:Class", ns)
        dataset_class = klass.get("Name") if klass is not None else group.get(self._def("Class"), "")
        purpose = (group.get("Purpose") or "").lower()
        domain_keys = (group.get(self._def("DomainKeys")) or "").split(",")
        return DatasetSpec(
            name=name, label=self.label(group) or name, kind=KIND_BY_PURPOSE.get(purpose, self.kind),
            dataset_class=dataset_class.upper(), structure=group.get(self._def("Structure"), ""),
            keys=tuple(n for _, n in sorted(keys)) or tuple(k.strip() for k in domain_keys if k.strip()),
            variables=tuple(variables), value_level=tuple(value_level),
            comment=self.comment(group, f"ItemGroupDef {name}"), file=str(self.path),
        )

    def variable(self, item: etree._Element, ref: etree._Element, order: int) -> Variable:
        where = f"ItemDef {item.get('OID')}"
        origin, source = self.origin(item)
        data_type = item.get("DataType", "text")
        sas_type = "Num" if data_type in NUMERIC_TYPES else "Char"
        return Variable(
            name=item.get("Name"), label=self.label(item) or "", type=sas_type, order=order,
            length=_int(item.get("Length")) if sas_type == "Char" else None,
            origin=origin, source=source, codelist=self.codelist_ref(item, where),
            role=ref.get("Role"), core="Req" if ref.get("Mandatory") == "Yes" else None,
            format=item.get(self._def("DisplayFormat")),
            significant_digits=_int(item.get("SignificantDigits")),
            method=self.method(ref, item, where), comment=self.comment(item, where),
        )

    def value_levels(self, value_list: etree._Element, parent: Variable,
                     variables: dict[str, Variable]) -> list[ValueLevel]:
        """The entries of a value list on `parent`, one per (variable described, where)."""
        where_text = f"ValueListDef {value_list.get('OID')}"
        levels = []
        for ref in value_list.iterfind("odm:ItemRef", self.ns):
            item = self._lookup(self.items, ref.get("ItemOID"), "ItemDef", where_text)
            if item is None:
                continue
            for described, where in self.slices(ref, item, parent, variables, where_text):
                levels.append(self.value_level(item, ref, described, where, where_text))
        return levels

    def slices(self, ref: etree._Element, item: etree._Element, parent: Variable,
               variables: dict[str, Variable], where_text: str) -> list[tuple[Variable, dict]]:
        """(variable described, where) of one value-list entry: by its where clauses (2.x), or by
        its Name as the value of the variable the list hangs on (1.0)."""
        if self.v10:
            described = variables.get(_v10_described(parent.name))
            return [(described, {parent.name: (item.get("Name"),)})] if described else []
        out = []
        for clause_ref in ref.iterfind("def:WhereClauseRef", self.ns):
            clause = self._lookup(self.where_clauses, clause_ref.get("WhereClauseOID"),
                                  "WhereClauseDef", where_text)
            where = self.where(clause) if clause is not None else None
            if where is not None:
                out.append((parent, where))
        return out

    def value_level(self, item: etree._Element, ref: etree._Element, described: Variable,
                    where: dict[str, tuple[str, ...]], where_text: str) -> ValueLevel:
        unit_ref = item.find("odm:MeasurementUnitRef", self.ns)
        unit = None
        if unit_ref is not None:
            unit = self._lookup(self.units, unit_ref.get("MeasurementUnitOID"), "MeasurementUnit",
                                f"ItemDef {item.get('OID')}")
        shared = ref.get("MethodOID") and ref.get("MethodOID") == self.variable_methods.get(described.name)
        return ValueLevel(
            variable=described.name, where=where,
            type="Num" if item.get("DataType") in NUMERIC_TYPES else "Char",
            label=self.label(item),
            length=_int(item.get("Length")) if described.type == "Char" else None,
            codelist=self.codelist_ref(item, f"ItemDef {item.get('OID')}"), origin=self.origin(item)[0],
            unit=unit, method=None if shared else self.method(ref, item, where_text),
            significant_digits=_int(item.get("SignificantDigits")),
        )

    def label(self, element: etree._Element) -> str | None:
        """Description (2.x) or the def:Label attribute (1.0)."""
        return _text(element.find("odm:Description", self.ns), self.ns) or element.get(self._def("Label"))

    def method(self, ref: etree._Element, item: etree._Element, where: str) -> str | None:
        """MethodDef of the ItemRef (2.x) or def:ComputationMethod of the ItemDef (1.0)."""
        oid = ref.get("MethodOID") or item.get(self._def("ComputationMethodOID"))
        return self._lookup(self.methods, oid, "MethodDef", where)

    def comment(self, element: etree._Element, where: str) -> str | None:
        """def:CommentDef (2.x) or the Comment attribute (1.0; blank is none)."""
        return (self._lookup(self.comments, element.get(self._def("CommentOID")), "CommentDef", where)
                or (element.get("Comment") or "").strip() or None)

    def where(self, clause: etree._Element) -> dict[str, tuple[str, ...]] | None:
        """The clause as variable → allowed values; None when it uses a comparator beyond EQ/IN."""
        where = {}
        for check in clause.iterfind("odm:RangeCheck", self.ns):
            if check.get("Comparator") not in ("EQ", "IN"):
                return None
            item = self._lookup(self.items, check.get(self._def("ItemOID")), "ItemDef",
                                f"WhereClauseDef {clause.get('OID')}")
            if item is None:
                return None
            where[item.get("Name")] = tuple((v.text or "").strip()
                                            for v in check.iterfind("odm:CheckValue", self.ns))
        return where

    def origin(self, item: etree._Element) -> tuple[str | None, str | None]:
        """(type, source): the source is the Origin's description when it has one, else its Source."""
        element = item.find("def:Origin", self.ns)
        if element is None:
            return _v10_origin(item.get("Origin"))
        kind, source = element.get("Type"), element.get("Source")
        if kind in ORIGIN_V20:
            kind, source = ORIGIN_V20[kind]
        return kind, _text(element.find("odm:Description", self.ns), self.ns) or source

    def codelist_ref(self, item: etree._Element, where: str) -> str | None:
        ref = item.find("odm:CodeListRef", self.ns)
        if ref is None:
            return None
        oid = ref.get("CodeListOID")
        if self._lookup(self.codelists, oid, "CodeList", where) is None:
            return None
        return self.codelist_name(oid)


def _v10_described(name: str) -> str | None:
    """The variable a Define-XML 1.0 value list on `name` describes (VSTESTCD → VSORRES)."""
    if name.endswith("TESTCD"):
        return name.removesuffix("TESTCD") + "ORRES"
    return V10_DESCRIBED.get(name)


def _v10_origin(text: str | None) -> tuple[str | None, str | None]:
    """A Define-XML 1.0 Origin attribute ('CRF Pages 10, 11', 'eDT', 'Derived') as (type, source)."""
    if not text:
        return None, None
    return ORIGIN_V20.get(text.split()[0], (text, None))


def _text(element: etree._Element | None, ns: dict[str, str]) -> str | None:
    """The (first) TranslatedText of an element with a Description or Decode child, or of itself."""
    if element is None:
        return None
    found = element.find("odm:TranslatedText", ns)
    if found is None:
        found = element.find("odm:Description/odm:TranslatedText", ns)
    return found.text.strip() if found is not None and found.text else None


def _nci_code(element: etree._Element, ns: dict[str, str]) -> str | None:
    alias = next((a for a in element.iterfind("odm:Alias", ns) if a.get("Context") == NCI_CONTEXT), None)
    return alias.get("Name") if alias is not None else None


def _int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None


def read_ct_versions(path: str | Path) -> dict[str, str]:
    """The CDISC CT releases a Define-XML 2.1 file's def:Standards name, by NCI EVS package
    (sdtm, adam ...); empty for a file that names none (Define-XML 1.0 and 2.0 have no place for it)."""
    root = safe_parse(Path(path)).getroot()
    ns = {"odm": etree.QName(root).namespace or ODM}
    mdv = root.find("odm:Study/odm:MetaDataVersion", ns)
    namespace = declared_def_namespace(mdv) if mdv is not None else None
    if namespace is None:
        return {}
    ns["def"] = namespace
    out = {}
    for standard in mdv.iterfind("def:Standards/def:Standard[@Type='CT']", ns):
        publishing_set = (standard.get("PublishingSet") or "").lower()
        if publishing_set and standard.get("Version"):
            out.setdefault(publishing_set, standard.get("Version"))
    return out


def read_study_header(path: str | Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A Define-XML file's GlobalVariables (StudyName, StudyDescription, ProtocolName) and its
    documents (def:leaf: ID, title, href), for what `read_define` leaves out."""
    root = safe_parse(Path(path)).getroot()
    ns = {"odm": etree.QName(root).namespace or ODM, "xlink": XLINK}
    study = root.find("odm:Study", ns)
    if study is None:
        return {}, []
    header = {etree.QName(e).localname: (e.text or "").strip()
              for e in study.iterfind("odm:GlobalVariables/*", ns)}
    mdv = study.find("odm:MetaDataVersion", ns)
    namespace = declared_def_namespace(mdv) if mdv is not None else None
    if namespace is None:
        return header, []
    ns["def"] = namespace
    documents = [{"id": leaf.get("ID"), "href": leaf.get(f"{{{XLINK}}}href"),
                  "title": (leaf.findtext("def:title", namespaces=ns) or "").strip()}
                 for leaf in mdv.iterfind("def:leaf", ns)]
    return header, documents
