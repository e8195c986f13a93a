"""Arguments and output paths: usage errors exit 2, paths with spaces work, output never half-written."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from specs.loader import study_folder
from tests.bad_inputs.cli import assert_refused, assert_usage_error, cell, copy_tree, invoke, snapshot

OUT = "{out}"  # replaced by a folder that must not be created


@pytest.mark.parametrize(("args", "says"), [
    # No subjects.
    (["synth", "ovarian", "--subjects", "0", "--out", OUT], ("--subjects", "greater than or equal to 1")),
    # More subjects than the simulator is meant for.
    (["synth", "ovarian", "--subjects", "20001", "--out", OUT], ("--subjects", "less than or equal")),
    # Not a number.
    (["synth", "ovarian", "--subjects", "ten", "--out", OUT], ("--subjects", "valid integer")),
    # A seed that is not a whole number.
    (["synth", "ovarian", "--seed", "1.5", "--out", OUT], ("--seed", "valid integer")),
    # An output format clinforge does not write.
    (["sdtm", "ovarian", "--raw", "raw", "--format", "csv", "--out", OUT], ("--format", "csv", "xpt")),
    # The output folder not given.
    (["synth", "ovarian"], ("--out",)),
    # An option that does not exist.
    (["sdtm", "ovarian", "--raw", "raw", "--output", OUT], ("--output",)),
    # A command that does not exist.
    (["convert", "ovarian", "--out", OUT], ("convert",)),
], ids=["subjects_0", "subjects_20001", "subjects_text", "seed_decimal", "unknown_format", "out_missing",
        "unknown_option", "unknown_command"])
def test_usage_error(tmp_path, args, says):
    out = tmp_path / "out"
    assert_usage_error(invoke(*(out if a == OUT else a for a in args)), *says)
    assert not out.exists()


def test_unknown_study_names_the_shipped_ones(tmp_path):
    # A misspelt study: the closest shipped study is suggested.
    out = tmp_path / "raw"
    assert_refused(invoke("synth", "ovarain", "--out", out), out,
                   ("ovarain", "no such study", "did you mean 'ovarian'"))


def test_json_error_for_machines(tmp_path, good_raw):
    # --json: the error is one JSON object on stdout, with the same message.
    raw = copy_tree(good_raw, tmp_path / "raw")
    cell("ae", 2, "AESTDAT", "31 FEB 2024")(raw)
    result = invoke("sdtm", "ovarian", "--raw", raw, "--out", tmp_path / "sdtm", "--json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["status"] == "error"
    assert all(s in document["message"] for s in ("ae.csv", "row 2", "AESTDAT", "31 FEB 2024"))
    assert not (tmp_path / "sdtm").exists()


def test_paths_with_spaces_and_accents_work(tmp_path, good_raw, good_sdtm):
    # Study, raw, SDTM and ADaM folders whose paths have spaces and non-ASCII letters.
    base = tmp_path / "Études cliniques" / "my study 1"
    study = Path(shutil.copytree(study_folder("ovarian"), base / "spec files"))
    raw = copy_tree(good_raw, base / "raw exports")
    sdtm = base / "SDTM out"
    result = invoke("sdtm", study, "--raw", raw, "--out", sdtm, "--quiet")
    assert result.exit_code == 0, result.output
    assert snapshot(sdtm) == snapshot(good_sdtm)
    adam = base / "ADaM out"
    result = invoke("adam", study, "--sdtm", sdtm, "--out", adam, "--quiet")
    assert result.exit_code == 0, result.output
    assert {"adsl.xpt", "adae.xpt", "adrs.xpt", "adtte.xpt"} <= {p.name for p in adam.iterdir()}


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """Make `path` unchangeable even for root (chattr +i); skip when the system cannot."""
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot make a folder read-only for this user: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_unwritable_output_folder(tmp_path):
    # The folder that would hold the output cannot be written to (immutable, so even for root).
    parent = tmp_path / "locked"
    parent.mkdir()
    out = parent / "raw"
    with immutable(parent):
        result = invoke("synth", "ovarian", "--subjects", 1, "--out", out)
    assert_refused(result, out, (str(out), "cannot be written"), siblings=set())


def test_previous_output_that_cannot_be_replaced(tmp_path, good_raw):
    # The previous output is locked: the new run fails, leaving it and nothing else.
    out = copy_tree(good_raw, tmp_path / "raw")
    before = snapshot(out)
    with immutable(out):
        result = invoke("synth", "ovarian", "--subjects", 1, "--out", out)
        siblings = {p.name for p in tmp_path.iterdir()}
    assert_refused(result, out, (str(out),), previous=before)
    assert siblings == {"raw"}


def test_output_path_is_an_existing_file(tmp_path):
    # --out names a file the user has: it must survive, and the run be refused.
    out = tmp_path / "notes.txt"
    out.write_text("my notes\n")
    result = invoke("synth", "ovarian", "--subjects", 1, "--out", out)
    assert_refused(result, None, (str(out), "not a folder"))
    assert out.read_text() == "my notes\n"
    assert {p.name for p in tmp_path.iterdir()} == {"notes.txt"}


def test_output_path_inside_a_file(tmp_path):
    # --out names a folder below an existing file.
    (tmp_path / "notes.txt").write_text("my notes\n")
    out = tmp_path / "notes.txt" / "raw"
    result = invoke("synth", "ovarian", "--subjects", 1, "--out", out)
    assert_refused(result, None, ("notes.txt", "Not a directory"))
    assert (tmp_path / "notes.txt").read_text() == "my notes\n"
