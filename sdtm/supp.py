"""SUPP-- datasets from the qualifiers a parent domain's spec declares under `supplemental:`.

The engine carries each qualifier's raw field (through its codelist when it has one) on the
parent rows as `_Q_<QNAM>`; `derive_supp` turns the non-blank ones into SUPP-- records keyed by
the parent's --SEQ (IDVAR/IDVARVAL), or by the subject alone for DM. The SUPP-- dataset specs
themselves are synthesised by the spec loader from the same qualifiers.
"""

from __future__ import annotations

import pandas as pd

from specs.model import DatasetSpec

COLUMNS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL",
           "QORIG", "QEVAL")
KEYS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM")


def derive_supp(parent: pd.DataFrame, spec: DatasetSpec, studyid: str) -> pd.DataFrame:
    """One SUPP-- record per parent row and qualifier with a value; trace columns kept."""
    idvar = "" if spec.name == "DM" else f"{spec.name[:2]}SEQ"
    pieces = []
    for q in spec.supplemental:
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
    order = {q.qnam: i for i, q in enumerate(spec.supplemental)}
    out = out.assign(_seq=pd.to_numeric(out["IDVARVAL"], errors="coerce"), _q=out["QNAM"].map(order))
    out = out.sort_values(["USUBJID", "_seq", "_q"], kind="stable").drop(columns=["_seq", "_q"])
    text = {c: out[c].astype("string").fillna("").astype("str") for c in COLUMNS}
    return pd.concat([pd.DataFrame(text), out.drop(columns=list(COLUMNS))], axis=1).reset_index(drop=True)
