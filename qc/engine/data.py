"""The submission as the engine sees it: datasets with their metadata, and what they are.

A `Dataset` is a frame (0-based RangeIndex, text "" for missing, numbers as floats) with the
metadata a rule may ask for: label, file, size, each variable's label, type and length. Names
and domains follow CORE's conventions (SDTMDatasetMetadata): the domain is the DOMAIN value of
the first record; a SUPP-- or SQ-- dataset has no domain but a related domain (RDOMAIN); a split
dataset (QSCG) is named by its domain when unsplit; `--` in a variable name stands for the
domain (or, in an associated-persons dataset, for the domain it is about).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qc.frames import text

SUPPLEMENTARY = ("SUPP", "SQ")
ADSL = "ADSL"


@dataclass(frozen=True)
class VariableInfo:
    name: str
    label: str = ""
    type: str = ""  # Char or Num
    length: int | None = None
    format: str = ""
    order: int = 0


@dataclass(frozen=True)
class Dataset:
    name: str  # as submitted: LB, LBCH, SUPPAE, ADSL (upper case)
    frame: pd.DataFrame
    label: str = ""
    filename: str = ""
    size: int = 0  # bytes of the file, 0 for frames given in memory
    variables: tuple[VariableInfo, ...] = ()
    # The class and subclass the submission declares (define.xml def:Class and def:SubClass),
    # upper case; "" when it declares none.
    declared_class: str = ""
    declared_subclass: str = ""
    _first: dict = field(default_factory=dict, compare=False, repr=False)
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        first = {}
        for column in ("DOMAIN", "RDOMAIN", "APID"):
            if column in self.frame.columns:
                values = text(self.frame[column].head(1))
                first[column] = values.iloc[0] if len(values) else ""
        object.__setattr__(self, "_first", first)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once per dataset: facts every rule of a run asks for (variable metadata)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def memoized(self, key: str) -> Any:
        """What `memo` holds under `key`, None when nothing computed it yet."""
        return self._memo.get(key)

    @property
    def records(self) -> int:
        return len(self.frame)

    @property
    def is_supp(self) -> bool:
        return self.name.startswith(SUPPLEMENTARY)

    @property
    def is_adam(self) -> bool:
        return self.name.startswith("AD")

    @property
    def domain(self) -> str:
        """The DOMAIN value of the first record; "" for SUPP--, RELREC and ADaM datasets."""
        return "" if self.is_supp else self._first.get("DOMAIN", "")

    @property
    def rdomain(self) -> str:
        return self._first.get("RDOMAIN", "") if self.is_supp else ""

    @property
    def is_ap(self) -> bool:
        """An associated-persons dataset: APID present, or a four-letter domain AP-- (SDTMIG-AP
        names them so; CORE's test cases treat APSU without APID as one)."""
        if self.is_supp:
            return len(self.rdomain) == 4 and self.rdomain.startswith("AP")
        return "APID" in self.frame.columns or (len(self.domain) == 4 and self.domain.startswith("AP"))

    @property
    def wildcard(self) -> str:
        """What `--` stands for in this dataset's variable names."""
        if self.is_ap and not self.is_supp and len(self.domain) >= 4:
            return self.domain[2:]
        return self.domain

    @property
    def unsplit_name(self) -> str:
        if self.domain:
            return self.domain
        if self.is_supp and self.rdomain:
            return ("SUPP" if self.name.startswith("SUPP") else "SQ") + self.rdomain
        return self.name

    @property
    def is_split(self) -> bool:
        return self.name != self.unsplit_name

    def variable(self, name: str) -> VariableInfo:
        found = next((v for v in self.variables if v.name == name), None)
        return found if found is not None else VariableInfo(name)


def dataset_from_frame(name: str, frame: pd.DataFrame, *, filename: str = "", size: int = 0,
                       variables: Iterable[VariableInfo] = ()) -> Dataset:
    """A Dataset from a frame as `specs.readers` gives it (labels and lengths in `attrs`)."""
    attrs = frame.attrs or {}
    labels, lengths = attrs.get("labels", {}), attrs.get("lengths", {})
    formats = attrs.get("formats", {})
    known = {v.name: v for v in variables}
    infos = tuple(
        known.get(column) or VariableInfo(
            name=column, label=labels.get(column, ""),
            type="Num" if pd.api.types.is_numeric_dtype(frame[column])
            or pd.api.types.is_datetime64_any_dtype(frame[column])
            or pd.api.types.is_timedelta64_dtype(frame[column]) else "Char",
            length=lengths.get(column), format=formats.get(column, "") or "", order=position)
        for position, column in enumerate(frame.columns, start=1)
    )
    # The metadata now lives in `variables`; pandas would deep-copy `attrs` into every frame the
    # checks derive (seconds over a few hundred rules).
    bare = frame.reset_index(drop=True)
    bare.attrs = {}
    return Dataset(name=name.upper(), frame=bare, label=attrs.get("label", ""),
                   filename=filename or f"{name.lower()}.xpt", size=size, variables=infos)


@dataclass(frozen=True)
class Submission:
    """Every dataset of one validation run, by name, with the context rules may consult."""

    datasets: Mapping[str, Dataset]
    standard: str = "SDTMIG"  # SDTMIG, ADAMIG, SENDIG ...
    version: str = "3.4"
    library: object | None = None  # qc.engine.library.Library: the IG's datasets and variables
    define: object | None = None  # qc.engine.define_meta.DefineMetadata when a define.xml is given

    def by_domain(self, domain: str) -> list[Dataset]:
        """Datasets holding `domain` (split datasets included), or named so."""
        return [d for d in self.datasets.values()
                if d.domain == domain or d.name == domain or d.unsplit_name == domain]

    def matching(self, pattern: str) -> list[Dataset]:
        """Datasets of a domain, or of every domain a `--` pattern names (SUPP-- → SUPPAE, SUPPLB)."""
        if pattern.endswith("--"):
            return [d for d in self.datasets.values() if d.unsplit_name.startswith(pattern[:-2])]
        return self.by_domain(pattern)
