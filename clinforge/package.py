"""The submission folder: eCTD module 5 layout and a manifest that lets anyone verify it."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path

from specs.dataset import build_timestamp
from specs.model import Study

# Packages whose versions decide the bytes of the output.
DEPENDENCIES = ("clinforge", "pandas", "numpy", "pyreadstat", "lxml", "great-expectations", "PyYAML",
                "odmlib", "defineutils", "scipy", "statsmodels", "matplotlib", "reportlab")


@dataclass(frozen=True)
class Layout:
    """Where each part of a study's package goes (eCTD module 5, datasets section)."""

    root: Path
    studyid: str

    @property
    def study(self) -> Path:
        return self.root / "m5" / "datasets" / self.studyid.lower()

    @property
    def sdtm(self) -> Path:
        return self.study / "tabulations" / "sdtm"

    @property
    def adam(self) -> Path:
        return self.study / "analysis" / "adam" / "datasets"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def results(self) -> Path:
        return self.reports / "results"

    @property
    def log(self) -> Path:
        return self.root / "logs" / "clinforge.log"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_tree(paths: list[Path], base: Path) -> str:
    """One SHA-256 over the files' relative names and contents, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(base).as_posix()):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def specs_hash(study: Study) -> str:
    """The hash of everything that specifies the output: the study's folder, the library files
    its specs extend, and the shared specs (Study.spec_files)."""
    return hash_tree([Path(p) for p in study.spec_files], Path("/"))


def versions() -> dict[str, str]:
    found = {}
    for name in DEPENDENCIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def write_manifest(layout: Layout, study: Study, *, command: str, raw_sha256: str,
                   seed: int | None) -> Path:
    """manifest.json: SHA-256 and size of every file, versions, the specs' hash, seed and command.

    The manifest names no absolute path and no wall-clock time (its timestamp is SOURCE_DATE_EPOCH's
    or the fixed default), so the same inputs give the same manifest.
    """
    files = sorted(p for p in layout.root.rglob("*") if p.is_file() and p != layout.manifest)
    manifest = {
        "study": study.studyid,
        "created": build_timestamp().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "seed": seed,
        "raw_sha256": raw_sha256,
        "specs_sha256": specs_hash(study),
        "versions": versions(),
        "files": [
            {"path": p.relative_to(layout.root).as_posix(), "size": p.stat().st_size,
             "sha256": sha256_file(p)}
            for p in files
        ],
    }
    layout.manifest.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return layout.manifest
