"""Parameters computed from other parameters of a BDS dataset (admiral derive_param_*).

`derive_param_computed` is the one mechanism (admiral derive_param_computed): the source
parameters' AVAL side by side per by-group, a formula over them, one new row per by-group where
every source value is present. Each derivation a spec may name is registered once in
`PARAM_DERIVATIONS`, with the arguments it takes (checked at the spec line before anything is
built) and the define.xml method text of what it computes.

The new rows hold only the by-variables, PARAMCD and AVAL (admiral: "only the variables
specified in by_vars are populated in the new records").
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from adam.sources import Condition, compute_condition

Formula = Callable[[Mapping[str, pd.Series]], pd.Series]
SUBJECT_KEYS = ("STUDYID", "USUBJID")


def _wide(rows: pd.DataFrame, by: list[str], codes: Mapping[str, str]) -> pd.DataFrame | None:
    """AVAL of each source parameter as a column named by its argument, one row per by-group
    where all of them are present; a by-group holding a parameter twice is an error."""
    wide = None
    for argument, code in codes.items():
        part = rows.loc[rows["PARAMCD"] == code, [*by, "AVAL"]].rename(columns={"AVAL": argument})
        twice = part.duplicated(by, keep=False)
        if twice.any():
            example = part.loc[twice, by].head(1).to_dict("records")
            raise ValueError(f"parameter {code} has more than one record for {example}: "
                             f"add the variables that tell them apart to the by-variables")
        wide = part if wide is None else wide.merge(part, on=by, how="inner")
    return wide


def derive_param_computed(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    *,
    parameters: Mapping[str, str],
    formula: Formula,
    paramcd: str,
    constant_parameters: Mapping[str, str] | None = None,
    constant_by_vars: Sequence[str] = SUBJECT_KEYS,
    filter: Condition = None,
) -> pd.DataFrame:
    """New rows of parameter ``paramcd``: ``formula`` over the AVAL of ``parameters`` (argument
    name → PARAMCD) per ``by_vars``, and of ``constant_parameters`` per ``constant_by_vars``
    (a height measured once per subject). Only records meeting ``filter`` take part; a by-group
    without every source value gives no row. Returns only the new rows."""
    rows = dataset[compute_condition(dataset, filter)]
    by = list(by_vars)
    wide = _wide(rows, by, parameters)
    if constant_parameters:
        constants = _wide(rows, list(constant_by_vars), constant_parameters)
        wide = wide.merge(constants, on=list(constant_by_vars), how="inner")
    arguments = [*parameters, *(constant_parameters or {})]
    values = formula({name: wide[name].astype(float) for name in arguments})
    new = wide[by].assign(PARAMCD=paramcd, AVAL=values.to_numpy(dtype=float))
    return new[new["AVAL"].notna()].reset_index(drop=True)


def derive_param_map(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    *,
    sysbp: str = "SYSBP",
    diabp: str = "DIABP",
    paramcd: str = "MAP",
    filter: Condition = None,
) -> pd.DataFrame:
    """Mean arterial pressure (admiral derive_param_map, without heart rate):
    (SYSBP + 2 × DIABP) / 3, from the two pressures of the same by-group."""
    return derive_param_computed(
        dataset, by_vars, parameters={"sysbp": sysbp, "diabp": diabp}, paramcd=paramcd, filter=filter,
        formula=lambda v: (v["sysbp"] + 2 * v["diabp"]) / 3,
    )


def derive_param_bmi(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    *,
    weight: str = "WEIGHT",
    height: str = "HEIGHT",
    constant_height: bool = True,
    paramcd: str = "BMI",
    filter: Condition = None,
) -> pd.DataFrame:
    """Body mass index (admiral derive_param_bmi): weight (kg) / (height (cm) / 100)²; the
    height is the subject's one measurement when ``constant_height`` (admiral constant_by_vars)."""
    return derive_param_computed(
        dataset, by_vars, paramcd=paramcd, filter=filter, **_weight_height(weight, height, constant_height),
        formula=lambda v: v["weight"] / (v["height"] / 100) ** 2,
    )


# admiral compute_bsa: height in cm, weight in kg, BSA in m².
BSA_FORMULAS: dict[str, Callable[[pd.Series, pd.Series], pd.Series]] = {
    "Mosteller": lambda h, w: np.sqrt(h * w / 3600),
    "DuBois-DuBois": lambda h, w: 0.20247 * (h / 100) ** 0.725 * w ** 0.425,
    "Haycock": lambda h, w: 0.024265 * h ** 0.3964 * w ** 0.5378,
    "Gehan-George": lambda h, w: 0.0235 * h ** 0.42246 * w ** 0.51456,
}


def derive_param_bsa(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    *,
    method: str = "Mosteller",
    weight: str = "WEIGHT",
    height: str = "HEIGHT",
    constant_height: bool = True,
    paramcd: str = "BSA",
    filter: Condition = None,
) -> pd.DataFrame:
    """Body surface area (admiral derive_param_bsa) by ``method`` (BSA_FORMULAS) from height (cm)
    and weight (kg); the height is the subject's one measurement when ``constant_height``."""
    formula = BSA_FORMULAS[method]
    return derive_param_computed(
        dataset, by_vars, paramcd=paramcd, filter=filter, **_weight_height(weight, height, constant_height),
        formula=lambda v: formula(v["height"], v["weight"]),
    )


def _weight_height(weight: str, height: str, constant_height: bool) -> dict[str, Any]:
    if constant_height:
        return {"parameters": {"weight": weight}, "constant_parameters": {"height": height}}
    return {"parameters": {"weight": weight, "height": height}}


@dataclass(frozen=True)
class ParamDerivation:
    """A derivation a spec may name: its function, the arguments naming source PARAMCDs, the
    valid values of its other arguments, and its define.xml method text."""

    function: Callable[..., pd.DataFrame]
    sources: tuple[str, ...]
    describe: Callable[[Mapping[str, Any]], str]
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def arguments(self) -> dict[str, Any]:
        """The arguments a spec may set, with their defaults (dataset, by_vars, paramcd and
        filter come from the builder)."""
        fixed = {"dataset", "by_vars", "paramcd", "filter"}
        return {name: p.default for name, p in inspect.signature(self.function).parameters.items()
                if name not in fixed}


def _bmi_text(a: Mapping[str, Any]) -> str:
    return (f"{a['weight']} / ({a['height']} / 100)^2 (kg/m^2), {a['weight']} in kg and {a['height']} in cm"
            + (f", {a['height']} the subject's single measurement" if a["constant_height"] else "")
            + " (admiral derive_param_bmi).")


def _bsa_text(a: Mapping[str, Any]) -> str:
    return (f"Body surface area by the {a['method']} formula from {a['height']} (cm) and {a['weight']} (kg)"
            + (f", {a['height']} the subject's single measurement" if a["constant_height"] else "")
            + " (admiral derive_param_bsa).")


PARAM_DERIVATIONS: dict[str, ParamDerivation] = {
    "map": ParamDerivation(
        derive_param_map, ("sysbp", "diabp"),
        lambda a: f"({a['sysbp']} + 2 x {a['diabp']}) / 3 at the same time point (admiral derive_param_map).",
    ),
    "bmi": ParamDerivation(derive_param_bmi, ("weight", "height"), _bmi_text),
    "bsa": ParamDerivation(derive_param_bsa, ("weight", "height"), _bsa_text,
                           choices={"method": tuple(BSA_FORMULAS)}),
}
