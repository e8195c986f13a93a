"""RELREC: relationships between records of different domains, declared in a RELREC spec.

A RELREC spec has no sources; `parameters: {builder: relrec, needs: [TU, TR], relationships:
[...]}` lists the relationships. Each one is `{relid: ID, domains: [{domain: TU, idvar: TULNKID,
reltype: ONE}, {domain: TR, idvar: TRLNKID, reltype: MANY}]}`: a dataset-level relationship
(SDTMIG 3.4 section 8.3), one RELREC row per domain with USUBJID and IDVARVAL blank, written only
when every domain it names has records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sdtm.algorithms import Context, builder

COLUMNS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELTYPE", "RELID")


def derive_relrec(domains: Mapping[str, pd.DataFrame], relationships: Sequence[Mapping[str, Any]],
                  studyid: str) -> pd.DataFrame:
    """Dataset-level RELREC rows for the relationships whose domains all have records."""
    rows = [
        {"STUDYID": studyid, "RDOMAIN": d["domain"], "USUBJID": "", "IDVAR": d["idvar"],
         "IDVARVAL": "", "RELTYPE": d.get("reltype", ""), "RELID": r["relid"]}
        for r in relationships
        if all(len(domains.get(d["domain"], ())) for d in r["domains"])
        for d in r["domains"]
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype("str")


@builder("relrec", params={"relationships": "[{relid, domains: [{domain, idvar, reltype}, ...]}]: one "
                                            "dataset-level relationship each"},
         required=("relationships",))
def relrec(ctx: Context) -> pd.DataFrame:
    """Dataset-level RELREC rows (SDTMIG 3.4 section 8.3), one per domain of each relationship
    whose domains all have records; the domains must be converted before (`needs`)."""
    relationships = ctx.spec.parameters.get("relationships", ())
    for r in relationships:
        for d in r["domains"]:
            ctx.domain(d["domain"])  # a clear error when the spec forgot `needs`
    return derive_relrec(ctx.sdtm, relationships, ctx.study.studyid)
