"""The command line: exit codes, messages that name the place, atomic and deterministic output."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinforge.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def raw_ovarian(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("raw") / "ovarian"
    result = invoke("synth", "ovarian", "--out", folder, "--subjects", 8, "--seed", 3, "--quiet")
    assert result.exit_code == 0, result.output
    return folder


def test_synth_is_byte_identical_for_the_same_seed(tmp_path, raw_ovarian):
    again = tmp_path / "again"
    assert invoke("synth", "ovarian", "--out", again, "--subjects", 8, "--seed", 3, "-q").exit_code == 0
    names = sorted(p.name for p in raw_ovarian.iterdir())
    assert names == sorted(p.name for p in again.iterdir()) and "ae.csv" in names
    match, mismatch, errors = filecmp.cmpfiles(raw_ovarian, again, names, shallow=False)
    assert mismatch == [] and errors == []


def test_unknown_study_exits_2_and_suggests(tmp_path):
    result = invoke("synth", "ovarain", "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert "no such study" in result.output and "did you mean 'ovarian'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_sdtm_writes_every_domain_as_xpt(tmp_path, raw_ovarian):
    out = tmp_path / "sdtm"
    result = invoke("sdtm", "ovarian", "--raw", raw_ovarian, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    written = {p.name for p in out.iterdir()}
    assert {"dm.xpt", "ae.xpt", "pc.xpt", "qs.xpt", "tu.xpt", "tr.xpt", "rs.xpt", "ts.xpt"} <= written
    assert all(name.endswith(".xpt") for name in written)


def test_missing_column_names_file_and_column_and_keeps_previous_output(tmp_path, raw_ovarian):
    # A good conversion first; then a bad raw export must leave it untouched.
    out = tmp_path / "sdtm"
    assert invoke("sdtm", "ovarian", "--raw", raw_ovarian, "--out", out, "-q").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad"
    bad.mkdir()
    for src in raw_ovarian.iterdir():
        (bad / src.name).write_bytes(src.read_bytes())
    ae = bad / "ae.csv"
    lines = ae.read_text().splitlines()
    header = lines[0].split(",")
    drop = header.index("AETERM")
    ae.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != drop)
                            for line in lines[:1]) + "\n")
    result = invoke("sdtm", "ovarian", "--raw", bad, "--out", out)
    assert result.exit_code == 2
    assert "ae.csv" in result.output and "AETERM" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_missing_raw_folder_exits_2(tmp_path):
    result = invoke("sdtm", "ovarian", "--raw", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "nowhere" in result.output
    assert not (tmp_path / "out").exists()


def test_bad_format_is_a_usage_error(tmp_path, raw_ovarian):
    result = invoke("sdtm", "ovarian", "--raw", raw_ovarian, "--out", tmp_path / "o", "--format", "sas7bdat")
    assert result.exit_code == 2
    assert not (tmp_path / "o").exists()


def test_every_command_has_help_with_an_example():
    for command in ("synth", "sdtm", "adam", "demo"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output and f"clinforge {command}" in result.output
