"""Simulated raw data shared by the edc tests (simulated once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

from edc.simulator import simulate
from specs import loader, schema
from specs.errors import SpecError
from specs.model import Arm, Element, Study, Visit

MODERATE = 1500


def study_for_edc(name: str) -> Study:
    """The study as load_study gives it; if a colleague's SDTM/ADaM spec of the study is broken,
    the same Study built from study.yaml and the CRF library alone (all the simulator reads), so
    these tests measure the edc package and not the state of other specs."""
    try:
        return loader.load_study(name)
    except SpecError:
        folder = loader.study_folder(name)
        meta = loader._validated(folder / "study.yaml", schema.STUDY_FILE)
        forms, _ = loader.load_crf_library()
        s = loader._plain(meta["study"])
        return Study(
            name=s["name"], studyid=s["studyid"], title=s["title"], sponsor=s["sponsor"], phase=s["phase"],
            indication=s["indication"], registry_id=s.get("registry_id", ""),
            planned_subjects=s["planned_subjects"], sites=tuple(s["sites"]), countries=tuple(s["countries"]),
            age_range=tuple(s.get("age_range", (18, 99))), sex_population=s.get("sex_population", "BOTH"),
            standards=dict(s["standards"]), forms={f: forms[f] for f in meta["forms"]},
            arms=tuple(Arm(a["armcd"], a["arm"], tuple(a["elements"])) for a in meta["arms"]),
            elements=tuple(Element(e["etcd"], e["element"], e["epoch"], e["start"], e["end"])
                           for e in meta["elements"]),
            visits=tuple(Visit(visitnum=v["visitnum"], visit=v["visit"], folder=v["folder"], day=v["day"],
                               window_before=v["window"][0], window_after=v["window"][1], epoch=v["epoch"],
                               activities=tuple(v.get("activities", ()))) for v in meta["visits"]),
            treatments=loader._plain(meta.get("treatments", {})), reference=dict(meta["reference"]),
            kinetics=loader._plain(meta.get("kinetics", {})), tumor=loader._plain(meta.get("tumor", {})),
            questionnaires=tuple(meta.get("questionnaires", ())),
            parameters=loader._plain(meta["parameters"]),
            codelists={}, sdtm={}, adam={}, folder=str(folder),
        )


@pytest.fixture(scope="session")
def ovarian():
    return study_for_edc("ovarian")


@pytest.fixture(scope="session")
def cervical():
    return study_for_edc("cervical")


@pytest.fixture(scope="session")
def raw_a(ovarian):
    return simulate(ovarian, MODERATE, seed=7)


@pytest.fixture(scope="session")
def raw_b(cervical):
    return simulate(cervical, 600, seed=11)


def edc_date(values: pd.Series) -> pd.Series:
    """EDC dates to datetimes; partial dates (UN/UNK) become NaT."""
    return pd.to_datetime(values.where(~values.str.startswith("UN"), None), format="%d %b %Y",
                          errors="coerce")


def infusion_dates(raw: dict[str, pd.DataFrame]) -> pd.Series:
    inf = raw["infusion"]
    return edc_date(inf["INFDAT"]).groupby(inf["SUBJID"]).min()
