"""qc/engine/rule.py: which files a --rules path names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qc.engine.rule import load_rules
from specs.errors import SpecError

CATALOGUE = Path(__file__).resolve().parents[3] / "qc" / "catalogue" / "sdtm"
RULE = CATALOGUE / "SD-AESER-CRITERIA" / "rule.yml"


def test_a_folder_of_rule_folders(tmp_path):
    shutil.copytree(RULE.parent, tmp_path / "SD-AESER-CRITERIA")
    assert [r.id for r in load_rules([tmp_path])] == ["SD-AESER-CRITERIA"]


def test_a_folder_of_rule_files_as_cores_local_rules(tmp_path):
    shutil.copy(RULE, tmp_path / "one.yml")
    shutil.copy(CATALOGUE / "SD-AGE-POSITIVE" / "rule.yml", tmp_path / "two.yaml")
    assert [r.id for r in load_rules([tmp_path])] == ["SD-AESER-CRITERIA", "SD-AGE-POSITIVE"]


def test_a_folder_without_rules_is_an_error_not_an_empty_run(tmp_path):
    (tmp_path / "notes.txt").write_text("no rules here")
    with pytest.raises(SpecError, match="no rule files in this folder"):
        load_rules([tmp_path])
