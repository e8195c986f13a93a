"""Good output of the real command line, made once, for the cases to damage copies of."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bad_inputs.cli import invoke


@pytest.fixture(scope="session")
def good_raw(tmp_path_factory) -> Path:
    """`clinforge synth ovarian --subjects 5 --seed 1`."""
    folder = tmp_path_factory.mktemp("good") / "raw"
    result = invoke("synth", "ovarian", "--out", folder, "--subjects", 5, "--seed", 1, "--quiet")
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="session")
def good_sdtm(good_raw) -> Path:
    """`clinforge sdtm ovarian` of the good raw exports."""
    folder = good_raw.parent / "sdtm"
    result = invoke("sdtm", "ovarian", "--raw", good_raw, "--out", folder, "--quiet")
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="session")
def good_adam(good_sdtm) -> Path:
    """`clinforge adam ovarian` of the good SDTM."""
    folder = good_sdtm.parent / "adam"
    result = invoke("adam", "ovarian", "--sdtm", good_sdtm, "--out", folder, "--quiet")
    assert result.exit_code == 0, result.output
    return folder
