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


def usubjid(study: Study, subjid: str) -> str:
    return f"{study.studyid}-{subjid}"


def convert_some(study: Study, raw: dict[str, pd.DataFrame], *names: str) -> dict[str, pd.DataFrame]:
    """DM, SE (from DM), then `names` in order, as the engine would convert them."""
    from sdtm.engine import convert_domain
    from sdtm.trial_design import build_se

    done = {"DM": convert_domain(study, study.sdtm["DM"], raw)}
    done["SE"] = build_se(done["DM"], study)
    for name in names:
        done[name] = convert_domain(study, study.sdtm[name], raw, done)
    return done


# A treated subject: consent 1 MAR, lymphodepletion 10-12 MAR, infusion 15 MAR 2024 (Day 0).
TREATED = {
    "enrol": [{"SUBJID": "001", "ICDAT": "01 MAR 2024", "MARKER": "MESO"}],
    "dm": [{"SUBJID": "001", "BRTHDAT": "UN UNK 1970", "AGE": "53", "SEX": "Female", "RACE": "Asian",
            "ETHNIC": "Not Hispanic or Latino"}],
    "lymphodepletion": [
        {"SUBJID": "001", "FOLDER": f"LD{i}", "EXTRT": drug, "EXDOSE": dose, "EXDOSU": "mg/m2",
         "EXSTDAT": f"{9 + i:02d} MAR 2024", "EXSTTIM": "09:00", "EXENTIM": "09:30"}
        for i in (1, 2, 3) for drug, dose in (("Fludarabine", "30"), ("Cyclophosphamide", "500"))
    ],
    "infusion": [{"SUBJID": "001", "FOLDER": "D0", "CARTPROD": "Anti-MESO CAR-T cells",
                  "INFDAT": "15 MAR 2024", "INFSTTIM": "10:00", "INFENTIM": "10:30", "DOSE": "1",
                  "DOSEU": "10^6 cells/kg"}],
    "visit": [{"SUBJID": "001", "FOLDER": "SCRN", "VISDAT": "01 MAR 2024"},
              {"SUBJID": "001", "FOLDER": "D0", "VISDAT": "15 MAR 2024"},
              {"SUBJID": "001", "FOLDER": "D28", "VISDAT": "12 APR 2024"},
              {"SUBJID": "001", "FOLDER": "M2", "VISDAT": "14 MAY 2024"}],
}
