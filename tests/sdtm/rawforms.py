"""Small raw EDC tables for the SDTM tests: every field of a form, text, blank unless given."""

from __future__ import annotations

import pandas as pd

from specs.model import Study


def raw_forms(study: Study, **rows: list[dict]) -> dict[str, pd.DataFrame]:
    """One frame per study form, as `edc.readers.read_raw` gives it (text, "" blank, `_ROW`).

    Each row dict needs SUBJID; SITEID defaults to the study's first site and FOLDER to "".
    """
    out = {}
    for name, form in study.forms.items():
        records = rows.get(name, [])
        frame = pd.DataFrame(
            [{f: str(r.get(f, "")) for f in form.field_names()} for r in records],
            columns=list(form.field_names()),
        ).astype("str")
        frame["STUDYID"] = study.studyid
        if len(frame):
            frame["SITEID"] = [str(r.get("SITEID", study.sites[0])) for r in records]
            frame["RECNUM"] = [str(i + 1) for i in range(len(frame))]
        frame["_ROW"] = range(1, len(frame) + 1)
        out[name] = frame
    return out


def usubjid(study: Study, subjid: str, site: str | None = None) -> str:
    return f"{study.studyid}-{site or study.sites[0]}-{subjid}"
