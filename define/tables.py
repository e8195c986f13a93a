"""A define.xml as tables, so that conformance rules written as data can check it.

Each kind of definition becomes one table, a row per element, with the attributes rules ask
about and the line of the element in the file: DEFINE_STUDY, DEFINE_ITEMGROUPS, DEFINE_ITEMREFS,
DEFINE_ITEMS, DEFINE_CODELISTS, DEFINE_CODELISTITEMS, DEFINE_WHERECLAUSES, DEFINE_METHODS,
DEFINE_COMMENTS, DEFINE_LEAFS (with whether the file exists beside the define.xml), and
DEFINE_REFERENCES (every OID reference, resolved or not) and DEFINE_OIDS (every definition's
OID, used or not). Text is "" where an attribute is absent; rules see what the file says.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
from lxml import etree

from define.odm import NCI_CONTEXT, ODM_V12, XLINK, as_tree, declared_def_namespace

# (referring element/attribute, the definition it names, that definition's key attribute)
REFERENCES = (
    ("odm:ItemRef/@ItemOID", "odm:ItemDef", "OID"),
    ("odm:RangeCheck/@def:ItemOID", "odm:ItemDef", "OID"),
    ("odm:CodeListRef/@CodeListOID", "odm:CodeList", "OID"),
    ("*/@MethodOID", "odm:MethodDef", "OID"),
    ("*/@def:CommentOID", "def:CommentDef", "OID"),
    ("def:ValueListRef/@ValueListOID", "def:ValueListDef", "OID"),
    ("def:WhereClauseRef/@WhereClauseOID", "def:WhereClauseDef", "OID"),
    ("*/@def:StandardOID", "def:Standard", "OID"),
    ("*/@def:ArchiveLocationID", "def:leaf", "ID"),
    ("def:DocumentRef/@leafID", "def:leaf", "ID"),
    ("odm:MeasurementUnitRef/@MeasurementUnitOID", "odm:MeasurementUnit", "OID"),
)
# Definitions that are only there to be referenced: one nobody uses is a mistake.
MUST_BE_USED = ("odm:ItemDef", "odm:CodeList", "odm:MethodDef", "def:CommentDef", "def:ValueListDef",
                "def:WhereClauseDef")


def define_tables(define: str | Path | etree._ElementTree, *, file: str | Path | None = None
                  ) -> dict[str, pd.DataFrame]:
    """The tables of a Define-XML 2.0 or 2.1 document (see the module's text), by name."""
    tree = as_tree(define)
    root = tree.getroot()
    source = Path(file or tree.docinfo.URL or "define.xml")
    ns = {"odm": etree.QName(root).namespace or "", "def": declared_def_namespace(root) or "",
          "xlink": XLINK}
    mdv = root.find("odm:Study/odm:MetaDataVersion", ns)
    if mdv is None:
        mdv = root
    read = _Reader(ns)
    items = {i.get("OID"): i for i in mdv.iterfind("odm:ItemDef", ns)}
    vlm_items = {ref.get("ItemOID") for ref in mdv.iterfind("def:ValueListDef/odm:ItemRef", ns)}
    tables = {
        "DEFINE_STUDY": pd.DataFrame([read.study(root, mdv, source)]),
        "DEFINE_ITEMGROUPS": pd.DataFrame([read.group(g) for g in mdv.iterfind("odm:ItemGroupDef", ns)]),
        "DEFINE_ITEMREFS": pd.DataFrame(
            [read.itemref(r, r.getparent(), items) for parent in ("odm:ItemGroupDef", "def:ValueListDef")
             for r in mdv.iterfind(f"{parent}/odm:ItemRef", ns)]),
        "DEFINE_ITEMS": pd.DataFrame([read.item(i, i.get("OID") in vlm_items) for i in items.values()]),
        "DEFINE_CODELISTS": pd.DataFrame([read.codelist(c) for c in mdv.iterfind("odm:CodeList", ns)]),
        "DEFINE_CODELISTITEMS": pd.DataFrame(
            [read.term(t) for c in mdv.iterfind("odm:CodeList", ns) for t in c
             if etree.QName(t).localname in ("CodeListItem", "EnumeratedItem")]),
        "DEFINE_WHERECLAUSES": pd.DataFrame(
            [read.where(w, check) for w in mdv.iterfind("def:WhereClauseDef", ns)
             for check in w.iterfind("odm:RangeCheck", ns)]),
        "DEFINE_METHODS": pd.DataFrame([read.method(m) for m in mdv.iterfind("odm:MethodDef", ns)]),
        "DEFINE_COMMENTS": pd.DataFrame([read.comment(c) for c in mdv.iterfind("def:CommentDef", ns)]),
        "DEFINE_LEAFS": pd.DataFrame([read.leaf(leaf, source.parent)
                                      for leaf in mdv.iter(f"{{{ns['def']}}}leaf")]),
        # Measurement units live in BasicDefinitions, beside the MetaDataVersion: look in the document.
        "DEFINE_REFERENCES": pd.DataFrame(read.references(root)),
        "DEFINE_OIDS": pd.DataFrame(read.oids(root)),
    }
    return {name: _text(frame) for name, frame in tables.items()}


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column text ("" where absent) except the counts, which are numbers."""
    if frame.empty:
        return frame
    numbers = [c for c in frame.columns if c in ("items", "itemrefs", "decoded", "values")]
    return frame.assign(**{c: frame[c].fillna("").astype(str) for c in frame.columns if c not in numbers},
                        **{c: frame[c].astype("float64") for c in numbers})


class _Reader:
    def __init__(self, ns: dict[str, str]):
        self.ns = ns

    def attr(self, element: etree._Element, name: str) -> str:
        prefix, _, local = name.rpartition(":")
        key = f"{{{self.ns[prefix]}}}{local}" if prefix else local
        return element.get(key, "")

    def description(self, element: etree._Element) -> str:
        """The Description's text; a Define-XML 1.0 label is the def:Label attribute instead."""
        text = element.find("odm:Description/odm:TranslatedText", self.ns)
        return (text.text or "").strip() if text is not None else self.attr(element, "def:Label").strip()

    def study(self, root: etree._Element, mdv: etree._Element, source: Path) -> dict:
        globals_ = root.find("odm:Study/odm:GlobalVariables", self.ns)

        def value(tag: str) -> str:
            found = globals_.find(f"odm:{tag}", self.ns) if globals_ is not None else None
            return (found.text or "").strip() if found is not None else ""

        standards = mdv.findall("def:Standards/def:Standard", self.ns)
        return {
            "file_name": source.name, "define_version": self.ns["def"].rsplit("/v", 1)[-1],
            "odm_version": "1.2" if self.ns["odm"] == ODM_V12 else root.get("ODMVersion", ""),
            "file_oid": root.get("FileOID", ""), "context": self.attr(root, "def:Context"),
            "creation": root.get("CreationDateTime", ""), "study_name": value("StudyName"),
            "protocol_name": value("ProtocolName"), "description": value("StudyDescription"),
            "standards": "; ".join(f"{s.get('Name', '')} {s.get('Version', '')}".strip() for s in standards),
            "mdv_oid": mdv.get("OID", ""), "line": mdv.sourceline or 0,
        }

    def group(self, group: etree._Element) -> dict:
        klass = group.find("def:Class", self.ns)
        leaf = group.find("def:leaf", self.ns)
        return {
            "OID": group.get("OID", ""), "Name": group.get("Name", ""), "Domain": group.get("Domain", ""),
            "Repeating": group.get("Repeating", ""), "IsReferenceData": group.get("IsReferenceData", ""),
            "Purpose": group.get("Purpose", ""), "SASDatasetName": group.get("SASDatasetName", ""),
            "Structure": self.attr(group, "def:Structure"),
            "Class": klass.get("Name", "") if klass is not None else self.attr(group, "def:Class"),
            "ArchiveLocationID": self.attr(group, "def:ArchiveLocationID"),
            "leaf_href": leaf.get(f"{{{XLINK}}}href", "") if leaf is not None else "",
            "Label": self.description(group), "CommentOID": self.attr(group, "def:CommentOID"),
            "StandardOID": self.attr(group, "def:StandardOID"),
            "IsNonStandard": self.attr(group, "def:IsNonStandard"),
            "HasNoData": self.attr(group, "def:HasNoData"),
            "itemrefs": len(group.findall("odm:ItemRef", self.ns)),
            "keys": ", ".join(r.get("ItemOID", "") for r in sorted(
                (r for r in group.iterfind("odm:ItemRef", self.ns) if r.get("KeySequence")),
                key=lambda r: int(r.get("KeySequence") or 0))),
            "line": group.sourceline or 0,
        }

    def itemref(self, ref: etree._Element, parent: etree._Element, items: dict) -> dict:
        item = items.get(ref.get("ItemOID"))
        return {
            "parent": etree.QName(parent).localname, "parent_OID": parent.get("OID", ""),
            "parent_Name": parent.get("Name", ""), "ItemOID": ref.get("ItemOID", ""),
            "Variable": item.get("Name", "") if item is not None else "",
            "OriginType": self._origin(item)[0] if item is not None else "",
            "OrderNumber": ref.get("OrderNumber", ""), "Mandatory": ref.get("Mandatory", ""),
            "KeySequence": ref.get("KeySequence", ""), "MethodOID": ref.get("MethodOID", ""),
            "Role": ref.get("Role", ""), "IsNonStandard": self.attr(ref, "def:IsNonStandard"),
            "HasNoData": self.attr(ref, "def:HasNoData"),
            "WhereClauseOID": next((w.get("WhereClauseOID", "") for w in ref.iterfind("def:WhereClauseRef",
                                                                                       self.ns)), ""),
            "line": ref.sourceline or 0,
        }

    def _origin(self, item: etree._Element) -> tuple[str, str]:
        origin = item.find("def:Origin", self.ns)
        if origin is None:
            return "", ""
        return origin.get("Type", ""), origin.get("Source", "")

    def item(self, item: etree._Element, value_level: bool) -> dict:
        codelist = item.find("odm:CodeListRef", self.ns)
        values = item.find("def:ValueListRef", self.ns)
        origin_type, origin_source = self._origin(item)
        return {
            "OID": item.get("OID", ""), "Name": item.get("Name", ""), "DataType": item.get("DataType", ""),
            "Length": item.get("Length", ""), "SignificantDigits": item.get("SignificantDigits", ""),
            "SASFieldName": item.get("SASFieldName", ""),
            "DisplayFormat": self.attr(item, "def:DisplayFormat"),
            "Label": self.description(item),
            "CodeListOID": codelist.get("CodeListOID", "") if codelist is not None else "",
            "ValueListOID": values.get("ValueListOID", "") if values is not None else "",
            "OriginType": origin_type, "OriginSource": origin_source,
            "CommentOID": self.attr(item, "def:CommentOID"), "value_level": "Y" if value_level else "N",
            "line": item.sourceline or 0,
        }

    def codelist(self, codelist: etree._Element) -> dict:
        alias = codelist.find(f"odm:Alias[@Context='{NCI_CONTEXT}']", self.ns)
        coded = codelist.findall("odm:CodeListItem", self.ns)
        return {
            "OID": codelist.get("OID", ""), "Name": codelist.get("Name", ""),
            "DataType": codelist.get("DataType", ""),
            "ExtCodeID": alias.get("Name", "") if alias is not None else "",
            "IsNonStandard": self.attr(codelist, "def:IsNonStandard"),
            "StandardOID": self.attr(codelist, "def:StandardOID"),
            "items": len(coded) + len(codelist.findall("odm:EnumeratedItem", self.ns)),
            "decoded": sum(c.find("odm:Decode", self.ns) is not None for c in coded),
            "external": "Y" if codelist.find("odm:ExternalCodeList", self.ns) is not None else "N",
            "line": codelist.sourceline or 0,
        }

    def term(self, term: etree._Element) -> dict:
        codelist = term.getparent()
        alias = term.find(f"odm:Alias[@Context='{NCI_CONTEXT}']", self.ns)
        decode = term.find("odm:Decode/odm:TranslatedText", self.ns)
        return {
            "CodeListOID": codelist.get("OID", ""), "CodeListDataType": codelist.get("DataType", ""),
            "kind": etree.QName(term).localname, "CodedValue": term.get("CodedValue", ""),
            "Decode": (decode.text or "") if decode is not None else "",
            "ExtCodeID": alias.get("Name", "") if alias is not None else "",
            "ExtendedValue": self.attr(term, "def:ExtendedValue"), "OrderNumber": term.get("OrderNumber", ""),
            "line": term.sourceline or 0,
        }

    def where(self, clause: etree._Element, check: etree._Element) -> dict:
        values = [(v.text or "") for v in check.iterfind("odm:CheckValue", self.ns)]
        return {"OID": clause.get("OID", ""), "ItemOID": self.attr(check, "def:ItemOID"),
                "Comparator": check.get("Comparator", ""), "SoftHard": check.get("SoftHard", ""),
                "CheckValues": "; ".join(values), "values": len(values), "line": check.sourceline or 0}

    def method(self, method: etree._Element) -> dict:
        return {"OID": method.get("OID", ""), "Name": method.get("Name", ""), "Type": method.get("Type", ""),
                "Description": self.description(method), "line": method.sourceline or 0}

    def comment(self, comment: etree._Element) -> dict:
        return {"OID": comment.get("OID", ""), "Description": self.description(comment),
                "line": comment.sourceline or 0}

    def leaf(self, leaf: etree._Element, folder: Path) -> dict:
        href = leaf.get(f"{{{XLINK}}}href", "")
        title = leaf.find("def:title", self.ns)
        exists = bool(href) and "://" not in href and (folder / href.split("#")[0]).is_file()
        return {"ID": leaf.get("ID", ""), "href": href,
                "title": (title.text or "") if title is not None else "",
                "file_exists": "Y" if exists else "N", "line": leaf.sourceline or 0}

    def references(self, document: etree._Element) -> list[dict]:
        rows = []
        for path, target, key in REFERENCES:
            defined = {e.get(key) for e in document.iterfind(f".//{target}", self.ns)}
            element_path, attribute = path.rsplit("/@", 1)
            for element in document.iterfind(f".//{element_path}", self.ns):
                value = self.attr(element, attribute)
                if value:
                    rows.append({"element": etree.QName(element).localname, "attribute": attribute,
                                 "value": value, "target": target.split(":")[1], "key": key,
                                 "resolved": "Y" if value in defined else "N", "where": _where(element),
                                 "line": element.sourceline or 0})
        return rows

    def oids(self, document: etree._Element) -> list[dict]:
        used: Counter = Counter()
        for path, target, _ in REFERENCES:
            element_path, attribute = path.rsplit("/@", 1)
            for element in document.iterfind(f".//{element_path}", self.ns):
                used[(target, self.attr(element, attribute))] += 1
        rows = []
        for target in {t for _, t, _ in REFERENCES}:
            key = next(k for _, t, k in REFERENCES if t == target)
            for element in document.iterfind(f".//{target}", self.ns):
                oid = element.get(key, "")
                rows.append({"element": target.split(":")[1], "key": key, "OID": oid,
                             "must_be_used": "Y" if target in MUST_BE_USED else "N",
                             "used": "Y" if used[(target, oid)] else "N", "line": element.sourceline or 0})
        return sorted(rows, key=lambda r: (r["element"], r["line"]))


def _where(element: etree._Element) -> str:
    """The nearest enclosing definition, e.g. `ItemGroupDef IG.DM`, to say where a reference is."""
    node = element
    while node is not None:
        oid = node.get("OID")
        if oid:
            return f"{etree.QName(node).localname} {oid}"
        node = node.getparent()
    return "document"
