"""SDTMIG v3.4 section 4.5.3.2: text over 200 characters continues in SUPP-- records.

The first 200 characters stay in the variable; each further piece of at most 200 characters is
a SUPP-- record whose QNAM is the variable's name with 1, 2, ... appended (the name's last
character gives way to the digit when it already has 8), and whose QLABEL is the variable's
label, as in the IG's example. The same holds for a SUPP-- qualifier's own QVAL. The text is cut
between words where it can be (the IG prefers it); the pieces then join again with one space.

The convention is for the general observation classes (and DM and SV, the other domains with
SUPP--); trial design and other datasets keep the XPT limit. This module names the pieces and
describes them in the metadata; `sdtm.supp.split_long_text` cuts the values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import pandas as pd

from specs.loader import load_standard, supplemental_spec
from specs.model import DatasetSpec, Qualifier, Study

TEXT_MAX = 200
MAX_PIECES = 9  # "a one-digit integer"
SPLIT_CLASSES = ("INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT")
SPLIT_DOMAINS = ("DM", "SV")
# QORIG of a piece: the origin of the text it continues, in SDTMIG's QORIG terms.
QORIG_BY_ORIGIN = {"Collected": "CRF", "Derived": "DERIVED", "Assigned": "ASSIGNED",
                   "Protocol": "PROTOCOL", "Predecessor": "DERIVED"}


def splits_text(spec: DatasetSpec) -> bool:
    """Whether long text of this SDTM dataset continues in SUPP-- (SDTMIG 4.5.3.2)."""
    return spec.dataset_class.upper() in SPLIT_CLASSES or spec.name in SPLIT_DOMAINS


def split_name(name: str, number: int) -> str:
    """QNAM of piece `number` (1-9) of the text of `name`: AETERM1, AEACNOT1 for AEACNOTH."""
    return f"{name[:7]}{number}"


def text_sources(spec: DatasetSpec) -> tuple[Qualifier, ...]:
    """What may hold long text: each Char variable, as a qualifier of its own, and each declared
    qualifier."""
    variables = tuple(
        Qualifier(qnam=v.name, qlabel=v.label, field=v.name, qorig=QORIG_BY_ORIGIN.get(v.origin or "", "CRF"))
        for v in spec.variables if v.type == "Char"
    )
    return variables + spec.supplemental


def split_qualifier(source: Qualifier, number: int) -> Qualifier:
    """The qualifier of piece `number` of `source`'s text."""
    return replace(source, qnam=split_name(source.qnam, number), field=source.qnam, codelist=None,
                   continues=source.qnam)


def split_qualifiers(spec: DatasetSpec, qnams: Iterable[str]) -> tuple[Qualifier, ...]:
    """The qualifiers of the pieces among `qnams` (QNAM values of SUPP--), in the order of the
    text they continue; a QNAM the spec declares, or that names no piece, is left out."""
    wanted = set(qnams) - {q.qnam for q in spec.supplemental}
    pieces = (split_qualifier(source, number) for source in text_sources(spec)
              for number in range(1, MAX_PIECES + 1))
    return tuple(q for q in pieces if q.qnam in wanted)


def with_text_splits(study: Study, datasets: Mapping[str, pd.DataFrame]) -> Study:
    """The study with the pieces found in `datasets`' SUPP-- frames declared: as qualifiers of the
    parent domain, and as QVAL value-level metadata of its SUPP-- spec (created when the parent
    declares no qualifier of its own). For describing converted data (writing it, define.xml);
    the SDTM engine converts with the study as loaded."""
    sdtm = dict(study.sdtm)
    for name, frame in datasets.items():
        parent = study.sdtm.get(name.upper().removeprefix("SUPP"))
        if not name.upper().startswith("SUPP") or parent is None or "QNAM" not in frame.columns:
            continue
        pieces = split_qualifiers(parent, pd.unique(frame["QNAM"].astype(str)))
        if pieces:
            parent = replace(parent, supplemental=(*parent.supplemental, *pieces))
            sdtm[parent.name] = parent
            sdtm[f"SUPP{parent.name}"] = supplemental_spec(parent, load_standard("sdtm")["SUPPQUAL"])
    return replace(study, sdtm=sdtm)
