"""What every Define-XML module shares: namespaces, the official XSD, and a parser that cannot be abused.

The schemas come from the `odmlib` package and the stylesheet from `defineutils`; both are found
through `importlib.resources`, so nothing depends on where the packages are installed.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import as_file, files
from pathlib import Path

from lxml import etree

ODM = "http://www.cdisc.org/ns/odm/v1.3"
ODM_V12 = "http://www.cdisc.org/ns/odm/v1.2"  # under Define-XML 1.0, as in the CDISC pilot
DEF = "http://www.cdisc.org/ns/def/v2.1"
DEF_PREFIX = "http://www.cdisc.org/ns/def/"  # each version differs only in the suffix: v1.0, v2.0, v2.1
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
NCI = "http://ncicb.nci.nih.gov/xml/odm/EVS/CDISC"
NSMAP = {None: ODM, "def": DEF, "xlink": XLINK, "nci": NCI}
NCI_CONTEXT = "nci:ExtCodeID"


class DefineError(Exception):
    """A define.xml that cannot be written or read; `problems` lists every reason."""

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        detail = "".join(f"\n  {p}" for p in self.problems)
        super().__init__(message + detail)


def odm(tag: str) -> str:
    return f"{{{ODM}}}{tag}"


def dfn(tag: str, ns: str = DEF) -> str:
    return f"{{{ns}}}{tag}"


@cache
def define_schema(version: str = "2.1") -> etree.XMLSchema:
    """The official Define-XML 2.1 (or 2.0) schema, with ODM 1.3.2 underneath, as shipped by odmlib."""
    # The XSD imports its siblings and ../../odm/1.3.2 by relative path, so it is parsed from a
    # real file inside the package tree.
    name = f"define{version.replace('.', '-')}-0.xsd"
    with as_file(files("odmlib") / "schemas" / "define" / version / name) as path:
        return etree.XMLSchema(etree.parse(str(path)))


@cache
def stylesheet() -> etree.XSLT:
    """The CDISC define2-1.xsl stylesheet (Lex Jansen, MIT) as shipped by defineutils."""
    with as_file(files("defineutils") / "definehtml" / "define2-1.xsl") as path:
        return etree.XSLT(etree.parse(str(path)))


def safe_parse(path: str | Path) -> etree._ElementTree:
    """Parse an XML file from anyone: no entities, no network, no DTD; a DOCTYPE is refused.

    Define-XML never needs a DTD, and a DOCTYPE is where XXE and entity-expansion ("billion
    laughs") attacks live, so a document that has one is rejected before anything is read from it.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_comments=False)
    refused = DefineError(
        f"{path}: refused: the document has a DOCTYPE declaration; define.xml never needs one "
        "and a DTD can carry entity attacks (XXE, entity expansion)"
    )
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        # libxml2 may stop on an entity bomb before the DOCTYPE check below can run.
        if _has_doctype(Path(path)):
            raise refused from exc
        raise DefineError(f"{path}: not well-formed XML: {exc}") from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise refused
    return tree


def _has_doctype(path: Path) -> bool:
    head = path.read_bytes()[:65536]
    return any("<!DOCTYPE".encode(enc) in head for enc in ("utf-8", "utf-16-le", "utf-16-be"))


def as_tree(define: etree._ElementTree | etree._Element | str | Path) -> etree._ElementTree:
    """A tree from a tree, an element or a file path (parsed safely)."""
    if isinstance(define, etree._ElementTree):
        return define
    if isinstance(define, etree._Element):
        return define.getroottree()
    return safe_parse(define)


def serialize(tree: etree._ElementTree) -> bytes:
    """The bytes of a define.xml file: UTF-8, declaration, indented (deterministic for a given tree)."""
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def def_namespace(root: etree._Element) -> str:
    """The Define-XML namespace a document uses (v2.0 or v2.1), DEF when it declares none."""
    return declared_def_namespace(root) or DEF


def declared_def_namespace(element: etree._Element) -> str | None:
    """The Define-XML namespace in scope at `element` (…/def/v1.0, v2.0, v2.1 …), None if none is."""
    return next((ns for ns in element.nsmap.values() if ns and ns.startswith(DEF_PREFIX)), None)
