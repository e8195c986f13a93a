"""Load a Define-XML 2.0 or 2.1 document, written by anyone, into the spec model.

The result is what `validate` needs to check a folder against a sponsor's own metadata: one
DatasetSpec per ItemGroupDef (variables with label, type, length, origin, codelist, order, keys,
role, method, comment; value-level metadata from def:ValueListDef/def:WhereClauseDef) and the
codelists with their NCI C-codes. The file is parsed without entities, network or DTD, and a
document with a DOCTYPE is refused.

Where the two versions differ the reader takes both forms: def:Class as an element (2.1) or an
attribute (2.0); origin types CRF and eDT (2.0) become Collected with Source Investigator or
Vendor; a dataset label from Description or a def:Label attribute. A value-level entry is Num
when its ItemDef's DataType is a number (integer, float), else Char. Define-XML cannot say
everything the specs say: Mandatory="No" leaves `core` unset (Exp and Perm look alike), a
codelist's extensibility is not recorded, and value-level conditions other than EQ/IN (NE, LT
...) have no place in the model, so such value-level entries are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from lxml import etree

from define.datatypes import NUMERIC_TYPES
from define.odm import NCI_CONTEXT, ODM, DefineError, def_namespace, odm, safe_parse
from specs.model import Codelist, DatasetSpec, Term, ValueLevel, Variable

ORIGIN_V20 = {"CRF": ("Collected", "Investigator"), "eDT": ("Collected", "Vendor")}
KIND_BY_PURPOSE = {"tabulation": "sdtm", "analysis": "adam"}
T = TypeVar("T")


def read_define(path: str | Path) -> tuple[dict[str, DatasetSpec], dict[str, Codelist]]:
    """Dataset specs by name and codelists by name from a Define-XML 2.0/2.1 file.

    Raises DefineError naming the file for a document that is not Define-XML, has a DOCTYPE, or
    has references that do not resolve (listing all of them).
    """
    path = Path(path)
    root = safe_parse(path).getroot()
    if root.tag != odm("ODM"):
        raise DefineError(f"{path}: not a Define-XML document: the root element is "
                          f"{etree.QName(root).localname!r}, not ODM in namespace {ODM}")
    ns = {"odm": ODM, "def": def_namespace(root)}
    mdv = root.find("odm:Study/odm:MetaDataVersion", ns)
    if mdv is None:
        raise DefineError(f"{path}: no Study/MetaDataVersion element")
    reader = _Reader(path, mdv, ns)
    codelists = {reader.codelist_name(oid): reader.codelist(el) for oid, el in reader.codelists.items()}
    datasets = {}
    for group in mdv.iterfind("odm:ItemGroupDef", ns):
        spec = reader.dataset(group)
        datasets[spec.name] = spec
    if reader.problems:
        raise DefineError(f"{path}: references that do not resolve", reader.problems)
    return datasets, codelists


class _Reader:
    """Lookups of one MetaDataVersion by OID, and the problems met while resolving them."""

    def __init__(self, path: Path, mdv: etree._Element, ns: dict[str, str]):
        self.path, self.mdv, self.ns = path, mdv, ns
        self.problems: list[str] = []
        self.items = self._by_oid("odm:ItemDef")
        self.codelists = self._by_oid("odm:CodeList")
        self.methods = {oid: _text(e, ns) for oid, e in self._by_oid("odm:MethodDef").items()}
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
        variables, keys, value_level = [], [], []
        for order, ref in enumerate(refs, start=1):
            item = self._lookup(self.items, ref.get("ItemOID"), "ItemDef", f"ItemGroupDef {name}")
            if item is None:
                continue
            variable = self.variable(item, ref, order)
            variables.append(variable)
            if ref.get("KeySequence"):
                keys.append((int(ref.get("KeySequence")), variable.name))
            value_list_ref = item.find("def:ValueListRef", ns)
            if value_list_ref is not None:
                value_list = self._lookup(self.value_lists, value_list_ref.get("ValueListOID"),
                                          "ValueListDef", f"ItemDef {item.get('OID')}")
                if value_list is not None:
                    value_level += self.value_levels(value_list, variable)
        klass = group.find("def:Class", ns)
        dataset_class = klass.get("Name") if klass is not None else group.get(self._def("Class"), "")
        label = _text(group.find("odm:Description", ns), ns) or group.get(self._def("Label")) or name
        purpose = (group.get("Purpose") or "").lower()
        return DatasetSpec(
            name=name, label=label, kind=KIND_BY_PURPOSE.get(purpose, self.kind),
            dataset_class=dataset_class.upper(), structure=group.get(self._def("Structure"), ""),
            keys=tuple(n for _, n in sorted(keys)), variables=tuple(variables),
            value_level=tuple(value_level),
            comment=self._lookup(self.comments, group.get(self._def("CommentOID")), "CommentDef",
                                 f"ItemGroupDef {name}"),
            file=str(self.path),
        )

    def variable(self, item: etree._Element, ref: etree._Element, order: int) -> Variable:
        where = f"ItemDef {item.get('OID')}"
        origin, source = self.origin(item)
        data_type = item.get("DataType", "text")
        sas_type = "Num" if data_type in NUMERIC_TYPES else "Char"
        return Variable(
            name=item.get("Name"), label=_text(item.find("odm:Description", self.ns), self.ns) or "",
            type=sas_type, order=order,
            length=_int(item.get("Length")) if sas_type == "Char" else None,
            origin=origin, source=source, codelist=self.codelist_ref(item, where),
            role=ref.get("Role"), core="Req" if ref.get("Mandatory") == "Yes" else None,
            format=item.get(self._def("DisplayFormat")),
            significant_digits=_int(item.get("SignificantDigits")),
            method=self._lookup(self.methods, ref.get("MethodOID"), "MethodDef", where),
            comment=self._lookup(self.comments, item.get(self._def("CommentOID")), "CommentDef", where),
        )

    def value_levels(self, value_list: etree._Element, parent: Variable) -> list[ValueLevel]:
        ns, levels = self.ns, []
        for ref in value_list.iterfind("odm:ItemRef", ns):
            where_text = f"ValueListDef {value_list.get('OID')}"
            item = self._lookup(self.items, ref.get("ItemOID"), "ItemDef", where_text)
            if item is None:
                continue
            origin, _source = self.origin(item)
            unit_ref = item.find("odm:MeasurementUnitRef", ns)
            unit = None
            if unit_ref is not None:
                unit = self._lookup(self.units, unit_ref.get("MeasurementUnitOID"), "MeasurementUnit",
                                    f"ItemDef {item.get('OID')}")
            for clause_ref in ref.iterfind("def:WhereClauseRef", ns):
                clause = self._lookup(self.where_clauses, clause_ref.get("WhereClauseOID"),
                                      "WhereClauseDef", where_text)
                where = self.where(clause) if clause is not None else None
                if where is None:
                    continue
                levels.append(ValueLevel(
                    variable=parent.name, where=where,
                    type="Num" if item.get("DataType") in NUMERIC_TYPES else "Char",
                    label=_text(item.find("odm:Description", ns), ns),
                    length=_int(item.get("Length")) if parent.type == "Char" else None,
                    codelist=self.codelist_ref(item, f"ItemDef {item.get('OID')}"), origin=origin,
                    unit=unit,
                    method=self._lookup(self.methods, ref.get("MethodOID"), "MethodDef", where_text),
                    significant_digits=_int(item.get("SignificantDigits")),
                ))
        return levels

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
            return item.get("Origin"), None
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
    ns = {"odm": ODM, "def": def_namespace(root)}
    out = {}
    for standard in root.iterfind("odm:Study/odm:MetaDataVersion/def:Standards/def:Standard[@Type='CT']", ns):
        publishing_set = (standard.get("PublishingSet") or "").lower()
        if publishing_set and standard.get("Version"):
            out.setdefault(publishing_set, standard.get("Version"))
    return out
