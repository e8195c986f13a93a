"""Match Datasets: other datasets' records joined to the rows a check sees, as CORE joins them.

Four kinds, chosen by the entry (cdisc_rules_engine/utilities/dataset_preprocessor.py and
data_processor.py):
- a plain join on `Keys` (inner unless `Join Type: left`); the other dataset's columns that the
  check names as `NAME.VAR` keep that prefix, clashing ones get the suffix `.NAME`;
- `SUPP--` / `SUPPxx` (not Child): the qualifiers pivoted to one column per QNAM, joined to
  their parent records by IDVAR/IDVARVAL;
- `RELREC`: each record joined to the records RELREC relates it to, their columns named
  `RELREC.VAR` with the domain prefix replaced by `Wildcard` (`**` unless given) for variables
  of the SDTM model (AETERM → RELREC.**TERM);
- `Child: true`: a relationship dataset (SUPP--, CO, RELREC) gets the columns of the parent
  record that its RDOMAIN, IDVAR and IDVARVAL point at (none where there is no such record).

Keys are compared as text, whole numbers without decimals (IDVARVAL "1" finds LBSEQ 1.0).
Every join works on whole columns: one merge per join, or per distinct IDVAR or RELREC pair kind.
"""

from __future__ import annotations

import pandas as pd

from qc.engine.data import Dataset
from qc.engine.rule import expand, leaves
from qc.engine.table import NotRun, Table
from qc.engine.values import key_text

IDVARS = ("IDVAR", "IDVARVAL")
SUPP_STATIC_KEYS = ("STUDYID", "USUBJID", "APID", "POOLID", "SPDEVID")


def match_datasets(table: Table) -> pd.DataFrame:
    """The table's frame with every Match Datasets entry of its rule joined, in order."""
    frame = table.frame
    for match in table.rule.match_datasets:
        name = str(match.get("Name", ""))
        keys = list(match.get("Keys") or [])
        if match.get("Child"):
            frame = _child_join(table, frame, name, keys)
        elif name == table.dataset.unsplit_name:
            continue  # the dataset itself (CORE skips its split parts)
        elif name == "RELREC":
            frame = _relrec_join(table, frame, str(match.get("Wildcard", "**")))
        elif name.startswith(("SUPP", "SQ")):
            frame = _supp_join(table, frame, name)
        else:
            frame = _key_join(table, frame, name, keys, str(match.get("Join Type", "inner")).lower())
    return frame


def _others(table: Table, name: str) -> list[Dataset]:
    return [d for d in table.submission.by_domain(name) if d.name != table.dataset.name]


def _stacked(datasets: list[Dataset]) -> pd.DataFrame:
    frames = [d.frame for d in datasets]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _side(key: object, side: str, wildcard: str) -> str:
    if isinstance(key, dict):
        key = key.get(side) or key.get("left")
    return expand(str(key), wildcard)


def _require(frame: pd.DataFrame, columns: list[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise NotRun(f"{', '.join(missing)} not in {where} (to match datasets)")


def _keyed(frame: pd.DataFrame, columns: list[str], dataset: Dataset | None = None) -> pd.DataFrame:
    """Join keys as normalised text, one column `_k0`, `_k1` ... per key. When `frame` holds the
    records of `dataset` as they are, each key column is normalised once for every rule."""
    def key(column: str) -> pd.Series:
        if dataset is None:
            return key_text(frame[column])
        return dataset.memo(f"key {column}", lambda: key_text(dataset.frame[column]))

    return pd.DataFrame({f"_k{i}": key(c) for i, c in enumerate(columns)}, index=frame.index)


def _referenced(table: Table, name: str) -> set[str]:
    """Variables of dataset `name` that the check names as `NAME.VAR`."""
    names = set()
    for condition in leaves(table.rule.check):
        for value in (condition.get("name"), condition.get("value")):
            if isinstance(value, str) and value.startswith(f"{name}."):
                names.add(value.split(".", 1)[1])
    return names


def _named(table: Table) -> set[str] | None:
    """Every name the rule's check, output and grouping variables use (`--` expanded); None when
    it has Operations, whose results may name variables only the data tell."""
    rule = table.rule
    if rule.operations:
        return None
    names: set[str] = set()

    def collect(value: object) -> None:
        if isinstance(value, str):
            names.update((value, table.name(value)))
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    collect([rule.check, list(rule.output_variables), list(rule.grouping_variables or ())])
    return names


# --- plain joins ---------------------------------------------------------------------------------

def _key_join(table: Table, frame: pd.DataFrame, name: str, keys: list, how: str) -> pd.DataFrame:
    others = _others(table, name)
    wanted = _referenced(table, name)
    if not others:
        if wanted:  # the check compares with the other dataset's values, which are not there
            used = ", ".join(f"{name}.{v}" for v in sorted(wanted))
            raise NotRun(f"{name} is not in the submission (the check uses {used})")
        return frame
    other = _stacked(others)
    other = other.rename(columns={c: f"{name}.{c}" for c in other.columns if c in wanted})
    left = [_side(k, "left", table.wildcard) for k in keys]
    right = [_side(k, "right", others[0].wildcard) for k in keys]
    _require(frame, left, table.dataset.name)
    _require(other, right, name)
    named = _named(table)
    if named is not None:
        # Only the other dataset's columns the rule names: joining all of DM's to 10,000,000 LB
        # rows for one RFSTDTC cost gigabytes.
        other = other[[c for c in other.columns if c in right or c in named or f"{c}.{name}" in named]]
    own = table.dataset if frame is table.dataset.memoized("records") else None
    left_keys = _keyed(frame, left, own)
    right_keys = _keyed(other, right, others[0] if len(others) == 1 else None)
    if len(right) == 1 and not right_keys.iloc[:, 0].duplicated().any():
        return _lookup_join(frame, other, left_keys.iloc[:, 0], right_keys.iloc[:, 0], name, how)
    merged = pd.concat([frame, left_keys], axis=1).merge(
        pd.concat([other, right_keys], axis=1), how="left" if how == "left" else "inner",
        on=list(left_keys.columns), suffixes=("", f".{name}"))
    return merged.drop(columns=list(left_keys.columns)).reset_index(drop=True)


def _lookup_join(frame: pd.DataFrame, other: pd.DataFrame, left: pd.Series, right: pd.Series, name: str,
                 how: str) -> pd.DataFrame:
    """The join of `_key_join` when the other dataset has one record per key (DM by USUBJID):
    each row finds its record by position, which costs far less than a merge and gives the same
    rows in the same order."""
    positions = pd.Index(right.to_numpy()).get_indexer(left.to_numpy())
    found = positions >= 0
    if how != "left":
        frame, positions = frame[found], positions[found]
    # A position of -1 (no record, in a left join) is no label: a row of missing values, as merge gives.
    taken = other.reset_index(drop=True).reindex(positions).reset_index(drop=True)
    taken.columns = [c if c not in frame.columns else f"{c}.{name}" for c in taken.columns]
    return pd.concat([frame.reset_index(drop=True), taken], axis=1)


# --- supplemental qualifiers ---------------------------------------------------------------------

def _supp_join(table: Table, frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The SUPP-- records of the dataset's domain as one column per QNAM (value QVAL)."""
    dataset = table.dataset
    if name in ("SUPP--", "SQ--"):
        supps = [d for d in table.submission.datasets.values()
                 if d.is_supp and d.rdomain == dataset.domain and d.name.startswith(name[:-2])]
    else:
        supps = _others(table, name)
    if not supps or dataset.is_supp:
        return frame
    supp = _stacked(supps)
    _require(supp, ["QNAM", "QVAL", *IDVARS], name)
    static = [k for k in SUPP_STATIC_KEYS if k in frame.columns and k in supp.columns]
    idvar = key_text(supp["IDVAR"])
    for variable in idvar.unique():
        rows = supp[idvar == variable]
        keys = static + ([variable] if variable else [])
        if variable:
            _require(frame, [variable], dataset.name)
        wide = _pivot(rows, static)
        left = _keyed(frame, keys)
        right = wide.drop(columns=["IDVARVAL"]).assign(
            **{f"_k{i}": key_text(wide[k] if k != variable else wide["IDVARVAL"])
               for i, k in enumerate(keys)})
        right = right.drop(columns=[c for c in right.columns if c in frame.columns])
        frame = pd.concat([frame, left], axis=1).merge(right, on=list(left.columns), how="left")
        frame = frame.drop(columns=list(left.columns))
    return frame.reset_index(drop=True)


def _pivot(supp: pd.DataFrame, static: list[str]) -> pd.DataFrame:
    """One row per parent record (static keys, IDVARVAL), a column per QNAM holding its QVAL,
    and the other SUPP-- columns (QORIG, QEVAL ...) from the record's first qualifier."""
    keys = [*static, "IDVARVAL"]
    keyed = supp.assign(**{k: key_text(supp[k]) for k in keys})
    wide = keyed.pivot_table(index=keys, columns="QNAM", values="QVAL", aggfunc="first", sort=False)
    rest = [c for c in supp.columns if c not in (*keys, "QNAM", "QVAL", "QLABEL", "IDVAR")]
    first = keyed.drop_duplicates(keys).set_index(keys)[rest]
    return first.join(wide).reset_index()


# --- RELREC --------------------------------------------------------------------------------------

def _relrec_join(table: Table, frame: pd.DataFrame, wildcard: str) -> pd.DataFrame:
    """Each row joined to the records that RELREC relates to it; rows related to none drop out.

    A RELREC pair names a record on each side (IDVARVAL given: that record of the subject) or
    a whole dataset (IDVARVAL empty: records whose IDVAR values agree, e.g. --LNKID).
    """
    relrec = _others(table, "RELREC")
    domain = table.dataset.domain
    if not relrec or not domain:
        return frame
    pairs = _relrec_pairs(_stacked(relrec), domain)
    pieces = []
    kinds = ["RDOMAIN_RIGHT", "IDVAR_LEFT", "IDVAR_RIGHT", "_by_value"]
    for (right_domain, left_var, right_var, by_value), group in pairs.groupby(kinds, sort=False):
        others = table.submission.by_domain(right_domain)
        if not others or left_var not in frame.columns:
            continue
        other = _stacked(others)
        if right_var not in other.columns:
            continue
        names = _relrec_names(table, other.columns, right_domain, wildcard)
        pieces.append(_relrec_pieces(frame, other.rename(columns=names), group, left_var, names[right_var],
                                     by_value))
    if not pieces:
        return frame.iloc[0:0]
    return pd.concat(pieces, ignore_index=True)


def _relrec_pairs(relrec: pd.DataFrame, domain: str) -> pd.DataFrame:
    """RELREC records of `domain` (left) with the other records of their relationship (right)."""
    _require(relrec, ["STUDYID", "USUBJID", "RDOMAIN", "RELID", *IDVARS], "RELREC")
    keyed = pd.DataFrame({c: key_text(relrec[c]) for c in ("STUDYID", "USUBJID", "RDOMAIN", "RELID",
                                                            *IDVARS)})
    left = keyed[keyed["RDOMAIN"] == domain]
    right = keyed[keyed["RDOMAIN"] != domain]
    pairs = left.merge(right, on=["STUDYID", "USUBJID", "RELID"], suffixes=("_LEFT", "_RIGHT"))
    pairs["_by_value"] = (pairs["IDVARVAL_LEFT"] != "") & (pairs["IDVARVAL_RIGHT"] != "")
    return pairs


def _relrec_names(table: Table, columns, domain: str, wildcard: str) -> dict[str, str]:
    """RELREC.<name>, the domain prefix of SDTM model variables replaced by the wildcard."""
    model = table.submission.library.wildcard_variables if table.submission.library is not None else set()
    names = {}
    for column in columns:
        rest = column[len(domain):]
        general = column.startswith(domain) and f"--{rest}" in model
        names[column] = f"RELREC.{wildcard + rest if general else column}"
    return names


def _relrec_pieces(frame: pd.DataFrame, other: pd.DataFrame, pairs: pd.DataFrame, left_var: str,
                   right_var: str, by_value: bool) -> pd.DataFrame:
    """The rows of `frame` joined to the records of `other` that the pairs relate them to."""
    left = frame.assign(_subject=_column_text(frame, "USUBJID"), _study=_column_text(frame, "STUDYID"),
                        _value=key_text(frame[left_var]))
    right = other.assign(_subject=_column_text(other, "RELREC.USUBJID"),
                         _study=_column_text(other, "RELREC.STUDYID"), _value=key_text(other[right_var]))
    if by_value:
        # One record on each side: the pair's subject (when RELREC names one) and IDVAR value.
        chosen = pairs[["USUBJID", "IDVARVAL_LEFT", "IDVARVAL_RIGHT"]].drop_duplicates()
        chosen = chosen.assign(_pair=range(len(chosen)))
        with_left = _pick(left, chosen, "IDVARVAL_LEFT")
        with_right = _pick(right, chosen, "IDVARVAL_RIGHT")
        on = ["_pair", "_study", "_subject"]
    else:
        # Whole datasets: records of one subject whose IDVAR values agree.
        subjects = set(pairs["USUBJID"])
        with_left, with_right = left, right
        if "" not in subjects:
            with_left = left[left["_subject"].isin(subjects)]
            with_right = right[right["_subject"].isin(subjects)]
        on = ["_study", "_subject", "_value"]
    joined = with_left.merge(with_right.drop(columns=[c for c in with_right.columns
                                                      if c in with_left.columns and c not in on]),
                             on=on)
    return joined.drop(columns=[c for c in ("_pair", "_study", "_subject", "_value", "_value_r")
                                if c in joined.columns])


def _column_text(frame: pd.DataFrame, name: str) -> pd.Series | str:
    return key_text(frame[name]) if name in frame.columns else ""


def _pick(side: pd.DataFrame, chosen: pd.DataFrame, value: str) -> pd.DataFrame:
    """The records of `side` each pair names (its subject, when given, and IDVAR value)."""
    named = chosen[chosen["USUBJID"] != ""]
    anyone = chosen[chosen["USUBJID"] == ""]
    found = side.merge(named.rename(columns={"USUBJID": "_subject", value: "_value"})[
        ["_subject", "_value", "_pair"]], on=["_subject", "_value"])
    if len(anyone):
        found = pd.concat([found, side.merge(anyone.rename(columns={value: "_value"})[["_value", "_pair"]],
                                             on="_value")], ignore_index=True)
    return found


# --- relationship datasets joined to their parents ----------------------------------------------

def _child_join(table: Table, frame: pd.DataFrame, name: str, keys: list) -> pd.DataFrame:
    """Each record of a SUPP--, CO or RELREC dataset with the columns of its parent record.

    The parent is the record of the domain RDOMAIN names (a SUPP-- dataset's own RDOMAIN) with
    the same values of the other keys (USUBJID) whose IDVAR variable holds IDVARVAL; with no
    IDVAR, the first record with those key values. Columns the child already has keep its values.
    """
    dataset = table.dataset
    is_named = (name == dataset.name or name == dataset.domain
                or (dataset.is_supp and name in ("SUPP--", "SQAP--")))
    if not is_named or not all(c in frame.columns for c in IDVARS) or not ({*IDVARS} & set(map(str, keys))):
        return frame
    if dataset.is_supp:
        rdomain = pd.Series(dataset.rdomain, index=frame.index)
    elif "RDOMAIN" in frame.columns:
        rdomain = key_text(frame["RDOMAIN"])
    else:
        return frame
    standard = [str(k) for k in keys if str(k) not in IDVARS]
    _require(frame, standard, dataset.name)
    frame = frame.copy()
    idvar, idvarval = key_text(frame["IDVAR"]), key_text(frame["IDVARVAL"])
    for domain in [d for d in rdomain.unique() if d]:
        parents = table.submission.by_domain(domain)
        if not parents:
            continue
        parent = _stacked(parents).reset_index(drop=True)
        rows = rdomain == domain
        found = _parent_rows(parent, frame[rows], idvar[rows], idvarval[rows], standard)
        positions = found.fillna(-1).astype(int)
        for column in parent.columns:
            if column in table.frame.columns:
                continue
            values = parent[column].reindex(positions).to_numpy()  # -1 (no parent) gives NaN
            if column in frame.columns:
                frame.loc[rows, column] = values
            else:
                frame[column] = pd.Series(values, index=frame.index[rows])
    return frame


def _parent_rows(parent: pd.DataFrame, children: pd.DataFrame, idvar: pd.Series, idvarval: pd.Series,
                 standard: list[str]) -> pd.Series:
    """For each child row, the position of its parent record in `parent` (NA where none)."""
    if any(k not in parent.columns for k in standard):
        return pd.Series(pd.NA, index=children.index, dtype="Int64")
    keys = _keyed(children, standard)
    lookup = _keyed(parent, standard).assign(_row=range(len(parent)))
    found = pd.Series(pd.NA, index=children.index, dtype="Int64")
    for variable in idvar.unique():
        rows = idvar == variable
        if not variable:
            # No IDVAR: the first parent record of the same key values (the subject).
            first = lookup.drop_duplicates(list(keys.columns))
            merged = keys[rows].reset_index().merge(first, on=list(keys.columns), how="left")
        elif variable in parent.columns:
            by_value = lookup.assign(_value=key_text(parent[variable])).drop_duplicates(
                [*keys.columns, "_value"])
            merged = keys[rows].assign(_value=idvarval[rows]).reset_index().merge(
                by_value, on=[*keys.columns, "_value"], how="left")
        else:
            continue
        found[merged["index"].to_numpy()] = merged["_row"].astype("Int64").to_numpy()
    return found
