"""PROC COMPARE for double programming: two datasets, or two folders of datasets, side by side.

Reported, as SAS does: datasets and variables found on one side only; attribute differences
(label, type, length, order); records on one side only by key; and for each variable the number
of values that differ, with the first examples. Numbers differ when they are further apart than
`tolerance` (absolute); missing equals missing; "" equals a missing character value. Variables
whose types differ are listed under attributes and their values are not compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qc.frames import text
from specs.encoding import DEFAULT, Warn

Side = pd.DataFrame | Mapping[str, pd.DataFrame] | str | Path
SEQ = "_COMPARE_OCCURRENCE"


@dataclass
class VariableDifference:
    variable: str
    count: int
    examples: pd.DataFrame  # key columns, BASE, COMPARE


@dataclass
class DatasetComparison:
    name: str
    keys: tuple[str, ...]
    records: tuple[int, int]  # base, compare
    base_only_variables: list[str] = field(default_factory=list)
    compare_only_variables: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str, str, str]] = field(default_factory=list)  # var, attribute, base, qc
    base_only_records: pd.DataFrame = field(default_factory=pd.DataFrame)
    compare_only_records: pd.DataFrame = field(default_factory=pd.DataFrame)
    values: list[VariableDifference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_differences(self) -> bool:
        return bool(self.base_only_variables or self.compare_only_variables or self.attributes
                    or len(self.base_only_records) or len(self.compare_only_records) or self.values)


@dataclass
class Comparison:
    base_only_datasets: list[str]
    compare_only_datasets: list[str]
    datasets: dict[str, DatasetComparison]

    @property
    def has_differences(self) -> bool:
        return bool(self.base_only_datasets or self.compare_only_datasets
                    or any(d.has_differences for d in self.datasets.values()))

    def report(self) -> str:
        return report(self)


def compare(base: Side, qc: Side, keys: Sequence[str] | str, *, tolerance: float = 1e-9,
            examples: int = 10, encoding: str = DEFAULT, warn: Warn | None = None) -> Comparison:
    """Compare two frames, files or folders by `keys` (a list or 'K1,K2'); see the module doc.

    XPT files are read by `encoding` (specs.encoding), values read as Windows-1252 told to `warn`.
    """
    key_list = tuple(k.strip().upper() for k in (keys.split(",") if isinstance(keys, str) else keys) if k)
    left, right = _datasets(base, encoding, warn), _datasets(qc, encoding, warn)
    if _single(base) and _single(qc):
        # Two single datasets (frames or files) are the pair to compare, whatever their names.
        right = {next(iter(left)): next(iter(right.values()))}
    common = sorted(set(left) & set(right))
    return Comparison(
        base_only_datasets=sorted(set(left) - set(right)),
        compare_only_datasets=sorted(set(right) - set(left)),
        datasets={n: compare_datasets(left[n], right[n], key_list, name=n, tolerance=tolerance,
                                      examples=examples) for n in common},
    )


def _single(side: Side) -> bool:
    return isinstance(side, pd.DataFrame) or (isinstance(side, str | Path) and Path(side).is_file())


def _datasets(side: Side, encoding: str, warn: Warn | None) -> dict[str, pd.DataFrame]:
    if isinstance(side, pd.DataFrame):
        return {str(side.attrs.get("name", "DATA")).upper(): side}
    if isinstance(side, Mapping):
        return {k.upper(): v for k, v in side.items()}
    from specs.readers import read_dataset, read_folder

    path = Path(side)
    if path.is_dir():
        return read_folder(path, encoding=encoding, warn=warn)
    frame = read_dataset(path, encoding=encoding, warn=warn)
    return {str(frame.attrs.get("name") or path.stem).upper(): frame}


def _kind(values: pd.Series) -> str:
    numeric = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)
    return "Num" if numeric and not pd.api.types.is_bool_dtype(values) else "Char"


def _attributes(base: pd.DataFrame, qc: pd.DataFrame, common: list[str]) -> list[tuple[str, str, str, str]]:
    out = []
    labels = (base.attrs.get("labels", {}), qc.attrs.get("labels", {}))
    lengths = (base.attrs.get("lengths", {}), qc.attrs.get("lengths", {}))
    base_order = {c: i + 1 for i, c in enumerate(base.columns)}
    qc_order = {c: i + 1 for i, c in enumerate(qc.columns)}
    for var in common:
        pairs = {
            "type": (_kind(base[var]), _kind(qc[var])),
            "label": (labels[0].get(var), labels[1].get(var)),
            "length": (lengths[0].get(var), lengths[1].get(var)),
            "order": (base_order[var], qc_order[var]),
        }
        for attribute, (b, q) in pairs.items():
            if b is not None and q is not None and b != q:
                out.append((var, attribute, str(b), str(q)))
    return out


def _keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Keys as text plus the occurrence of each key, so duplicate keys pair up in order."""
    out = frame.reset_index(drop=True).copy()
    for key in keys:
        out[key] = text(out[key])
    out[SEQ] = out.groupby(keys, sort=False).cumcount() if keys else np.arange(len(out))
    return out


def _differs(b: pd.Series, q: pd.Series, tolerance: float) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(b) or pd.api.types.is_datetime64_any_dtype(q):
        b, q = pd.to_datetime(b, errors="coerce"), pd.to_datetime(q, errors="coerce")
        return ~((b == q) | (b.isna() & q.isna()))
    if pd.api.types.is_numeric_dtype(b) and pd.api.types.is_numeric_dtype(q):
        b, q = b.astype("float64"), q.astype("float64")
        return ~(((b - q).abs() <= tolerance) | (b.isna() & q.isna()) | (b == q))
    return text(b) != text(q)


def compare_datasets(base: pd.DataFrame, qc: pd.DataFrame, keys: Sequence[str], *, name: str = "DATA",
                     tolerance: float = 1e-9, examples: int = 10) -> DatasetComparison:
    """PROC COMPARE of one dataset pair by the keys both have (by record order when none)."""
    used = [k for k in keys if k in base.columns and k in qc.columns]
    result = DatasetComparison(name=name, keys=tuple(used), records=(len(base), len(qc)))
    result.base_only_variables = [c for c in base.columns if c not in qc.columns]
    result.compare_only_variables = [c for c in qc.columns if c not in base.columns]
    common = [c for c in base.columns if c in qc.columns]
    result.attributes = _attributes(base, qc, common)
    if len(used) < len(keys):
        result.notes.append(f"keys not on both sides: {', '.join(k for k in keys if k not in used)}"
                            + ("; records matched by position" if not used else ""))
    left, right = _keyed(base, used), _keyed(qc, used)
    for side, frame in (("base", left), ("compare", right)):
        repeats = int((frame[SEQ] > 0).sum()) if used else 0
        if repeats:
            result.notes.append(f"{repeats} {side} record(s) repeat a key; paired in order of occurrence")
    join = [*used, SEQ]
    merged = left.merge(right, on=join, how="outer", suffixes=("_base", "_cmp"), indicator=True)
    result.base_only_records = merged.loc[merged["_merge"] == "left_only", used].reset_index(drop=True)
    result.compare_only_records = merged.loc[merged["_merge"] == "right_only", used].reset_index(drop=True)
    both = merged[merged["_merge"] == "both"]
    mistyped = {v for v, attribute, _, _ in result.attributes if attribute == "type"}
    for var in common:
        if var in used or var in mistyped:
            continue
        b, q = both[f"{var}_base"], both[f"{var}_cmp"]
        differs = _differs(b, q, tolerance)
        count = int(differs.sum())
        if count:
            shown = both.loc[differs, used].head(examples).assign(
                BASE=b[differs].head(examples).to_numpy(), COMPARE=q[differs].head(examples).to_numpy())
            result.values.append(VariableDifference(var, count, shown.reset_index(drop=True)))
    return result


def report(comparison: Comparison) -> str:
    """A readable text report in the order of SAS PROC COMPARE's listing."""
    lines = ["COMPARE: base vs compare", ""]
    if comparison.base_only_datasets:
        lines.append("Datasets in base only: " + ", ".join(comparison.base_only_datasets))
    if comparison.compare_only_datasets:
        lines.append("Datasets in compare only: " + ", ".join(comparison.compare_only_datasets))
    for name, d in sorted(comparison.datasets.items()):
        lines += ["", f"== {name}: {d.records[0]} base / {d.records[1]} compare records, "
                      f"keys {', '.join(d.keys) or '(record order)'}"]
        lines += [f"   note: {n}" for n in d.notes]
        if not d.has_differences:
            lines.append("   No unequal values were found. All values compared are exactly equal"
                         " (within the tolerance).")
            continue
        if d.base_only_variables:
            lines.append("   Variables in base only: " + ", ".join(d.base_only_variables))
        if d.compare_only_variables:
            lines.append("   Variables in compare only: " + ", ".join(d.compare_only_variables))
        for var, attribute, b, q in d.attributes:
            lines.append(f"   Attribute {attribute} of {var}: base {b!r}, compare {q!r}")
        for label, records in (("base only", d.base_only_records), ("compare only", d.compare_only_records)):
            if len(records):
                lines.append(f"   Records in {label}: {len(records)}")
                lines += ["     " + row for row in records.head(10).to_string(index=False).splitlines()]
        for diff in d.values:
            lines.append(f"   Variable {diff.variable}: {diff.count} value(s) unequal")
            lines += ["     " + row for row in diff.examples.to_string(index=False).splitlines()]
    lines += ["", "Differences found." if comparison.has_differences else "No differences."]
    return "\n".join(lines) + "\n"
