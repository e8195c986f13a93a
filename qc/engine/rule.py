"""A conformance rule in the CDISC CORE format, read from its `rule.yml`.

The fields are CORE's (Authorities, Check, Core, Description, Match Datasets, Operations, Outcome,
Rule Type, Scope, Sensitivity, Grouping Variables). clinforge's own rules add two optional keys
that CORE ignores: `Severity` (error, warning or notice; CORE rules have none and count as
errors), `Publisher Ids` (the Pinnacle 21 validator ids the rule implements, `P21`, and the
published CORE rules that check the same, `CORE`) and `Variables Matching` (a regular expression
with named groups: the rule is run once per variable whose name matches, each `{group}` in its
check, operations, message, output and grouping variables standing for what the group matched,
for families such as *FL and *FN, TRTxxP and TRTxxPN).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from specs.errors import Problem, SpecError
from specs.yamlio import read_yaml

SEVERITIES = ("error", "warning", "notice")
ALL = "ALL"


@dataclass(frozen=True)
class Scope:
    """Which datasets a rule is for; empty include lists mean every dataset."""

    classes: tuple[str, ...] = ()
    classes_excluded: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    domains_excluded: tuple[str, ...] = ()
    structures: tuple[str, ...] = ()  # ADaM classes: SUBJECT LEVEL ANALYSIS DATASET, BASIC DATA STRUCTURE ...
    structures_excluded: tuple[str, ...] = ()
    subclasses: tuple[str, ...] = ()  # ADaM subclasses: TIME-TO-EVENT, NON-COMPARTMENTAL ANALYSIS ...
    subclasses_excluded: tuple[str, ...] = ()
    include_split: bool | None = None


@dataclass(frozen=True)
class Rule:
    id: str  # CORE-000055, AD0005, CF-AE-001 ...
    rule_type: str
    sensitivity: str
    check: Any  # the check tree as written: {all: [...]}, {any: [...]}, {not: {...}}, a leaf
    message: str
    description: str = ""
    scope: Scope = field(default_factory=Scope)
    operations: tuple[dict, ...] = ()
    match_datasets: tuple[dict, ...] = ()
    output_variables: tuple[str, ...] = ()
    grouping_variables: tuple[str, ...] = ()
    severity: str = "error"
    standards: tuple[tuple[str, str], ...] = ()  # (SDTMIG, 3.4) ...
    cdisc_ids: tuple[str, ...] = ()  # CG0628 ...
    fda_ids: tuple[str, ...] = ()  # FB0606 ...
    p21_ids: tuple[str, ...] = ()  # SD0009 ...
    core_ids: tuple[str, ...] = ()  # CORE-000022 ...: published CORE rules that check the same
    executability: str = ""
    path: str = ""  # the rule.yml it came from
    variables_matching: str = ""  # clinforge's: run once per variable whose name matches

    def for_match(self, groups: dict[str, str]) -> Rule:
        """The rule for one variable that `variables_matching` matched: `{group}` filled in."""
        def fill(value: Any) -> Any:
            if isinstance(value, str):
                for key, found in groups.items():
                    value = value.replace("{" + key + "}", found)
                return value
            if isinstance(value, list | tuple):
                return type(value)(fill(v) for v in value)
            if isinstance(value, dict):
                return {k: fill(v) for k, v in value.items()}
            return value

        return replace(self, check=fill(self.check), operations=fill(self.operations),
                       message=fill(self.message), output_variables=fill(self.output_variables),
                       grouping_variables=fill(self.grouping_variables), variables_matching="")

    @property
    def is_adam(self) -> bool:
        """An ADaM rule: its authorities cite the ADaMIG and no SDTM-family guide."""
        names = {name for name, _ in self.standards}
        return "ADAMIG" in names and not names & {"SDTMIG", "SENDIG", "TIG", "SDTM"}

    @property
    def is_define(self) -> bool:
        """A rule about a define.xml (its authority is Define-XML), run over define.xml's tables."""
        return any(name == "DEFINE-XML" for name, _ in self.standards)

    @property
    def folder(self) -> Path | None:
        return Path(self.path).parent if self.path else None

    def ids(self) -> dict[str, str]:
        """Every identifier the rule carries, by authority, for findings and reports."""
        out = {"rule": self.id}
        core = (self.id,) if self.id.startswith("CORE-") else self.core_ids
        for key, values in (("core", core), ("cdisc", self.cdisc_ids), ("fda", self.fda_ids),
                            ("p21", self.p21_ids)):
            if values:
                out[key] = ", ".join(values)
        return out


def load_rule(path: str | Path) -> Rule:
    """One rule.yml as a Rule; a malformed file raises SpecError naming the file and line."""
    source = Path(path)
    data = read_yaml(source)
    if not isinstance(data, dict):
        raise SpecError([Problem(str(source), 1, "a rule file holds a mapping (Core, Check, Outcome …)")])
    problems = [Problem(str(source), getattr(data, "line", 1), f"{key} is missing")
                for key in ("Core", "Check", "Rule Type") if key not in data]
    severity = str(data.get("Severity", "error")).lower()
    if severity not in SEVERITIES:
        problems.append(Problem(str(source), _line(data, "Severity"),
                                f"Severity {severity!r}: expected one of {', '.join(SEVERITIES)}"))
    if problems:
        raise SpecError(problems)
    core = data.get("Core") or {}
    outcome = data.get("Outcome") or {}
    authorities = data.get("Authorities") or []
    return Rule(
        id=str(core.get("Id") or source.parent.name),
        rule_type=str(data["Rule Type"]).split("#")[0].strip(),
        sensitivity=str(data.get("Sensitivity") or "Record").strip(),
        check=_plain(data["Check"]),
        message=str(outcome.get("Message") or data.get("Description") or "").strip(),
        description=str(data.get("Description") or "").strip(),
        scope=_scope(data.get("Scope") or {}),
        operations=tuple(_plain(op) for op in data.get("Operations") or ()),
        match_datasets=tuple(_plain(m) for m in data.get("Match Datasets") or ()),
        output_variables=tuple(str(v) for v in outcome.get("Output Variables") or ()),
        grouping_variables=tuple(str(v) for v in data.get("Grouping Variables") or ()),
        severity=severity,
        standards=tuple(_standards(authorities)),
        cdisc_ids=tuple(_authority_ids(authorities, "CDISC")),
        fda_ids=tuple(_authority_ids(authorities, "FDA")),
        p21_ids=tuple(str(v) for v in data.get("Publisher Ids", {}).get("P21", ()) or ()),
        core_ids=tuple(str(v) for v in data.get("Publisher Ids", {}).get("CORE", ()) or ()),
        executability=str(data.get("Executability") or ""),
        path=str(source),
        variables_matching=str(data.get("Variables Matching") or ""),
    )


def load_rules(paths: Iterable[str | Path]) -> list[Rule]:
    """Every rule under each path (a rule file, a folder of rule folders or of rule files), by id.

    All malformed files are reported together.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            # A folder of rule folders (cdisc-open-rules), else of rule files (CORE's local rules).
            found = sorted(path.rglob("rule.yml")) or sorted(p for p in path.rglob("*")
                                                            if p.suffix in (".yml", ".yaml"))
            if not found:
                raise SpecError([Problem(str(path), 0, "no rule files in this folder (rule.yml in rule "
                                                       "folders, or *.yml / *.yaml files)")])
            files += found
        else:
            raise SpecError([Problem(str(path), 0, "no such rule file or folder")])
    rules, problems = [], []
    for file in files:
        try:
            rules.append(load_rule(file))
        except SpecError as error:
            problems += error.problems
    if problems:
        raise SpecError(problems)
    return sorted(rules, key=lambda r: r.id)


def _scope(scope: dict) -> Scope:
    def names(part: str, key: str) -> tuple[str, ...]:
        return tuple(str(v).upper() for v in ((scope.get(part) or {}).get(key) or ()))

    domains = scope.get("Domains") or {}
    return Scope(
        classes=names("Classes", "Include"), classes_excluded=names("Classes", "Exclude"),
        domains=names("Domains", "Include"), domains_excluded=names("Domains", "Exclude"),
        structures=names("Data Structures", "Include"),
        structures_excluded=names("Data Structures", "Exclude"),
        subclasses=names("Subclasses", "Include"), subclasses_excluded=names("Subclasses", "Exclude"),
        include_split=domains.get("include_split_datasets"),
    )


def _standards(authorities: list) -> Iterable[tuple[str, str]]:
    for authority in authorities:
        for standard in authority.get("Standards") or ():
            yield str(standard.get("Name", "")).upper(), str(standard.get("Version", ""))


def _authority_ids(authorities: list, organisation: str) -> list[str]:
    found: list[str] = []
    for authority in authorities:
        if str(authority.get("Organization", "")).strip('"').upper() != organisation:
            continue
        for standard in authority.get("Standards") or ():
            for reference in standard.get("References") or ():
                rule_id = str((reference.get("Rule Identifier") or {}).get("Id", "")).strip()
                if rule_id and rule_id not in found:
                    found.append(rule_id)
    return found


def _plain(value: Any) -> Any:
    """The YAML tree as plain dicts, lists and scalars (the loader's line-tracking types dropped)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _line(data: Any, key: str) -> int:
    return getattr(data, "key_lines", {}).get(key, getattr(data, "line", 0))


def leaves(check: Any) -> Iterable[dict]:
    """Every operator condition of a check tree, in order."""
    if isinstance(check, list):
        for item in check:
            yield from leaves(item)
    elif isinstance(check, dict):
        branches = [k for k in ("all", "any", "not") if k in check]
        if branches:
            for key in branches:
                yield from leaves(check[key])
        else:
            yield check


def expand(value: Any, wildcard: str) -> Any:
    """A leading `--` in names and values replaced by the dataset's domain prefix (CORE's wildcard)."""
    if isinstance(value, str):
        return wildcard + value[2:] if value.startswith("--") else value
    if isinstance(value, list):
        return [expand(v, wildcard) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, wildcard) for k, v in value.items()}
    return value
