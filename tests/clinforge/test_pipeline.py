"""`clinforge run`: the package layout, the manifest, determinism, and atomic replacement."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinforge import pipeline
from clinforge.cli import app
from clinforge.console import Output

runner = CliRunner()


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("raw") / "ovarian"
    pipeline.synth("ovarian", folder, subjects=6, seed=11, output=Output(quiet=True))
    return folder


@pytest.fixture(scope="module")
def package(tmp_path_factory, raw) -> Path:
    folder = tmp_path_factory.mktemp("pkg") / "ovarian"
    result = runner.invoke(app, ["run", "ovarian", "--raw", str(raw), "--out", str(folder), "-q"])
    assert result.exit_code == 0, result.output
    return folder


def test_layout_is_ectd_module_5(package):
    study = package / "m5" / "datasets" / "meso-ov-101"
    sdtm = study / "tabulations" / "sdtm"
    adam = study / "analysis" / "adam" / "datasets"
    assert {"dm.xpt", "ae.xpt", "pc.xpt", "pp.xpt", "relrec.xpt", "define.xml", "define.html"} <= {
        p.name for p in sdtm.iterdir()}
    assert {"adsl.xpt", "adae.xpt", "adrs.xpt", "adtte.xpt", "adpp.xpt", "define.xml", "define.html"} <= {
        p.name for p in adam.iterdir()}
    assert (package / "logs" / "clinforge.log").read_text().strip()
    results = package / "reports" / "results"
    assert {p.name for p in results.iterdir()} == {"ard.json", "ard.csv", "ars.json", "report.html",
                                                   "report.pdf"}


def test_manifest_lists_every_file_with_its_hash(package):
    manifest = json.loads((package / "manifest.json").read_text())
    files = {f["path"]: f for f in manifest["files"]}
    on_disk = {k for k in tree(package) if k != "manifest.json"}
    assert set(files) == on_disk
    for path, entry in files.items():
        content = (package / path).read_bytes()
        assert entry["size"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["study"] == "MESO-OV-101"
    assert manifest["command"] == "clinforge run ovarian --format xpt"
    assert len(manifest["specs_sha256"]) == 64 and len(manifest["raw_sha256"]) == 64
    assert manifest["versions"]["clinforge"] and manifest["versions"]["pandas"]


def test_two_runs_are_byte_identical(tmp_path, raw, package):
    again = tmp_path / "again"
    result = runner.invoke(app, ["run", "ovarian", "--raw", str(raw), "--out", str(again), "-q"])
    assert result.exit_code == 0, result.output
    assert tree(again) == tree(package)


def test_source_date_epoch_is_the_only_difference(tmp_path, raw, package, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    stamped = tmp_path / "stamped"
    result = runner.invoke(app, ["run", "ovarian", "--raw", str(raw), "--out", str(stamped), "-q"])
    assert result.exit_code == 0, result.output
    before, after = tree(package), tree(stamped)
    assert set(before) == set(after)
    changed = {k for k in before if before[k] != after[k]}
    # Files that carry a creation time: XPT headers, define.xml (and its HTML), the Excel
    # validation report, the results (Dataset-JSON, report HTML and PDF), the manifest.
    assert changed and all(k.endswith((".xpt", ".xml", ".html", ".xlsx", "manifest.json")) or k in (
        "reports/results/ard.json", "reports/results/report.pdf") for k in changed)
    assert {f"reports/results/{name}" for name in ("ard.json", "report.pdf", "report.html")} <= changed
    manifest = json.loads(after["manifest.json"])
    assert manifest["created"] == "2023-11-14T22:13:20Z"


def test_failed_step_keeps_the_previous_package(tmp_path, raw, package):
    # A raw export that breaks the SDTM step: the package must stay as it was.
    copy = tmp_path / "pkg"
    runner.invoke(app, ["run", "ovarian", "--raw", str(raw), "--out", str(copy), "-q"])
    before = tree(copy)
    bad = tmp_path / "bad"
    bad.mkdir()
    for src in raw.iterdir():
        (bad / src.name).write_bytes(src.read_bytes())
    ae = bad / "ae.csv"
    ae.write_text(ae.read_text().replace("Recovered/Resolved", "Cured", 1))
    result = runner.invoke(app, ["run", "ovarian", "--raw", str(bad), "--out", str(copy)])
    assert result.exit_code == 2
    assert "step 'sdtm' failed" in result.output and "Cured" in result.output
    assert tree(copy) == before
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_killed_run_leaves_the_previous_package_intact(tmp_path, raw, package):
    target = tmp_path / "pkg"
    target.mkdir()
    for path, content in tree(package).items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_bytes(content)
    before = tree(target)
    process = subprocess.Popen(
        [sys.executable, "-m", "clinforge.cli", "run", "ovarian", "--raw", str(raw), "--out", str(target),
         "-q"], start_new_session=True)
    # Kill it once it has started building (a partial folder appears), or after 3 s at most.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not [p for p in tmp_path.iterdir() if ".partial-" in p.name]:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert tree(target) == before


def test_package_validates_without_errors(package):
    # The demo's promise: clinforge's own output passes its own checks (warnings may remain, e.g. a
    # simulated serious AE whose criteria were not ticked).
    for kind in ("sdtm", "adam"):
        report = package / "reports" / kind
        findings = json.loads((report / "findings.json").read_text())
        assert [f for f in findings if f["severity"] == "error"] == [], kind
        assert (report / "junit.xml").is_file() and (report / "report.html").is_file()
        assert list((report / "expectations").glob("*.json"))


@pytest.mark.parametrize("fmt", ["xpt", "json"])
def test_datasets_handed_to_the_next_step_equal_the_files_read_back(tmp_path, raw, fmt):
    # `run` passes each step's datasets on in memory (StepResult.datasets) instead of re-reading
    # the files it wrote; what it passes must be exactly what reading them gives (and the datasets
    # without records, which are not written, are empty).
    from pandas.testing import assert_frame_equal

    from specs.readers import read_folder

    quiet = Output(quiet=True)
    sdtm = pipeline.sdtm("ovarian", raw, tmp_path / "sdtm", output=quiet, formats=(fmt,))
    adam = pipeline.adam("ovarian", tmp_path / "sdtm", tmp_path / "adam", output=quiet, formats=(fmt,),
                         sdtm=sdtm.datasets)
    for step in (sdtm, adam):
        on_disk = read_folder(step.folder)
        with_records = {name for name, frame in step.datasets.items() if not frame.empty}
        assert with_records == set(on_disk) and len(on_disk) >= 8
        for name, frame in on_disk.items():
            assert_frame_equal(step.datasets[name], frame, check_exact=True, obj=f"{fmt} {name}")
            assert step.datasets[name].attrs == frame.attrs, name


def test_a_failure_in_the_parallel_sdtm_validation_names_its_step(tmp_path, raw, monkeypatch):
    # The SDTM validation runs in a forked process beside define and the ADaM validation; its
    # failure must still fail the run under its own step name and leave nothing behind.
    real = pipeline.validate

    def broken(folder, **kwargs):
        if kwargs.get("label") == "SDTM":
            raise ValueError("simulated failure")
        return real(folder, **kwargs)

    monkeypatch.setattr(pipeline, "validate", broken)
    with pytest.raises(pipeline.StepFailed, match="'validate sdtm' failed: simulated failure"):
        pipeline.run("ovarian", raw, tmp_path / "pkg", output=Output(quiet=True))
    assert list(tmp_path.iterdir()) == []


def test_run_log_says_every_step_in_a_fixed_order(package):
    log = (package / "logs" / "clinforge.log").read_text().splitlines()
    steps = [line.split(": ", 1)[1] for line in log if line.startswith("MESO-OV-101: ")]
    assert steps == ["sdtm", "adam", "define sdtm", "define adam", "results", "validate adam",
                     "validate sdtm"]
    assert log.index("Validating SDTM") > log.index("Validating ADAM")


# ---- clean at a size where the simulator plants every edge case (issue #12) -------------------

CLEAN_SUBJECTS, CLEAN_SEED = 250, 20261122
# The warnings the simulator plants on purpose (README, "Planted data issues"): rule → variables.
PLANTED_WARNINGS = {"XD-AESER-CRITERION": {"AESER"}, "DS-ADAM-REQ-NULL": {"AGE", "AGEU"},
                    "SD-AGE-WITH-BRTHDTC": {"BRTHDTC, AGE"}}


_PLANTED: dict[str, Path] = {}


def _planted_package(name: str, tmp_path_factory, ct_store) -> Path:
    """The package of a shipped study at CLEAN_SUBJECTS, built once per session, against the CDISC
    CT packages the studies name and SDTMIG 3.4 / ADaMIG 1.3, imported."""
    if name not in _PLANTED:
        raw = tmp_path_factory.mktemp("raw") / name
        pipeline.synth(name, raw, subjects=CLEAN_SUBJECTS, seed=CLEAN_SEED, output=Output(quiet=True))
        package = tmp_path_factory.mktemp("pkg") / name
        pipeline.run(name, raw, package, output=Output(quiet=True), store=ct_store)
        _PLANTED[name] = package
    return _PLANTED[name]


@pytest.fixture(params=["ovarian", "cervical", "melanoma"])
def planted(request, tmp_path_factory, ct_store) -> Path:
    return _planted_package(request.param, tmp_path_factory, ct_store)


@pytest.fixture(params=["ovarian", "cervical"])
def planted_cart(request, tmp_path_factory, ct_store) -> Path:
    # The CAR-T studies, whose simulation plants the infusion-day edge cases.
    return _planted_package(request.param, tmp_path_factory, ct_store)


def _blank(values):
    return values.fillna("").astype(str).str.strip() == ""


def test_the_simulator_plants_every_edge_case(planted_cart):
    from specs.readers import read_folder

    (study,) = (planted_cart / "m5" / "datasets").iterdir()
    sdtm = read_folder(study / "tabulations" / "sdtm")
    adam = read_folder(study / "analysis" / "adam" / "datasets")
    adsl, ae = adam["ADSL"], sdtm["AE"]
    adae = adam["ADAE"].merge(adsl[["USUBJID", "TRTSDTM"]], on="USUBJID")
    infusion_day = adae["ASTDT"] == adae["TRTSDT"]
    emergent = adae["TRTEMFL"] == "Y"
    adpp = adam["ADPP"].pivot_table(index=["USUBJID", "PARCAT1"], columns="PARAMCD", values="AVAL")
    criteria = ["AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE"]
    planted_cases = {
        # an AE on the infusion day before the infusion: not emergent, lymphodepletion phase
        "AE before the infusion": infusion_day & (adae["ASTDTM"] < adae["TRTSDTM"]) & ~emergent
        & (adae["LDEMFL"] == "Y"),
        # a start without time on the infusion day: imputed to the infusion time, emergent
        "AE time imputed to the infusion": infusion_day & (adae["ASTTMF"] == "H")
        & (adae["ASTDTM"] == adae["TRTSDTM"]) & emergent,
        # a partial start in the infusion month of an AE that ended before the infusion: imputed
        # no later than its end (start_before_end), so not emergent and ASTDY <= AENDY
        "AE ended before an imputed start": (adae["AENDT"] < adae["TRTSDT"])
        & (adae["AESTDTC"].str.len() == 7) & (adae["AESTDTC"] == adae["TRTSDT"].dt.strftime("%Y-%m"))
        & (adae["ASTDT"] <= adae["AENDT"]) & ~emergent,
        # Clast before the interval end and a BLQ sample after it: AUCINT adds the decline
        "AUCINT past Tlast": adpp["AUCINT"] > adpp["AUCLST"] * (1 + 1e-9),
        "age not collected": adsl["AGE"].isna(),
        "assigned, not treated": _blank(adsl.merge(sdtm["DM"][["USUBJID", "ARMNRS"]], on="USUBJID")
                                        .query("ARMNRS == 'ASSIGNED, NOT TREATED'")["ACTARM"]),
        "serious AE without a criterion": (ae["AESER"] == "Y") & ~(ae[criteria] == "Y").any(axis=1),
        "AE term over 200 characters": sdtm["SUPPAE"]["QNAM"] == "AETERM1",
    }
    assert {case: int(rows.sum()) > 0 for case, rows in planted_cases.items()} == dict.fromkeys(
        planted_cases, True)
    # define.xml describes the SUPPAE pieces of the long terms
    define = (study / "tabulations" / "sdtm" / "define.xml").read_text()
    assert 'OID="WC.SUPPAE.QVAL.QNAM.AETERM1"' in define


def test_without_a_ct_package_the_reports_say_what_could_not_be_checked(package):
    # The package fixture runs with no CT package imported: the studies work on the shipped subset,
    # and every report says so; what the subset cannot judge is NOT RUN, never passed.
    for kind in ("sdtm", "adam"):
        report = package / "reports" / kind
        summary = json.loads((report / "summary.json").read_text())
        assert any("is named but not imported" in note and "clinforge ct import" in note
                   for note in summary["notes"]), summary["notes"]
        assert "(the subset clinforge ships)" in (report / "report.html").read_text()
    sdtm = json.loads((package / "reports" / "sdtm" / "summary.json").read_text())
    assert any(r["rule"] == "CT2002" and r["dataset"] == "PP" and "copies/ug" in r["reason"]
               and "clinforge ct import" in r["reason"] for r in sdtm["not_run"]), sdtm["not_run"]
    log = (package / "logs" / "clinforge.log").read_text()
    assert "CDISC CT SDTM CT 2024-03-29 (the subset clinforge ships)" in log


def test_run_has_no_errors_and_only_the_planted_warnings(planted):
    summary = json.loads((planted / "reports" / "sdtm" / "summary.json").read_text())
    assert summary["notes"] == ["CDISC CT: SDTM CT 2025-03-28, ADaM CT 2025-03-28"]
    assert not [r for r in summary["not_run"] if r["rule"].startswith("CT")]
    found = {}
    for kind in ("sdtm", "adam"):
        for finding in json.loads((planted / "reports" / kind / "findings.json").read_text()):
            found.setdefault((finding["severity"], finding["rule"]), set()).add(finding["variable"])
    assert {key: variables for key, variables in found.items() if key[0] != "warning"} == {}
    assert {rule: variables for (_, rule), variables in found.items()} == PLANTED_WARNINGS


def test_review_explains_the_planted_findings(tmp_path):
    # The demo's last step: the first study's package validated again with a dispositions file
    # explaining what the simulator planted, against the package's own reports as baseline.
    raw = tmp_path / "raw"
    output = Output(quiet=True)
    pipeline.synth("ovarian", raw, subjects=30, seed=20261122, output=output)
    first = pipeline.run("ovarian", raw, tmp_path / "ovarian", output=output)
    reviewed = pipeline.review(first, tmp_path, output=output)
    (check,) = reviewed.validations
    settled = {(f.rule, f.dataset, f.variable) for f in check.findings if f.settled}
    assert {("XD-AESER-CRITERION", "AE", "AESER"), ("DS-ADAM-REQ-NULL", "ADSL", "AGE")} <= settled
    assert not [f for f in check.findings if not f.settled]  # nothing else is left open
    assert not [c for c in check.coverage if c.stale]
    assert set(check.changes.values()) == {"persisting"} and not check.resolved
    assert not check.fails("warning")
    assert (tmp_path / "review" / "ovarian" / "reports" / "report.xlsx").is_file()
