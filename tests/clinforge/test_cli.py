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


# --- CDISC CT and implementation guides in the store (issue #13) ---------------------------------

def test_ct_import_list_show(tmp_path):
    from tests.reference import reference

    sdtm = reference("cdisc-ct", "SDTM Terminology 2025-03-28.txt")
    first = invoke("ct", "import", sdtm, "--ct-dir", tmp_path, "--json")
    assert first.exit_code == 0, first.output
    assert '"action": "imported"' in first.output and '"codelists": 1158' in first.output
    again = invoke("ct", "import", sdtm, "--ct-dir", tmp_path, "--json")
    assert again.exit_code == 0 and '"action": "unchanged"' in again.output
    listed = invoke("ct", "list", "--ct-dir", tmp_path, "--json")
    assert '"release": "2025-03-28"' in listed.output and '"terms": 43697' in listed.output
    shown = invoke("ct", "show", "C66742", "--ct-dir", tmp_path)
    assert shown.exit_code == 0
    assert "NY (C66742) No Yes Response: non-extensible, 3 terms" in " ".join(shown.output.split())
    assert "│ U    │ C17998 │ Unknown │" in shown.output
    missing = invoke("ct", "show", "NYY", "--ct-dir", tmp_path)
    assert missing.exit_code == 2 and "did you mean 'NY'" in missing.output


def test_a_malformed_ct_file_exits_2_and_stores_nothing(tmp_path):
    from specs.nci_evs import COLUMNS

    bad = tmp_path / "SDTM Terminology 2025-06-27.txt"
    bad.write_text("\t".join(COLUMNS) + "\nC66742\t\tNo\tNo Yes Response\tNY\t\t\t\n"
                   "C49487\tC66742\t\tNo Yes Response\tN\tNo\n", encoding="utf-8")
    result = invoke("ct", "import", bad, "--ct-dir", tmp_path / "store")
    assert result.exit_code == 2
    assert f"{bad}, line 3: 6 fields where the header has 8" in " ".join(result.output.split())
    assert not (tmp_path / "store" / "ct").exists()


def test_standards_import_and_validate_with_a_ct_release_not_imported(tmp_path):
    from tests.reference import reference

    folder = reference("cdisc-standards", "sdtmig-3.4")
    result = invoke("standards", "import", folder, "--ct-dir", tmp_path, "--json")
    assert result.exit_code == 0
    assert '"datasets": 63' in result.output and '"variables": 1917' in result.output
    assert '"version": "3.4"' in invoke("standards", "list", "--ct-dir", tmp_path, "--json").output
    data = tmp_path / "data"
    data.mkdir()
    result = invoke("validate", data, "--ct", "2024-03-29", "--ct-dir", tmp_path)
    assert result.exit_code == 2
    assert "SDTM CT 2024-03-29 is not imported" in " ".join(result.output.split())
