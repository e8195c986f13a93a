"""What a rule's check sees for one dataset: the table its rule type builds, and how names resolve.

A name in a check is a column of the table (after `--` became the domain prefix), an operation's
result (`$id`), or else a literal. Operations give a scalar, a list, one value per row, or a set
of values per group of rows (`Grouped`), which membership operators test without a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qc.engine.data import Dataset, Submission
from qc.engine.rule import Rule, expand
from qc.engine.values import as_text


class NotRun(Exception):
    """The rule cannot be evaluated on this dataset; the message says why (shown in reports)."""


class Unsupported(NotRun):
    """The rule needs an operator, operation or rule type this engine does not have."""


class Missing(NotRun):
    """A variable the check names is not in the dataset: CORE then treats the condition as false."""


def constant(value: Any, index: pd.Index) -> pd.Series:
    """`value` on every row (a list stays one object per row, shared, not copied)."""
    cells = np.empty(len(index), dtype=object)
    cells.fill(value)
    return pd.Series(cells, index=index, dtype=object)


@dataclass(frozen=True)
class Grouped:
    """A set of values per group: `pairs` holds the group columns and `value`, one row per member."""

    keys: tuple[str, ...]
    pairs: pd.DataFrame

    def contains(self, frame: pd.DataFrame, target: pd.Series) -> pd.Series:
        """For each row of `frame`: is `target` among the values of the row's group?"""
        missing = [k for k in self.keys if k not in frame.columns]
        if missing:
            raise NotRun(f"{', '.join(missing)} not in dataset (needed to group the values)")
        left = pd.DataFrame({k: as_text(frame[k]) for k in self.keys})
        left["value"] = as_text(target)
        right = self.pairs.assign(**{k: as_text(self.pairs[k]) for k in (*self.keys, "value")})
        right = right.drop_duplicates().assign(_found=True)
        merged = left.reset_index().merge(right, on=[*self.keys, "value"], how="left").set_index("index")
        return merged["_found"].reindex(frame.index).fillna(False).astype(bool)


@dataclass
class Table:
    rule: Rule
    dataset: Dataset
    submission: Submission
    frame: pd.DataFrame
    values: dict[str, Any] = field(default_factory=dict)  # operation results by $id
    notes: set[str] = field(default_factory=set)  # variables the check named but the dataset lacks

    @property
    def wildcard(self) -> str:
        return self.dataset.wildcard

    def name(self, name: str) -> str:
        return expand(name, self.wildcard)

    def columns_named(self, names: Any) -> list[str]:
        """Column names from a name or list of names, `--` expanded; an operation's result that
        is a list of variable names ($TIMING_VARIABLES) stands for those variables."""
        out: list[str] = []
        for name in names if isinstance(names, list) else [names]:
            if not name:
                continue
            value = self.values.get(self.name(str(name)))
            out += [str(v) for v in value] if isinstance(value, list) else [self.name(str(name))]
        return list(dict.fromkeys(out))

    def has(self, name: str) -> bool:
        name = self.name(name)
        return name in self.frame.columns or name in self.values

    def column(self, name: str) -> pd.Series:
        """The column `name` (an operation's per-row result included); NotRun when absent."""
        name = self.name(name)
        if name in self.frame.columns:
            return self.frame[name]
        value = self.values.get(name)
        if isinstance(value, pd.Series):
            return value
        if name in self.values and not isinstance(value, Grouped):
            return constant(value, self.frame.index)
        raise Missing(f"{name} not in dataset")

    def operand(self, value: Any, literal: bool = False) -> Any:
        """A comparator: a column or operation result when it names one, else the literal value."""
        if literal:
            return value
        if isinstance(value, str):
            name = self.name(value)
            if name in self.frame.columns:
                return self.frame[name]
            if name in self.values:
                return self.values[name]
            if name.startswith("$"):
                raise NotRun(f"{name} is not computed by any operation of the rule")
            return name if value.startswith("--") else value
        return value
