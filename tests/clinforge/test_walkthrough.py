"""The README's "Specs: how to add a study" walk-through, followed step by step as a user would.

The section's files (a bold `walk/...` path followed by a yaml block) are written as given, and
its `sh` blocks run line by line with the installed `clinforge`, from a temporary folder standing
for the checkout root (holding the walk-through's raw exports where the README copies them from).
Every command must exit 0; validation must report no error and no warning, against the shipped CT
subset and again against the imported SDTM CT 2025-03-28 package and SDTMIG 3.4.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("walkthrough")
SECTION = "## Specs: how to add a study"
FILE_BLOCK = re.compile(r"^\*\*`(walk/[^`]+)`\*\*\n\n```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    return text[start:end]


def steps() -> list[tuple[str, str]]:
    """The walk-through in README order: ("file", path + content) and ("sh", command) steps."""
    section = walkthrough()
    found = [(m.start(), "file", (m.group(1), m.group(2))) for m in FILE_BLOCK.finditer(section)]
    for m in SH_BLOCK.finditer(section):
        found += [(m.start(), "sh", line.strip()) for line in m.group(1).splitlines()
                  if line.strip() and not line.strip().startswith("#")]
    return [(kind, value) for _, kind, value in sorted(found, key=lambda f: f[0])]


def test_the_walkthrough_has_files_and_commands():
    kinds = [kind for kind, _ in steps()]
    assert kinds.count("file") >= 8 and kinds.count("sh") >= 7
    commands = [value for kind, value in steps() if kind == "sh"]
    assert [c.split()[1] for c in commands if c.startswith("clinforge ")] == [
        "sdtm", "define", "validate", "run", "synth", "run"]


def _follow(tmp_path: Path, env: dict[str, str]) -> dict[str, subprocess.CompletedProcess]:
    """Every step of the walk-through, in `tmp_path`; the commands' results by command."""
    (tmp_path / "tests" / "clinforge").mkdir(parents=True)
    shutil.copytree(FIXTURES / "raw", tmp_path / "tests" / "clinforge" / "walkthrough" / "raw")
    bin_dir = str(Path(sys.executable).parent)
    env = env | {"PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"}
    done = {}
    for kind, value in steps():
        if kind == "file":
            path, content = value
            (tmp_path / path).write_text(content, encoding="utf-8")
            continue
        result = subprocess.run(["bash", "-c", value], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, f"{value}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        done[value] = result
    return done


def _findings(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "walk" / "reports" / "summary.json").read_text(encoding="utf-8"))


def test_following_the_walkthrough_gives_a_validated_sdtm_package(tmp_path):
    _follow(tmp_path, dict(os.environ))
    # The README's files are the fixture study's, file for file (tests/sdtm/test_arms.py uses it).
    study, fixture = tmp_path / "walk" / "melanoma", FIXTURES / "melanoma"
    written = sorted(p.relative_to(study) for p in study.rglob("*.yaml"))
    assert written == sorted(p.relative_to(fixture) for p in fixture.rglob("*.yaml"))
    for name in written:
        assert (study / name).read_text() == (fixture / name).read_text(), name
    sdtm = tmp_path / "walk" / "sdtm"
    assert sorted(p.stem for p in sdtm.glob("*.xpt")) == [
        "ae", "dm", "ds", "ex", "lb", "rs", "se", "suppae", "sv", "ta", "te", "ti", "tr", "ts", "tu", "tv",
        "vs"]
    assert (sdtm / "define.xml").is_file() and (sdtm / "define.html").is_file()
    summary = _findings(tmp_path)
    assert summary["findings"] == {"error": 0, "warning": 0, "notice": 0}, summary["by_rule"]
    package = tmp_path / "walk" / "package"
    assert (package / "manifest.json").is_file()
    package_summary = json.loads((package / "reports" / "sdtm" / "summary.json").read_text())
    assert package_summary["findings"]["error"] == 0
    assert not (package / "m5" / "datasets" / "PD1-MEL-301" / "analysis").exists()
    # Step 8: the shipped study, simulated, with its ADaM built by structure and its analyses.
    shipped = tmp_path / "walk" / "melanoma-package"
    adam = shipped / "m5" / "datasets" / "pd1-mel-301" / "analysis" / "adam" / "datasets"
    assert sorted(p.stem for p in adam.glob("*.xpt")) == [
        "adae", "adlb", "adrs", "adsl", "adtr", "adtte", "advs"]
    for kind in ("sdtm", "adam"):
        findings = json.loads((shipped / "reports" / kind / "summary.json").read_text())["by_rule"]
        assert set(findings) <= {"SD-AGE-WITH-BRTHDTC", "DS-ADAM-REQ-NULL", "XD-AESER-CRITERION"}, findings
    assert (shipped / "reports" / "results" / "ard.json").is_file()


def test_the_walkthrough_validates_against_the_full_cdisc_packages(tmp_path, ct_store):
    _follow(tmp_path, dict(os.environ) | {"CLINFORGE_DATA": str(ct_store)})
    summary = _findings(tmp_path)
    assert summary["findings"] == {"error": 0, "warning": 0, "notice": 0}, summary["by_rule"]
    assert not [n for n in summary.get("not_run", []) if n.get("rule", "").startswith("CT")]


@pytest.mark.parametrize(("command", "says"), [
    ("clinforge synth walk/melanoma --out walk/synth",
     "synth cannot draw the form 'randomisation': its required field(s) RANDARM have no `simulate:` "
     "declaration"),
    ("clinforge adam walk/melanoma --sdtm walk/sdtm --out walk/adam", "has no ADaM specs"),
])
def test_what_the_study_cannot_do_yet_is_refused_with_exit_2(tmp_path, command, says):
    (tmp_path / "walk").mkdir()
    shutil.copytree(FIXTURES / "melanoma", tmp_path / "walk" / "melanoma")
    (tmp_path / "walk" / "sdtm").mkdir()
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ) | {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2, result.stderr
    assert says in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr
