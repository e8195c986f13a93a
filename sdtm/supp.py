"""SUPP-- datasets from the qualifiers a parent domain's spec declares under `supplemental:`.

The engine carries each qualifier's raw field (through its codelist when it has one) on the
parent rows as `_Q_<QNAM>`; `derive_supp` turns the non-blank ones into SUPP-- records keyed by
the parent's --SEQ (IDVAR/IDVARVAL), or by the subject alone for DM. The SUPP-- dataset specs
themselves are synthesised by the spec loader from the same qualifiers.

Text over 200 characters (SDTMIG 4.5.3.2, `specs.textsplit`): `split_long_text` keeps the first
piece in the variable (or qualifier) and carries the others as `_Q_<VAR>1`, `_Q_<VAR>2`, ...,
which `derive_supp` turns into SUPP-- records like any qualifier.
"""

from __future__ import annotations

import pandas as pd

from specs.errors import InputError
from specs.model import DatasetSpec, Qualifier
from specs.textsplit import (
    MAX_PIECES,
    TEXT_MAX,
    split_qualifier,
    split_qualifiers,
    splits_text,
    text_sources,
)

COLUMNS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL",
           "QORIG", "QEVAL")
KEYS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM")


# The longest start of fewer than TEXT_MAX characters that a space follows, and the text after the
# spaces; no match when no space falls within reach (the piece is then cut at TEXT_MAX). A piece cut
# between words is kept under 200 characters because a --TERM of exactly 200 is what Pinnacle 21's
# SD1096 takes for a truncated value (FDA business rule FDAB018), whatever SUPP-- holds.
_BETWEEN_WORDS = rf"(?s)^(.{{1,{TEXT_MAX - 1}}})\s+(.*)$"


def split_text(values: pd.Series) -> list[pd.Series]:
    """Pieces of at most TEXT_MAX characters of each value, cut between words where a space
    falls within reach: [first pieces, second pieces, ...], each indexed like `values`, ""
    where a value has no such piece."""
    pieces = []
    rest = values.astype("str")
    while True:
        long = rest.str.len() > TEXT_MAX
        if not long.any():
            pieces.append(rest)
            return pieces
        text = rest[long]
        cut = text.str.extract(_BETWEEN_WORDS)
        between_words = cut[0].notna()
        head = cut[0].str.rstrip().where(between_words, text.str.slice(0, TEXT_MAX))
        tail = cut[1].where(between_words, text.str.slice(TEXT_MAX))
        pieces.append(rest.mask(long, head))
        rest = pd.Series("", index=rest.index, dtype="str").mask(long, tail)


def split_long_text(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """SDTMIG 4.5.3.2: each Char variable and `_Q_` qualifier column of `frame` keeps its first
    TEXT_MAX characters; the rest goes into `_Q_<QNAM>` columns of the pieces (QNAM from
    `specs.textsplit.split_name`). Domains outside the convention come back unchanged."""
    if not splits_text(spec):
        return frame
    new = {}
    for column, source in _text_columns(spec):
        if column not in frame.columns or not (frame[column].astype("str").str.len() > TEXT_MAX).any():
            continue
        first, *rest = split_text(frame[column])
        if len(rest) > MAX_PIECES:
            _refuse_too_long(frame, spec, column, rest[MAX_PIECES] != "")
        new[column] = first
        for number, piece in enumerate(rest, start=1):
            new[f"_Q_{split_qualifier(source, number).qnam}"] = piece
    return frame.assign(**new)


def _text_columns(spec: DatasetSpec) -> list[tuple[str, Qualifier]]:
    """(column on the parent rows, what it holds) for each text that may be split."""
    declared = set(spec.supplemental)
    return [(f"_Q_{q.qnam}" if q in declared else q.qnam, q) for q in text_sources(spec)]


def _refuse_too_long(frame: pd.DataFrame, spec: DatasetSpec, column: str, over: pd.Series) -> None:
    at = frame.index[over.to_numpy()][0]
    limit = TEXT_MAX * (MAX_PIECES + 1)
    raise InputError(
        f"{spec.name}.{column.removeprefix('_Q_')}: text over {limit} characters; SDTMIG 4.5.3.2 "
        f"names its pieces with one digit",
        file=f"{frame.at[at, '_FORM']}.csv" if "_FORM" in frame.columns else None,
        row=int(frame.at[at, "_ROW"]) if "_ROW" in frame.columns else None,
        column=column.removeprefix("_Q_"), value=f"{str(frame.at[at, column])[:40]}...",
        expected=f"at most {limit} characters")


def _qualifiers(parent: pd.DataFrame, spec: DatasetSpec) -> list[Qualifier]:
    """The declared qualifiers, then the pieces of long text that `split_long_text` carried."""
    carried = [c.removeprefix("_Q_") for c in parent.columns if c.startswith("_Q_")]
    return [*spec.supplemental, *split_qualifiers(spec, carried)]


def derive_supp(parent: pd.DataFrame, spec: DatasetSpec, studyid: str) -> pd.DataFrame:
    """One SUPP-- record per parent row and qualifier with a value; trace columns kept."""
    idvar = "" if spec.name == "DM" else f"{spec.name[:2]}SEQ"
    qualifiers = _qualifiers(parent, spec)
    pieces = []
    for q in qualifiers:
        column = f"_Q_{q.qnam}"
        if column not in parent.columns:
            continue
        values = parent[column].astype("string").fillna("").str.strip()
        rows = parent[(values != "").to_numpy()]
        idvarval = (rows[idvar].map("{:.0f}".format).astype("string") if idvar
                    else pd.Series("", index=rows.index, dtype="string"))
        pieces.append(pd.DataFrame({
            "STUDYID": studyid, "RDOMAIN": spec.name, "USUBJID": rows["USUBJID"],
            "IDVAR": idvar, "IDVARVAL": idvarval, "QNAM": q.qnam, "QLABEL": q.qlabel,
            "QVAL": values[(values != "").to_numpy()], "QORIG": q.qorig, "QEVAL": q.qeval,
            **{c: rows[c] for c in ("_FORM", "_ROW", "_FOLDER") if c in rows.columns},
        }, index=rows.index))
    if not pieces:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in COLUMNS})
    out = pd.concat(pieces, ignore_index=True)
    order = {q.qnam: i for i, q in enumerate(qualifiers)}
    out = out.assign(_seq=pd.to_numeric(out["IDVARVAL"], errors="coerce"), _q=out["QNAM"].map(order))
    out = out.sort_values(["USUBJID", "_seq", "_q"], kind="stable").drop(columns=["_seq", "_q"])
    text = {c: out[c].astype("string").fillna("").astype("str") for c in COLUMNS}
    return pd.concat([pd.DataFrame(text), out.drop(columns=list(COLUMNS))], axis=1).reset_index(drop=True)
