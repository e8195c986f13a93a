"""Side by side: the CDISC CORE engine 0.17.1 and `clinforge validate`, same rules, same files.

Both run the 316 Published SDTMIG rules of cdisc-open-rules on the 18 CDISC pilot SDTM XPT files
(../shared/reference), each as one whole process (imports included), timed for wall and CPU time,
with the peak resident memory of its whole process tree and the machine's load average. Then the
findings are compared rule by rule and dataset by dataset.

CORE needs Python 3.12, so it gets its own venv under benchmarks/out/ (installed from the pinned,
hashed benchmarks/core-requirements.txt). The PyPI package holds the engine but not its CLI
(`core.py` and `scripts/` live only in the GitHub repository), so the CLI is copied from a
checkout of cdisc-org/cdisc-rules-engine (`--core-src`, a work tree or a bare git dir). CORE runs
offline: its cache (the pickles it reads from resources/cache) is built here from the SDTMIG 3.4
CSV export and the SDTM CT 2025-03-28 NCI EVS file. Nothing derived from the reference data is
committed; everything lands in benchmarks/out/.

    python benchmarks/bench_core.py                     # set up what is missing, run both, compare
    python benchmarks/bench_core.py --skip-core-run     # re-time clinforge, reuse CORE's report
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd
from run import TreeSampler  # benchmarks/ is on the path when this script runs

from qc.engine.library import vote_order

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
RULES = REFERENCE / "cdisc-open-rules" / "Published"
PILOT = REFERENCE / "cdisc-pilot01-sdtm"
SDTMIG = REFERENCE / "cdisc-standards" / "sdtmig-3.4"
CT_FILE = REFERENCE / "cdisc-ct" / "SDTM Terminology 2025-03-28.txt"
CT_PACKAGE = "sdtmct-2025-03-28"
REQUIREMENTS = ROOT / "benchmarks" / "core-requirements.txt"
DEFAULT_CORE_SRC = Path("/work/.mirror/cdisc-org+cdisc-rules-engine/repo")
# Model version the SDTMIG 3.4 links to; CORE looks the model up under this key.
MODEL_HREF = "/mdr/sdtm/2-0"
# What the CLI needs besides the package: the report templates are opened (relative to the cwd)
# even for JSON output, and some operations load the JSONata helpers.
CLI_FOLDERS = ("scripts", "resources/templates", "resources/jsonata")
GENERAL_OBSERVATION_CLASSES = ("Interventions", "Events", "Findings", "Findings About")


# ---------------------------------------------------------------------------------------------
# CORE: venv, CLI, cache, rules
# ---------------------------------------------------------------------------------------------

def python312() -> str:
    """The Python 3.12 interpreter pyenv installed (CORE requires >=3.12,<3.13)."""
    prefix = subprocess.run(["pyenv", "prefix", "3.12.1"], capture_output=True, text=True, check=True)
    return str(Path(prefix.stdout.strip()) / "bin" / "python")


def ensure_core_venv(out: Path) -> Path:
    """CORE's venv, created from the hashed requirements when missing; returns its python."""
    venv = out / "core-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([python312(), "-m", "venv", str(venv)], check=True)
        # --require-hashes: every wheel must match the hash committed in core-requirements.txt.
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--require-hashes", "--no-deps",
                        "-r", str(REQUIREMENTS)], check=True)
    return python


def ensure_core_cli(out: Path, core_src: Path) -> tuple[Path, str]:
    """core.py, scripts/ and resources/{templates,jsonata} from a cdisc-rules-engine checkout;
    returns the folder and the checkout's commit.

    Only the CLI files are copied: the engine itself is imported from the venv's 0.17.1 package,
    because the folder holds no cdisc_rules_engine/ to shadow it.
    """
    cli = out / "core-cli"
    commit_file = cli / "COMMIT"
    if (cli / "core.py").exists() and commit_file.exists():
        return cli, commit_file.read_text().strip()
    cli.mkdir(parents=True, exist_ok=True)
    if (core_src / "core.py").exists():  # a work tree
        shutil.copy2(core_src / "core.py", cli / "core.py")
        for folder in CLI_FOLDERS:
            shutil.copytree(core_src / folder, cli / folder, dirs_exist_ok=True)
        git = ["git", "-C", str(core_src)]
    else:  # a bare git dir, as `fetch` leaves it
        git = ["git", "--git-dir", str(core_src)]
        with tempfile.TemporaryFile() as archive:
            subprocess.run([*git, "archive", "HEAD", "core.py", *CLI_FOLDERS], stdout=archive, check=True)
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                tar.extractall(cli, filter="data")
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    commit_file.write_text(commit + "\n")
    return cli, commit


def _codelist_links(codes: str) -> dict:
    links = [{"href": f"/mdr/ct/packages/{CT_PACKAGE}/codelists/{c.strip()}"}
             for c in codes.split(";") if c.strip()]
    return {"codelist": links} if links else {}


def _library_variable(row: pd.Series, name: str, ordinal: int) -> dict:
    """One variable as the CDISC Library API gives it (the fields CORE reads)."""
    variable = {
        "ordinal": str(ordinal),
        "name": name,
        "label": row["Variable Label"],
        "description": row["CDISC Notes"],
        "role": row["Role"],
        "core": row["Core"],
        "simpleDatatype": row["Type"],
        "_links": _codelist_links(row["CDISC CT Codelist Code(s)"]),
    }
    if row["Described Value Domain(s)"]:
        variable["describedValueDomain"] = row["Described Value Domain(s)"]
    if row["Value List"]:
        variable["valueList"] = [v.strip() for v in row["Value List"].split(";")]
    return variable


def _sdtm_model(variables: pd.DataFrame, ig_classes: list[dict]) -> dict:
    """A stand-in for the SDTM v2.0 model, derived from the SDTMIG (no model export is at hand).

    CORE asks the model for the class variables of the four general observation classes
    (identifiers and timing under "General Observations", the rest under each class, with the
    domain prefix as "--") and requires every IG class to exist in the model. The real model
    lists variables no SDTMIG domain uses; this one knows only those some SDTMIG 3.4 domain has,
    and its order is a majority vote over the domains' orders, so CORE's results on rules about
    class variables and their order (CORE-000334, CORE-000852 ...) are only as good as this guess.
    """
    def generic(row: pd.Series) -> str:
        name, domain = row["Variable Name"], row["Dataset Name"]
        return "--" + name[len(domain):] if name.startswith(domain) and name != domain else name

    general = variables[variables["Class"].isin(GENERAL_OBSERVATION_CLASSES)].copy()
    general["generic"] = general.apply(generic, axis=1)
    general["order"] = general["Variable Order"].astype(int)
    general["section"] = general["Role"].isin(("Identifier", "Timing"))
    general = general.sort_values(["Dataset Name", "order"])

    def class_variables(rows: pd.DataFrame, exclude: set[str]) -> list[dict]:
        # The same majority vote over the domains' orders as clinforge's own library.
        sequences = [[n for n in g["generic"] if n not in exclude] for _, g in rows.groupby("Dataset Name")]
        first = {row["generic"]: row for _, row in rows[::-1].iterrows()}  # each name's first row
        ordered = vote_order(sequences)
        out = []
        for ordinal, name in enumerate(ordered, start=1):
            variable = _library_variable(first[name], name, ordinal)
            # Req/Exp/Perm is an IG notion: model class variables carry none (CORE then takes
            # Perm). Copying AE's "Exp" onto --LLT made CORE-000334 report DS, EX, MH and SC.
            del variable["core"]
            out.append(variable)
        return out

    shared = general["section"]
    classes = [{"name": "General Observations", "ordinal": "1",
                "classVariables": class_variables(general[shared], set())}]
    findings_names: set[str] = set()
    for ordinal, name in enumerate(GENERAL_OBSERVATION_CLASSES, start=2):
        rows = general[(general["Class"] == name) & ~shared]
        # Findings About adds only its own variables (--OBJ) to those of Findings.
        found = class_variables(rows, findings_names if name == "Findings About" else set())
        if name == "Findings":
            findings_names = {v["name"] for v in found}
        classes.append({"name": name, "ordinal": str(ordinal), "classVariables": found})
    for cls in ig_classes:
        if cls["name"] not in GENERAL_OBSERVATION_CLASSES:
            classes.append({"name": cls["name"], "ordinal": str(len(classes) + 1), "datasets": []})
    classes.append({"name": "Associated Persons", "ordinal": str(len(classes) + 1), "classVariables": []})
    return {"_links": {"self": {"href": MODEL_HREF}}, "name": "SDTM v2.0 (derived from SDTMIG 3.4)",
            "version": "2-0", "standard_type": "sdtm", "classes": classes, "datasets": []}


def _ct_package(path: Path) -> dict:
    """An NCI EVS tab-delimited CT file in the shape of CORE's CT package pickles."""
    table = pd.read_csv(path, sep="\t", dtype=str, encoding="utf-8", keep_default_na=False)

    def synonyms(text: str) -> list[str]:
        return [s.strip() for s in text.split(";") if s.strip()]

    codelists: dict[str, dict] = {}
    for row in table[table["Codelist Code"] == ""].itertuples(index=False):
        codelists[row[0]] = {
            "conceptId": row[0], "definition": row[6],
            "extensible": row[2].strip().lower() == "yes", "name": row[3],
            "preferredTerm": row[7], "submissionValue": row[4], "synonyms": synonyms(row[5]),
            "terms": [],
        }
    for row in table[table["Codelist Code"] != ""].itertuples(index=False):
        codelists[row[1]]["terms"].append({
            "conceptId": row[0], "definition": row[6], "preferredTerm": row[7],
            "submissionValue": row[4], "synonyms": synonyms(row[5]),
        })
    return {"package": CT_PACKAGE, "codelists": list(codelists.values())}


def build_core_cache(cache: Path) -> None:
    """The pickles CORE 0.17.1 reads for `-s sdtmig -v 3-4 -ct sdtmct-2025-03-28`, offline.

    Names, keys and shapes follow cdisc_rules_engine/services/cache/cache_populator_service.py and
    scripts/script_utils.get_library_metadata_from_cache: standards_details.pkl
    ("standards/sdtmig/3-4"), standards_models.pkl ("models/sdtm/2-0"),
    variables_metadata.pkl ("library_variables_metadata/sdtmig/3-4": dataset -> variable ->
    metadata), variable_codelist_maps.pkl ("sdtmig-3-4-codelists": variable -> C-codes) and one
    <package>.pkl per CT package. No rules.pkl: the rules come from --local-rules.
    """
    cache.mkdir(parents=True, exist_ok=True)
    datasets = pd.read_csv(SDTMIG / "Datasets.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    variables = pd.read_csv(SDTMIG / "Variables.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)

    classes: dict[str, dict] = {}
    by_dataset: dict[str, dict[str, dict]] = defaultdict(dict)
    codelists: dict[str, list[str]] = {"name": "sdtmig-3-4-codelists"}
    for ds in datasets.itertuples(index=False):
        cls = classes.setdefault(ds[1], {"name": ds[1], "ordinal": str(len(classes) + 1), "datasets": []})
        rows = variables[variables["Dataset Name"] == ds[2]]
        ds_variables = []
        for _, row in rows.iterrows():
            variable = _library_variable(row, row["Variable Name"], int(row["Variable Order"]))
            ds_variables.append(variable)
            by_dataset[ds[2]][row["Variable Name"]] = variable
            codes = [link["href"].rsplit("/", 1)[-1] for link in variable["_links"].get("codelist", [])]
            if codes:
                known = codelists.setdefault(row["Variable Name"], [])
                known += [c for c in codes if c not in known]
        cls["datasets"].append({"name": ds[2], "label": ds[3], "datasetStructure": ds[4],
                                "ordinal": str(len(cls["datasets"]) + 1), "datasetVariables": ds_variables})
    standard = {
        "_links": {"model": {"href": MODEL_HREF, "type": "Foundational Model"},
                   "self": {"href": "/mdr/sdtmig/3-4", "type": "Implementation Guide"}},
        "name": "SDTMIG v3.4", "version": "3.4", "label": "SDTMIG v3.4 (from the CSV export)",
        "classes": list(classes.values()), "dataset_names": set(datasets["Dataset Name"]),
    }
    model = _sdtm_model(variables, standard["classes"])
    for cls in model["classes"]:
        for variable in cls.get("classVariables", []):
            codes = [link["href"].rsplit("/", 1)[-1] for link in variable["_links"].get("codelist", [])]
            if codes:
                codelists.setdefault(variable["name"], codes)
    pickles = {
        "standards_details.pkl": {"standards/sdtmig/3-4": standard},
        "standards_models.pkl": {"models/sdtm/2-0": model},
        "variables_metadata.pkl": {"library_variables_metadata/sdtmig/3-4": dict(by_dataset)},
        "variable_codelist_maps.pkl": {"sdtmig-3-4-codelists": codelists},
        f"{CT_PACKAGE}.pkl": _ct_package(CT_FILE),
    }
    for name, content in pickles.items():
        with open(cache / name, "wb") as f:
            pickle.dump(content, f)


def collect_core_rules(folder: Path) -> int:
    """CORE's --local-rules reads a flat folder of rule files: one <CORE id>.yml per rule folder."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = 0
    for rule in sorted(RULES.glob("*/rule.yml")):
        shutil.copy2(rule, folder / f"{rule.parent.name}.yml")
        count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------

def load() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` shows them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> dict:
    """Run `command` as one process; wall and CPU (user+sys of it and its reaped children) time,
    the largest single-process RSS and the peak PSS summed over its process tree (run.py's
    sampler: CORE's pool workers share pages after the fork, which summed RSS would count twice)."""
    load_before = load()
    start = time.perf_counter()
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, **(env or {})})
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        sampler.stop()
    wall = time.perf_counter() - start
    return {
        "command": " ".join(command), "exit": os.waitstatus_to_exitcode(status), "wall_s": round(wall, 2),
        # ru_* of wait4 covers the process and the descendants it waited for (CORE's pool workers).
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "max_process_rss_mib": round(usage.ru_maxrss / 1024),
        "peak_tree_pss_mib": round(max(sampler.peak_kib, usage.ru_maxrss) / 1024),
        "load_before": load_before, "load_after": load(),
    }


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------

# A cell is one rule on one dataset: the findings, the distinct records they name, and a state
# ("ran", or why the engine did not run the rule there).
Cells = dict[tuple[str, str], dict]


def _cell(cells: Cells, rule: str, dataset: str) -> dict:
    return cells.setdefault((rule, dataset), {"findings": 0, "records": set(), "state": "ran"})


def core_findings(report: Path) -> tuple[Cells, dict[str, str]]:
    """CORE's JSON report as cells, and each rule's status (SUCCESS, ISSUE REPORTED, SKIPPED =
    no dataset the rule applies to, EXECUTION ERROR)."""
    data = json.loads(report.read_text())
    cells: Cells = {}
    for issue in data.get("Issue_Details", []):
        rule, dataset = issue["core_id"], (issue.get("dataset") or "").upper()
        message = issue.get("message") or ""
        cell = _cell(cells, rule, dataset)
        # Execution errors are reported as issues too, with the error in "values".
        if message.startswith("rule evaluation error"):
            cell["state"] = "error: " + str(issue.get("values", ""))[:200]
            continue
        cell["findings"] += 1
        cell["records"].add(issue.get("row"))
    status = {row["core_id"]: row.get("status", "") for row in data.get("Rules_Report", [])}
    return cells, status


def clinforge_findings(report: Path) -> tuple[Cells, dict[str, str]]:
    """clinforge's findings.json and the rules summary.json lists as not run, as cells."""
    cells: Cells = {}
    for finding in json.loads((report / "findings.json").read_text()):
        if finding.get("core_id"):
            cell = _cell(cells, finding["core_id"], (finding.get("dataset") or "").upper())
            cell["findings"] += 1
            cell["records"].add(finding.get("row"))
    status: dict[str, str] = {}
    for item in json.loads((report / "summary.json").read_text()).get("not_run", []):
        rule = item["core_id"]
        cell = _cell(cells, rule, (item.get("dataset") or "").upper())
        cell["state"] = "not run: " + item.get("reason", "")
        status[rule] = "not run on some dataset"
    return cells, status


def compare(core: tuple[Cells, dict], clin: tuple[Cells, dict], rules: list[str], path: Path) -> dict:
    """Each rule's cells side by side, as CSV; returns the rules grouped by outcome.

    A rule agrees when every dataset on which either engine reports something (or which CORE
    names in an execution error) has the same finding count from both; a CORE status of SKIPPED
    (no dataset in scope) and no clinforge finding agree as 0 = 0.
    """
    (core_cells, core_status), (clin_cells, _) = core, clin
    empty = {"findings": 0, "records": set(), "state": "ran"}
    rows, groups = [], defaultdict(list)
    for rule in rules:
        datasets = sorted({d for r, d in core_cells if r == rule} | {d for r, d in clin_cells if r == rule})
        outcome = "agree, no findings"
        for dataset in datasets:
            a, b = core_cells.get((rule, dataset), empty), clin_cells.get((rule, dataset), empty)
            same = a["findings"] == b["findings"]
            rows.append([rule, dataset, core_status.get(rule, "not loaded"), a["state"], a["findings"],
                         len(a["records"]), b["state"], b["findings"], len(b["records"]), same])
        cells = [(core_cells.get((rule, d), empty), clin_cells.get((rule, d), empty)) for d in datasets]
        if rule not in core_status:
            outcome = "CORE did not load it (not an SDTMIG 3.4 rule)"
        elif any(a["state"] != "ran" for a, _ in cells):
            outcome = "CORE execution error"
        elif any(a["findings"] != b["findings"] for a, b in cells if b["state"] == "ran"):
            outcome = "differ"
        elif any(a["findings"] for a, b in cells if b["state"] != "ran"):
            outcome = "CORE found, clinforge did not run it there"
        elif any(a["findings"] for a, _ in cells):
            outcome = "agree, with findings"
        elif core_status.get(rule) == "SKIPPED":
            outcome = "agree, no findings (CORE: no dataset in scope)"
        groups[outcome].append(rule)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["rule", "dataset", "core_status", "core_state", "core_findings", "core_records",
                         "clinforge_state", "clinforge_findings", "clinforge_records", "same_count"])
        writer.writerows(rows)
    per_rule = defaultdict(list)
    for row in rows:
        per_rule[row[0]].append(row[1:])
    return {"groups": dict(groups), "per_rule": dict(per_rule), "core_status": core_status}


# ---------------------------------------------------------------------------------------------

def clinforge_store(folder: Path) -> dict[str, str]:
    """The environment for clinforge processes that use a store holding the same SDTMIG 3.4 and
    CT 2025-03-28 as CORE's cache, imported from ../shared/reference on first use."""
    env = {"CLINFORGE_DATA": str(folder), "PYTHONPATH": str(ROOT)}
    if not (folder / "ig").exists():
        for command in (["standards", "import", str(SDTMIG)], ["ct", "import", str(CT_FILE)]):
            subprocess.run([sys.executable, "-m", "clinforge.cli", *command, "-q"],
                           env={**os.environ, **env}, check=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "core")
    parser.add_argument("--core-src", type=Path, default=DEFAULT_CORE_SRC,
                        help="checkout (work tree or bare git dir) of cdisc-org/cdisc-rules-engine")
    parser.add_argument("--pool-size", type=int, default=2,
                        help="CORE's worker processes and clinforge's --jobs (2 cores)")
    parser.add_argument("--core-encoding", default="cp1252",
                        help="CORE's --encoding; with utf-8 CORE fails on ts.xpt's 0x92 bytes")
    parser.add_argument("--skip-core-run", action="store_true", help="reuse the last CORE report")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    python = ensure_core_venv(out.parent)
    cli, commit = ensure_core_cli(out.parent, args.core_src)
    cache = out / "cache"
    build_core_cache(cache)  # about a second; always rebuilt so that it follows this code
    n_rules = collect_core_rules(out / "rules")
    rules = sorted(p.stem for p in (out / "rules").glob("*.yml"))
    clin = [sys.executable, "-m", "clinforge.cli"]
    env = clinforge_store(out / "clinforge-data")

    results: dict = {"core_cli_commit": commit, "rules": n_rules, "cpus": os.cpu_count()}
    core_report = out / "core-report"
    if args.skip_core_run and (out / "results.json").exists():  # keep the last CORE timing
        results["core"] = json.loads((out / "results.json").read_text()).get("core")
    # clinforge first: CORE's two busy cores would otherwise still show in the 1-minute load.
    report_dir = out / "clinforge-report"
    # clinforge runs its rules in as many processes as CORE's pool has workers (--jobs), and once
    # in a single process for comparison.
    base = [*clin, "validate", str(PILOT), "--rules", str(RULES), "--ct", "2025-03-28", "-q",
            "--jobs", str(args.pool_size)]
    results["clinforge_no_suites"] = timed([*base, "--no-suites", "--report", str(report_dir)], ROOT,
                                           out / "clinforge.log", env)
    print("clinforge --no-suites:", results["clinforge_no_suites"], flush=True)
    results["clinforge_one_process"] = timed(
        [*base[:-1], "1", "--no-suites", "--report", str(out / "clinforge-report-one")], ROOT,
        out / "clinforge-one.log", env)
    print("clinforge --no-suites --jobs 1:", results["clinforge_one_process"], flush=True)
    results["clinforge_default"] = timed([*base, "--report", str(out / "clinforge-report-suites")], ROOT,
                                         out / "clinforge-suites.log", env)
    print("clinforge (suites on):", results["clinforge_default"], flush=True)

    if not args.skip_core_run:
        core_cmd = [str(python), "core.py", "validate", "-s", "sdtmig", "-v", "3-4",
                    "-ct", CT_PACKAGE, "-d", str(PILOT), "-ca", str(cache), "-lr", str(out / "rules"),
                    "-of", "JSON", "-o", str(core_report), "-ps", str(args.pool_size), "-p", "disabled",
                    "-e", args.core_encoding]
        results["core"] = timed(core_cmd, cli, out / "core.log")
        print("CORE:", results["core"], flush=True)
    summary = compare(core_findings(core_report.with_suffix(".json")), clinforge_findings(report_dir),
                      rules, out / "comparison.csv")
    results["groups"] = {k: len(v) for k, v in summary["groups"].items()}
    cells = [c for rule_cells in summary["per_rule"].values() for c in rule_cells]
    results["findings_total"] = {"core": sum(c[3] for c in cells), "clinforge": sum(c[6] for c in cells)}
    # Rules clinforge left out on some dataset (a variable the rule needs is absent there).
    results["clinforge_not_run_on_some_dataset"] = sorted(
        rule for rule, rule_cells in summary["per_rule"].items() if any(c[5] != "ran" for c in rule_cells))
    if results.get("core"):
        for case in ("clinforge_no_suites", "clinforge_one_process", "clinforge_default"):
            results[f"ratio_{case}"] = round(results["core"]["wall_s"] / results[case]["wall_s"], 1)
    (out / "results.json").write_text(json.dumps({**results, **summary}, indent=1, default=str))
    print(json.dumps(results, indent=1))
    for group, members in sorted(summary["groups"].items()):
        print(f"\n{group}: {len(members)}")
        if not group.startswith("agree"):
            for rule in members:
                cells = summary["per_rule"].get(rule, [])
                detail = "; ".join(f"{c[0] or '-'} {c[3] if c[2] == 'ran' else c[2][:60]} vs "
                                   f"{c[6] if c[5] == 'ran' else c[5][:60]}"
                                   for c in cells if c[3] != c[6] or c[2] != "ran")
                print(f"  {rule}: {detail}")

if __name__ == "__main__":
    main()
