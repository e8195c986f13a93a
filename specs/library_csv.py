"""Implementation-guide metadata from the CSV export of the CDISC Library browser.

SDTMIG: `Datasets.csv` (Version, Class, Dataset Name, Dataset Label, Structure) and
`Variables.csv` (Variable Order, Class, Dataset Name, Variable Name, Variable Label, Type,
CDISC CT Codelist Code(s), Role, CDISC Notes, Core). ADaMIG: `DataStructures.csv` and
`Variables.csv` (Data Structure Name, Variable Set, Variable Name, Variable Label, Type, CDISC CT
Codelist Code(s), Core). Both become the same `DatasetSpec` objects as the shipped standards,
keyed by domain (SDTM) or data structure (ADaM: ADSL, BDS, OCCDS, TTE …), with classes written
as CDISC CT spells them (SPECIAL PURPOSE, FINDINGS ABOUT).
"""

from __future__ import annotations

import csv
from pathlib import Path

from specs.errors import InputError
from specs.model import DatasetSpec, Variable

# The Library names ADaM structures in Variables.csv by their description.
ADAM_STRUCTURES = {
    "Subject-Level Analysis Dataset": "ADSL",
    "Basic Data Structure": "BDS",
    "Occurrence Data Structure": "OCCDS",
    "Basic Data Structure Time-to-Event": "TTE",
    "Adverse Events Analysis Dataset": "OCCDS",
}


def library_class(name: str) -> str:
    """Special-Purpose → SPECIAL PURPOSE, Findings About → FINDINGS ABOUT (CDISC CT spelling)."""
    return name.replace("-", " ").strip().upper()


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or ())]
            if missing:
                raise InputError(f"not a CDISC Library export: columns {', '.join(missing)} missing",
                                 file=str(path), expected=f"a header with {', '.join(required)}")
            return list(reader)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8 text (byte {error.start})", file=str(path)) from None


def read_sdtmig(folder: str | Path) -> tuple[str, dict[str, DatasetSpec]]:
    """The SDTMIG version (e.g. '3.4') and its datasets, from a Library CSV export folder."""
    root = Path(folder)
    datasets = _rows(root / "Datasets.csv", ("Version", "Class", "Dataset Name", "Dataset Label"))
    variables = _rows(root / "Variables.csv", ("Variable Order", "Dataset Name", "Variable Name",
                                               "Variable Label", "Type", "Core"))
    version = _version(datasets[0]["Version"] if datasets else "", root / "Datasets.csv")
    by_dataset: dict[str, list[Variable]] = {}
    for line, row in enumerate(variables, start=2):
        by_dataset.setdefault(row["Dataset Name"], []).append(Variable(
            name=row["Variable Name"], label=row["Variable Label"], type=row["Type"],
            order=_int(row["Variable Order"], root / "Variables.csv", line),
            role=row.get("Role") or None, core=row["Core"] or None,
            codelist=(row.get("CDISC CT Codelist Code(s)") or "").split(";")[0].strip() or None,
        ))
    out = {}
    for row in datasets:
        name = row["Dataset Name"]
        out[name] = DatasetSpec(
            name=name, label=row["Dataset Label"], kind="sdtm",
            dataset_class=library_class(row["Class"]), structure=row.get("Structure", ""),
            keys=(), variables=tuple(sorted(by_dataset.get(name, ()), key=lambda v: v.order)),
            file=str(root / "Datasets.csv"),
        )
    return version, out


def read_adamig(folder: str | Path) -> tuple[str, dict[str, DatasetSpec]]:
    """The ADaMIG version and its data structures (ADSL, BDS, OCCDS, TTE …)."""
    root = Path(folder)
    structures = _rows(root / "DataStructures.csv", ("Version", "Data Structure Name", "Class"))
    variables = _rows(root / "Variables.csv", ("Data Structure Name", "Variable Name", "Variable Label",
                                               "Type", "Core"))
    version = _version(structures[0]["Version"] if structures else "", root / "DataStructures.csv")
    by_structure: dict[str, list[Variable]] = {}
    for row in variables:
        structure = ADAM_STRUCTURES.get(row["Data Structure Name"], row["Data Structure Name"])
        listed = by_structure.setdefault(structure, [])
        listed.append(Variable(
            name=row["Variable Name"], label=row["Variable Label"], type=row["Type"],
            order=len(listed) + 1, role=row.get("Variable Set") or None, core=row["Core"] or None,
            codelist=(row.get("CDISC CT Codelist Code(s)") or "").split(";")[0].strip() or None,
        ))
    out = {}
    for row in structures:
        name = row["Data Structure Name"]
        out[name] = DatasetSpec(
            name=name, label=row.get("Data Structure Description", ""), kind="adam",
            dataset_class=library_class(row["Class"]), structure=row.get("Subclass", ""),
            keys=(), variables=tuple(by_structure.get(name, ())), file=str(root / "DataStructures.csv"),
        )
    return version, out


def _version(text: str, path: Path) -> str:
    """'SDTMIG v3.4' → '3.4'."""
    version = text.rsplit("v", 1)[-1].strip()
    if not version:
        raise InputError("no version in the first row", file=str(path), column="Version",
                         expected="e.g. 'SDTMIG v3.4'")
    return version


def _int(text: str, path: Path, line: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError("not a whole number", file=str(path), row=line, column="Variable Order",
                         value=text, expected="the variable's position, 1, 2, 3 …") from None
