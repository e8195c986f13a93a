"""The command line: exit codes, messages that name the place, atomic and deterministic output."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pytest

from tests.bad_inputs.cli import assert_refused, invoke


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


# --- real submission files: the CDISC pilot SDTM as submitted (Windows-1252 text, Define-XML 1.0) --

PILOT = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "cdisc-pilot01-sdtm"
TS_XPT = PILOT / "ts.xpt"  # TSVAL rows 9, 14 and 29 hold 0x92, the apostrophe of SAS on Windows


def test_pilot_validates_with_a_warning_and_a_non_ascii_finding(tmp_path):
    report = tmp_path / "report"
    result = invoke("validate", PILOT, "--report", report)
    assert result.exit_code in (0, 1), result.output
    # Read as Windows-1252, said on the console, named by file, variable, row and value.
    assert (f"warning: {TS_XPT}: TSVAL row 9 is not UTF-8; read as Windows-1252: 'Patients with "
            "Probable Mild to Moderate Alzheimer’s Disease'") in result.output
    findings = json.loads((report / "findings.json").read_text())
    ascii_ = [(f["dataset"], f["variable"], f["row"]) for f in findings if f["rule"] == "DS-ASCII"]
    assert ascii_ == [("TS", "TSVAL", 9), ("TS", "TSVAL", 14), ("TS", "TSVAL", 29)]
    # Its define.xml (Define-XML 1.0) gave the metadata; every one of the 18 datasets was checked.
    html = (report / "report.html").read_text()
    assert "Reading the files" in html and f"define.xml {PILOT / 'define.xml'}" in html
    assert len(list(PILOT.glob("*.xpt"))) == 18 and html.count("define.xml " + str(PILOT)) == 18


@pytest.mark.parametrize("command", [
    ("validate", "{folder}"),
    ("adam", "ovarian", "--sdtm", "{folder}", "--out", "{out}"),
    ("define", "ovarian", "--data", "{folder}", "--out", "{out}/define.xml"),
    ("compare", "{folder}", "{folder}", "--keys", "TSPARMCD,TSSEQ"),
], ids=["validate", "adam", "define", "compare"])
def test_strict_utf8_refuses_the_pilot_ts_naming_the_value(tmp_path, command):
    folder = _pilot_ts(tmp_path)
    out = tmp_path / "out"
    args = [a.format(folder=folder, out=out) for a in command]
    result = invoke(*args, "--encoding", "strict-utf-8")
    assert_refused(result, out, (str(folder / "ts.xpt"), "row 9", "column TSVAL", "not valid UTF-8",
                                 "0x92", r"Alzheimer\x92s Disease"))


def _pilot_ts(tmp_path) -> Path:
    folder = tmp_path / "sdtm"
    folder.mkdir()
    shutil.copy(TS_XPT, folder)
    return folder


def test_json_summary_lists_the_warnings(tmp_path):
    folder = _pilot_ts(tmp_path)
    result = invoke("validate", folder, "--json")
    warnings = json.loads(result.output)["warnings"]
    assert [w.split(": ")[1] for w in warnings] == [f"TSVAL row {r} is not UTF-8; read as Windows-1252"
                                                    for r in (9, 14, 29)]


def test_latin1_reads_the_pilot_ts_as_asked(tmp_path):
    # Latin-1 reads 0x92 as a C1 control: no warning, and the finding shows that character.
    folder = _pilot_ts(tmp_path)
    report = tmp_path / "report"
    result = invoke("validate", folder, "--encoding", "latin-1", "--report", report, "--json")
    assert result.exit_code == 1, result.output
    assert "warnings" not in json.loads(result.output)
    (first, *_) = [f for f in json.loads((report / "findings.json").read_text()) if f["rule"] == "DS-ASCII"]
    assert first["row"] == 9 and first["variable"] == "TSVAL" and "\u0092" in first["value"]


def test_unknown_encoding_is_a_usage_error():
    result = invoke("validate", PILOT, "--encoding", "utf-16")
    assert result.exit_code == 2 and "not an ASCII-compatible" in result.output
