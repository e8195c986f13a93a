"""CDISC Controlled Terminology packages: imported from NCI EVS files into the store, loaded back,
and chosen for a study.

A `Terminology` is one package (an imported NCI EVS release, or the subset clinforge ships) whose
codelists are found by short name (NY), name (No Yes Response) or C-code (C66742) and built
as `Codelist` objects only when asked, so loading the 45,000-row SDTM package costs a Parquet
read and one pass to index it. A term's decode is the term of the paired name codelist with the
same C-code (LBTESTCD INTLK6 → LBTEST "Interleukin 6"; "X Code" pairs with "X Name", or a short
name XCD with X), else its one CDISC synonym, else its NCI preferred term (NY U → "Unknown").

`choose` picks the package a study or a define.xml names, or the nearest imported release of
that standard, or the newest, or the shipped subset, and says which and why.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from specs import store
from specs.errors import InputError
from specs.model import Codelist, CtSource, Term
from specs.nci_evs import read_ct_file
from specs.schema import closest

KIND = "ct"
TABLE = "terms"
NCI_EVS = ("https://evs.nci.nih.gov/ftp1/CDISC/ (SDTM/, ADaM/, Define-XML/; older releases in "
           "each folder's Archive/)")


class Terminology:
    """One CT package: codelists by short name, name or C-code, built on first use."""

    def __init__(self, source: CtSource, codelists: Mapping[str, Codelist] | None = None,
                 rows: pa.Table | None = None):
        self.source = source
        self._built: dict[str, Codelist] = dict(codelists or {})
        self._keys: dict[str, str] = {}  # short name, C-code or lower-case name → short name
        self._rows: dict[str, list] = {}
        self._terms: dict[str, list[int]] = {}  # codelist short name → its term rows
        self._row_of: dict[str, int] = {}  # codelist short name → its own row
        for name, codelist in self._built.items():
            self._index(name, codelist.c_code, codelist.label)
        if rows is not None:
            self._load(rows)

    def _index(self, name: str, code: str | None, label: str | None) -> None:
        self._keys.setdefault(name, name)
        if code:
            self._keys.setdefault(code, name)
        if label:
            self._keys.setdefault(label.lower(), name)

    def _load(self, rows: pa.Table) -> None:
        self._rows = rows.to_pydict()
        parent, codes, values, labels = (self._rows[k] for k in ("codelist_code", "code", "value",
                                                                   "codelist_name"))
        short: dict[str, str] = {}
        for i, (of, code) in enumerate(zip(parent, codes, strict=True)):
            if not of:
                short[code] = values[i]
                self._row_of[values[i]] = i
                self._index(values[i], code, labels[i])
        for i, of in enumerate(parent):
            if of:
                self._terms.setdefault(short[of], []).append(i)

    def __len__(self) -> int:
        return len(set(self._keys.values()))

    def names(self) -> list[str]:
        """The codelists' short names, sorted."""
        return sorted(set(self._keys.values()))

    def name_of(self, key: str) -> str | None:
        """The short name of the codelist a short name, C-code or name stands for."""
        return self._keys.get(key) or self._keys.get(key.lower())

    def codelist(self, key: str) -> Codelist | None:
        name = self.name_of(key)
        if name is None:
            return None
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def term_count(self) -> int:
        if self._rows:
            return sum(len(rows) for rows in self._terms.values())
        return sum(len(c.terms) for c in self._built.values())

    def _build(self, name: str) -> Codelist:
        rows = self._rows
        own = self._row_of[name]
        paired = self._paired(name)
        decodes = {}
        if paired is not None:
            decodes = {rows["code"][i]: rows["value"][i] for i in self._terms.get(paired, ())}
        terms = []
        for i in self._terms.get(name, ()):
            synonyms = tuple(s.strip() for s in rows["synonyms"][i].split(";") if s.strip())
            decode = decodes.get(rows["code"][i]) or (synonyms[0] if len(synonyms) == 1
                                                      else rows["preferred_term"][i] or None)
            terms.append(Term(value=rows["value"][i], c_code=rows["code"][i],
                              decode=decode if decode != rows["value"][i] else None, synonyms=synonyms))
        return Codelist(name=name, label=rows["codelist_name"][own], terms=tuple(terms),
                        c_code=rows["code"][own], extensible=bool(rows["extensible"][own]),
                        source=self.source)

    def _paired(self, name: str) -> str | None:
        """The name codelist of a code codelist: 'X Test Code' → 'X Test Name', else XCD → X."""
        label = self._rows["codelist_name"][self._row_of[name]]
        if label.endswith(" Code"):
            partner = self._keys.get(f"{label[:-5]} Name".lower())
            if partner:
                return partner
        if name.endswith("CD") and name[:-2] in self._row_of:
            return name[:-2]
        return None


class Codelists(Mapping[str, Codelist]):
    """A study's codelists by name (or C-code): its own first, then each CT package in turn."""

    def __init__(self, own: Mapping[str, Codelist], packages: Sequence[Terminology] = ()):
        self.own = dict(own)
        self.packages = tuple(packages)

    def __getitem__(self, key: str) -> Codelist:
        if key in self.own:
            return self.own[key]
        for package in self.packages:
            name = package.name_of(key)
            if name is not None:
                return self.own.get(name) or package.codelist(name)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self.own or any(p.name_of(key) for p in self.packages))

    def __iter__(self) -> Iterator[str]:
        seen = set(self.own)
        yield from self.own
        for package in self.packages:
            for name in package.names():
                if name not in seen:
                    seen.add(name)
                    yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def with_own(self, own: Mapping[str, Codelist]) -> Codelists:
        """The same packages, with more codelists of one's own (they win over earlier ones)."""
        return Codelists({**self.own, **own}, self.packages)


# --- the store ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Imported:
    """What importing one file did: stored, replaced (same release, other content) or unchanged."""

    file: str
    standard: str
    version: str
    action: str  # imported, replaced, unchanged
    codelists: int
    terms: int
    skipped: tuple[str, ...] = ()


def import_ct(paths: Sequence[str | Path], root: str | Path | None = None, *,
              standard: str | None = None, version: str | None = None) -> list[Imported]:
    """Import NCI EVS files into the store. Every file is read and checked before any is stored,
    so a malformed file (InputError naming line and column) leaves the store as it was. A file
    whose SHA-256 matches the stored release is not read again."""
    read = []
    for path in paths:
        path = Path(path)
        digest = store.files_sha256([path]) if path.is_file() else ""
        known = _stored_with(root, path, digest, standard, version)
        if known is not None:
            read.append((path, digest, known))
            continue
        read.append((path, digest, read_ct_file(path, standard=standard, version=version)))
    results = []
    for path, digest, got in read:
        if isinstance(got, store.Package):
            results.append(Imported(str(path), got.standard, got.version, "unchanged",
                                    got.manifest.get("codelists", 0), got.manifest.get("terms", 0)))
            continue
        before = store.find(root, KIND, got.standard, got.version)
        store.write_package(root, KIND, got.standard, got.version, {TABLE: got.rows}, {
            "standard": got.standard, "version": got.version, "source": path.name, "sha256": digest,
            "codelists": got.codelists, "terms": got.terms, "skipped": list(got.skipped)})
        results.append(Imported(str(path), got.standard, got.version,
                                "replaced" if before is not None else "imported", got.codelists,
                                got.terms, got.skipped))
    return results


def _stored_with(root, path: Path, digest: str, standard: str | None,
                 version: str | None) -> store.Package | None:
    """The stored package already imported from these very bytes, if any."""
    if not digest:
        return None
    for package in store.packages(root, KIND, standard):
        if package.sha256 == digest and (version is None or package.version == version):
            return package
    return None


def imported(root: str | Path | None = None, standard: str | None = None) -> list[store.Package]:
    return store.packages(root, KIND, standard)


def load_package(standard: str, version: str, root: str | Path | None = None) -> Terminology | None:
    """An imported package, or None when that release of that standard is not in the store."""
    package = store.find(root, KIND, standard, version)
    if package is None:
        return None
    return _load(package.folder, package.sha256, standard, version)


@lru_cache(maxsize=8)
def _load(folder: Path, sha256: str, standard: str, version: str) -> Terminology:
    return Terminology(CtSource(standard, version), rows=store.Package(
        KIND, standard, version, folder, {}).table(TABLE))


# --- which package a study or a folder uses ------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """The package used for one standard, what was named, and a note when they differ."""

    standard: str
    named: str | None
    terminology: Terminology
    note: str = ""

    @property
    def source(self) -> CtSource:
        return self.terminology.source


def choose(standard: str, named: str | None, root: str | Path | None,
           subset: Terminology | None) -> Choice | None:
    """The package for `standard`: the release named, else the imported release nearest to it,
    else (none named) the newest imported one, else the shipped subset (None without one)."""
    if named:
        found = load_package(standard, named, root)
        if found is not None:
            return Choice(standard, named, found)
    stored = imported(root, standard)
    label = CtSource(standard, named or "").publishing_set
    if stored:
        chosen = stored[-1] if not named else min(stored, key=lambda p: (_days_apart(p.version, named),
                                                                          p.version))
        package = load_package(standard, chosen.version, root)
        note = (f"{label} CT {named} is not imported; the nearest imported release, {chosen.version}, "
                f"is used" if named else "")
        return Choice(standard, named, package, note)
    if subset is None:
        return None
    wanted = (f"{label} CT {named} is named but not imported" if named
              else f"no {label} CT package is imported")
    return Choice(standard, named, subset,
                  f"{wanted}: using {subset.source.label}; values outside it cannot be checked. "
                  f"{how_to_import(standard, named)}")


# How NCI EVS names each package's file.
FILE_NAMES = {"sdtm": "SDTM", "adam": "ADaM", "define-xml": "Define-XML", "send": "SEND",
              "cdash": "CDASH", "protocol": "Protocol"}


def how_to_import(standard: str, version: str | None = None) -> str:
    name = f"{FILE_NAMES.get(standard, standard.upper())} Terminology"
    file = f"'{name} {version}.txt'" if version else f"'{name}.txt'"
    return f"Download {file} from NCI EVS ({NCI_EVS}) and run: clinforge ct import {file}"


def _days_apart(version: str, named: str) -> int:
    try:
        return abs((_dt.date.fromisoformat(version) - _dt.date.fromisoformat(named)).days)
    except ValueError:
        return 1 << 30


def require(standard: str, version: str, root: str | Path | None) -> Terminology:
    """An imported package that must be there (`--ct VERSION`): InputError naming what is."""
    found = load_package(standard, version, root)
    if found is None:
        have = ", ".join(p.version for p in imported(root, standard)) or "none"
        label = CtSource(standard, version).label
        raise InputError(f"{label} is not imported (imported {standard} releases: {have})",
                         file=str(store.store_root(root)), expected=how_to_import(standard, version))
    return found


def find_codelist(key: str, root: str | Path | None = None, *, standard: str | None = None,
                  version: str | None = None) -> tuple[Codelist, CtSource]:
    """A codelist of an imported package by short name, name or C-code: the newest release that
    has it (or release `version`). InputError naming the closest codelist when none has it."""
    stored = [p for p in imported(root, standard) if version is None or p.version == version]
    if not stored:
        what = f"{standard or 'CT'} release {version}" if version else "CDISC CT package"
        raise InputError(f"no {what} is imported", file=str(store.store_root(root)),
                         expected=how_to_import(standard or "sdtm", version))
    names: list[str] = []
    for package in sorted(stored, key=lambda p: p.version, reverse=True):
        terminology = load_package(package.standard, package.version, root)
        found = terminology.codelist(key)
        if found is not None:
            return found, terminology.source
        names += terminology.names()
    raise InputError(f"no codelist {key!r} in {', '.join(f'{p.standard} {p.version}' for p in stored)}"
                     f"{closest(key, names)}", expected="a short name (NY), name or C-code (C66742)")
