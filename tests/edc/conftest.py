"""Simulated raw data shared by the edc tests (simulated once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

from edc.simulator import simulate
from specs.loader import load_study

MODERATE = 1500


@pytest.fixture(scope="session")
def ovarian():
    return load_study("ovarian")


@pytest.fixture(scope="session")
def cervical():
    return load_study("cervical")


@pytest.fixture(scope="session")
def raw_a(ovarian):
    return simulate(ovarian, MODERATE, seed=7)


@pytest.fixture(scope="session")
def raw_b(cervical):
    return simulate(cervical, 600, seed=11)


def edc_date(values: pd.Series) -> pd.Series:
    """EDC dates to datetimes; partial dates (UN/UNK) become NaT."""
    return pd.to_datetime(values.where(~values.str.startswith("UN"), None), format="%d %b %Y",
                          errors="coerce")


def infusion_dates(raw: dict[str, pd.DataFrame]) -> pd.Series:
    inf = raw["infusion"]
    return edc_date(inf["INFDAT"]).groupby(inf["SUBJID"]).min()
