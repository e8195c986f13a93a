"""A small simulated study taken through `clinforge run`: its ADaM datasets as read from the files."""

from pathlib import Path

import pandas as pd
import pytest

from clinforge import pipeline
from clinforge.console import Output
from specs.loader import load_study
from specs.readers import read_folder


@pytest.fixture(scope="session")
def package(tmp_path_factory) -> Path:
    """The ovarian package of 16 simulated subjects (seed 5), results included."""
    root = tmp_path_factory.mktemp("results")
    quiet = Output(quiet=True)
    pipeline.synth("ovarian", root / "raw", subjects=16, seed=5, output=quiet)
    pipeline.run("ovarian", root / "raw", root / "ovarian", output=quiet, seed=5)
    return root / "ovarian"


@pytest.fixture(scope="session")
def adam(package) -> dict[str, pd.DataFrame]:
    return read_folder(package / "m5" / "datasets" / "meso-ov-101" / "analysis" / "adam" / "datasets")


@pytest.fixture(scope="session")
def study():
    return load_study("ovarian")
