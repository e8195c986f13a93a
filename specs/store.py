"""The local store of imported standards: CDISC CT packages and implementation-guide metadata.

Users download these from NCI EVS and the CDISC Library; clinforge ships none of them. Each
import is one package per standard and version, kept as Parquet beside a `package.json` that
records where it came from and the SHA-256 of the imported files (importing the same files
again changes nothing):

    <root>/ct/<standard>/<version>/terms.parquet                 sdtm, adam, define-xml ...
    <root>/ig/<guide>/<version>/datasets.parquet, variables.parquet  sdtmig, adamig

The root is the folder a command is given (`--ct-dir`), else `$CLINFORGE_DATA`, else the
user's data directory (platformdirs). A package is written into a temporary sibling folder and
renamed into place, so a failed import leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import pyarrow as pa
import pyarrow.parquet as pq

ENV = "CLINFORGE_DATA"
MANIFEST = "package.json"
KINDS = ("ct", "ig")


def store_root(explicit: str | Path | None = None) -> Path:
    """The store folder: the one given, else $CLINFORGE_DATA, else the user's data directory."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV, "").strip():
        return Path(os.environ[ENV])
    return Path(platformdirs.user_data_dir("clinforge", appauthor=False))


@dataclass(frozen=True)
class Package:
    """One stored package: kind (ct or ig), standard (sdtm, adamig ...), version and its files."""

    kind: str
    standard: str
    version: str
    folder: Path
    manifest: dict

    @property
    def sha256(self) -> str:
        return self.manifest.get("sha256", "")

    def table(self, name: str) -> pa.Table:
        return pq.read_table(self.folder / f"{name}.parquet")


def packages(root: str | Path | None, kind: str, standard: str | None = None) -> list[Package]:
    """Stored packages of a kind (and standard), oldest version first."""
    base = store_root(root) / kind
    found = []
    for manifest in sorted(base.glob(f"{standard or '*'}/*/{MANIFEST}")):
        folder = manifest.parent
        if folder.name.startswith("."):
            continue
        found.append(Package(kind, folder.parent.name, folder.name, folder,
                             json.loads(manifest.read_text(encoding="utf-8"))))
    return sorted(found, key=lambda p: (p.standard, p.version))


def find(root: str | Path | None, kind: str, standard: str, version: str) -> Package | None:
    return next((p for p in packages(root, kind, standard) if p.version == version), None)


def files_sha256(paths: Iterable[str | Path]) -> str:
    """One SHA-256 over the named files' bytes, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def write_package(root: str | Path | None, kind: str, standard: str, version: str,
                  tables: Mapping[str, pa.Table], manifest: Mapping) -> Package:
    """Write a package atomically, replacing a stored one of the same standard and version."""
    target = store_root(root) / kind / standard / version
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=target.parent))
    try:
        for name, table in tables.items():
            pq.write_table(table, work / f"{name}.parquet", compression="zstd")
        (work / MANIFEST).write_text(json.dumps(dict(manifest), indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")
        old = None
        if target.exists():
            old = target.with_name(f".{version}.old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
        work.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Package(kind, standard, version, target, dict(manifest))
