"""Implementation-guide metadata (SDTMIG, ADaMIG) imported from the CDISC Library CSV export into
the store (specs.store), and loaded back as the same DatasetSpec objects the shipped standards are.

clinforge ships SDTMIG 3.4 / ADaMIG 1.3 metadata for the domains it writes; an imported guide
knows every domain (SDTMIG 3.4: 63 datasets, 1,917 variables). `standard_datasets` gives a study,
define.xml and validation the imported guide where there is one, with the keys of the shipped
standard for the datasets it also describes (the Library export has no keys), and the shipped
datasets the guide lacks (SUPPQUAL conventions, ADaM OCCDS).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from specs import store
from specs.errors import InputError
from specs.library_csv import read_adamig, read_sdtmig
from specs.model import DatasetSpec, Variable

KIND = "ig"
GUIDES = {"sdtm": "sdtmig", "adam": "adamig"}
# The files of each guide's export: the first says which guide a folder holds.
FILES = {"sdtmig": ("Datasets.csv", "Variables.csv"), "adamig": ("DataStructures.csv", "Variables.csv")}
READERS = {"sdtmig": read_sdtmig, "adamig": read_adamig}
DATASET_FIELDS = ("name", "label", "kind", "dataset_class", "structure")
VARIABLE_FIELDS = ("dataset", "name", "label", "type", "order", "role", "core", "codelist")


@dataclass(frozen=True)
class Guide:
    """The implementation guide a study or a validation uses: imported, or the one clinforge ships."""

    name: str  # SDTMIG, ADaMIG
    version: str
    datasets: dict[str, DatasetSpec]
    imported: bool

    @property
    def label(self) -> str:
        return f"{self.name} {self.version} ({'imported' if self.imported else 'shipped'})"


@dataclass(frozen=True)
class ImportedGuide:
    folder: str
    guide: str  # sdtmig, adamig
    version: str
    action: str  # imported, replaced, unchanged
    datasets: int
    variables: int


def import_guides(folders: Sequence[str | Path], root: str | Path | None = None) -> list[ImportedGuide]:
    """Import Library CSV export folders; every folder is read and checked before any is stored.
    A folder whose files match a stored guide byte for byte is not read again."""
    read = []
    for folder in folders:
        folder = Path(folder)
        guide = next((g for g, files in FILES.items() if (folder / files[0]).is_file()), None)
        if guide is None:
            raise InputError("not a CDISC Library CSV export", file=str(folder),
                             expected="a folder with Datasets.csv and Variables.csv (SDTMIG) or "
                                      "DataStructures.csv and Variables.csv (ADaMIG)")
        paths = [folder / name for name in FILES[guide]]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise InputError("file not found", file=str(missing[0]))
        digest = store.files_sha256(paths)
        known = next((p for p in store.packages(root, KIND, guide) if p.sha256 == digest), None)
        read.append((folder, guide, digest, known or READERS[guide](folder)))
    results = []
    for folder, guide, digest, got in read:
        if isinstance(got, store.Package):
            results.append(ImportedGuide(str(folder), guide, got.version, "unchanged",
                                         got.manifest["datasets"], got.manifest["variables"]))
            continue
        version, datasets = got
        before = store.find(root, KIND, guide, version)
        tables = _tables(datasets)
        store.write_package(root, KIND, guide, version, tables, {
            "guide": guide, "version": version, "source": str(folder), "sha256": digest,
            "datasets": tables["datasets"].num_rows, "variables": tables["variables"].num_rows})
        results.append(ImportedGuide(str(folder), guide, version, "replaced" if before else "imported",
                                     tables["datasets"].num_rows, tables["variables"].num_rows))
    return results


def _tables(datasets: dict[str, DatasetSpec]) -> dict[str, pa.Table]:
    specs = sorted(datasets.values(), key=lambda s: s.name)
    variables = [(s.name, v) for s in specs for v in s.variables]
    return {
        "datasets": pa.table({f: [getattr(s, f) for s in specs] for f in DATASET_FIELDS}),
        "variables": pa.table({
            "dataset": [d for d, _ in variables],
            **{f: pa.array([getattr(v, f) for _, v in variables],
                           type=pa.int64() if f == "order" else pa.string())
               for f in VARIABLE_FIELDS[1:]},
        }),
    }


def imported_guides(root: str | Path | None = None, guide: str | None = None) -> list[store.Package]:
    return store.packages(root, KIND, guide)


def load_standard_package(name: str, version: str | None = None, root: str | Path | None = None
                          ) -> tuple[str, dict[str, DatasetSpec]] | None:
    """An imported guide (sdtmig, adamig) as (version, datasets by name): release `version`, or the
    newest imported; None when none is imported."""
    stored = imported_guides(root, name)
    if version is not None:
        stored = [p for p in stored if p.version == version]
    if not stored:
        return None
    package = stored[-1]
    return package.version, _load(package.folder, package.sha256)


@lru_cache(maxsize=8)
def _load(folder: Path, sha256: str) -> dict[str, DatasetSpec]:
    package = store.Package(KIND, folder.parent.name, folder.name, folder, {})
    by_dataset: dict[str, list[Variable]] = {}
    for row in package.table("variables").to_pylist():
        by_dataset.setdefault(row.pop("dataset"), []).append(Variable(**row))
    return {row["name"]: DatasetSpec(**row, keys=(), variables=tuple(by_dataset.get(row["name"], ())),
                                     file=str(folder))
            for row in package.table("datasets").to_pylist()}


LABELS = {"sdtmig": "SDTMIG", "adamig": "ADaMIG"}


def _with_codelist(variable: Variable, shipped: Variable | None) -> Variable:
    if variable.codelist or shipped is None or not shipped.codelist:
        return variable
    return replace(variable, codelist=shipped.codelist)
# ADaMIG variable names with placeholders (TRTxxP, AGEGRy, ANLzzFL, *DTF): lower-case letters and
# * stand for digits or a prefix; everything else in a name is upper case.
PLACEHOLDERS = (("xx", r"\d\d"), ("zz", r"\d\d"), ("w", r"\d"), ("y", r"\d"), ("*", r"\w*"))


def guide_variable(spec: DatasetSpec | None, name: str) -> Variable | None:
    """A variable of a guide's dataset by name, or (ADaM) by a name pattern such as TRTxxP, whose
    label then takes the name's digits ("Planned Treatment for Period xx" → "... Period 01")."""
    if spec is None:
        return None
    exact = spec.variable(name)
    if exact is not None or spec.kind != "adam":
        return exact
    for variable in spec.variables:
        found = _pattern(variable.name).fullmatch(name)
        if found is not None:
            label = variable.label
            for placeholder, digits in found.groupdict().items():
                label = label.replace(placeholder, digits)
            return replace(variable, name=name, label=label)
    return None


@lru_cache(maxsize=4096)
def _pattern(name: str) -> re.Pattern:
    """The name as a regular expression; each digit placeholder a group named after itself."""
    text = re.escape(name)
    for placeholder, regex in PLACEHOLDERS:
        group = f"(?P<{placeholder}>{regex})" if placeholder != "*" else regex
        text = text.replace(re.escape(placeholder), group, 1)
    return re.compile(text)


def standard_datasets(kind: str, shipped: dict[str, DatasetSpec], shipped_version: str,
                      version: str | None = None, root: str | Path | None = None) -> Guide:
    """The guide of `kind` (sdtm, adam) to use: the imported release `version` (else the newest
    imported) completed by the shipped one (keys, datasets it lacks), else the shipped one alone."""
    label = LABELS[GUIDES[kind]]
    found = load_standard_package(GUIDES[kind], version, root) or (
        load_standard_package(GUIDES[kind], None, root) if version else None)
    if found is None:
        return Guide(label, shipped_version, shipped, imported=False)
    found_version, imported = found
    merged = dict(shipped)
    for name, spec in imported.items():
        known = shipped.get(name)
        if known is None:
            merged[name] = spec
            continue
        # The shipped standard's keys, its codelist where the guide names none (DOMAIN, the NY of
        # ADaM flags, TOXGR), and its variables the guide does not list (e.g. ADSL.COUNTRY, BDS
        # AVALU, which clinforge's ADaM specs use), after the guide's own.
        own = tuple(_with_codelist(v, known.variable(v.name)) for v in spec.variables)
        extra = tuple(v for v in known.variables if guide_variable(spec, v.name) is None)
        merged[name] = replace(spec, keys=known.keys, variables=own + extra)
    return Guide(label, found_version, merged, imported=True)
