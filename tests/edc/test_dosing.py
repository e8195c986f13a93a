"""Synth of a randomised study with repeated dosing (specs/studies/melanoma): arms by permuted
blocks, one dosing record per dose of the subject's own arm (edc.fields `dosing: true`, `from:`,
`after:`), nothing for subjects never treated, and the SDTM built from it right for every arm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edc.readers import read_raw
from edc.simulator import simulate
from edc.subjects import make_subjects
from edc.writer import write_raw
from sdtm.engine import convert
from specs.loader import dose_days, load_study

N = 120


@pytest.fixture(scope="module")
def melanoma():
    return load_study("melanoma")


@pytest.fixture(scope="module")
def frames(melanoma):
    return simulate(melanoma, N, seed=5)


@pytest.fixture(scope="module")
def sdtm(melanoma, frames, tmp_path_factory):
    folder = tmp_path_factory.mktemp("melanoma-raw")
    write_raw(frames, folder)
    return convert(melanoma, read_raw(folder, melanoma))


def test_arms_are_allocated_one_to_one_in_permuted_blocks(melanoma):
    arm = make_subjects(melanoma, 101, seed=3).arm
    counts = np.bincount(arm, minlength=2)
    assert abs(counts[0] - counts[1]) <= 1
    # every block of four holds two of each arm
    assert all(np.bincount(arm[i:i + 4], minlength=2).tolist() == [2, 2] for i in range(0, 100, 4))
    # not simply alternating: the order within blocks is drawn
    assert len({tuple(arm[i:i + 4]) for i in range(0, 100, 4)}) > 1


def test_single_arm_study_has_every_subject_in_its_arm():
    ovarian = load_study("ovarian")
    assert set(make_subjects(ovarian, 50, seed=3).arm.tolist()) == {0}


def test_randomisation_form_carries_the_arm_code(frames, melanoma):
    rand = frames["randomisation"]
    assert len(rand) == N and rand["SUBJID"].is_unique
    assert set(rand["RANDARM"]) == {a.armcd for a in melanoma.arms}


def test_one_dosing_record_per_dose_of_the_subjects_own_arm(frames, melanoma):
    dosing = frames["dosing"].merge(frames["randomisation"][["SUBJID", "RANDARM"]], on="SUBJID")
    drug = {"PD1": "Anti-PD-1 antibody", "DTIC": "Dacarbazine"}
    assert (dosing["EXTRT"] == dosing["RANDARM"].map(drug)).all()
    assert (dosing["EXDOSE"] == dosing["RANDARM"].map({"PD1": "200", "DTIC": "1000"})).all()
    assert (dosing["EXDOSU"] == dosing["RANDARM"].map({"PD1": "mg", "DTIC": "mg/m2"})).all()
    # doses only at the visits planned for a dose, at most one per visit, at most four per subject
    planned = {v.folder for v in melanoma.visits
               if v.day in dose_days(melanoma.treatments["arms"]["PD1"][0])}
    assert set(dosing["FOLDER"]) <= planned
    assert not dosing.duplicated(["SUBJID", "FOLDER"]).any()
    assert dosing.groupby("SUBJID").size().max() == 4
    # the end of an infusion is 30 to 65 minutes after its start, or not recorded
    timed = dosing[dosing["EXENTIM"] != ""]
    minutes = (pd.to_datetime(timed["EXENTIM"], format="%H:%M")
               - pd.to_datetime(timed["EXSTTIM"], format="%H:%M")).dt.total_seconds() / 60
    assert minutes.between(30, 65).all() and len(timed) < len(dosing)


def test_subjects_never_treated_have_no_dose_and_no_arm_in_sdtm(frames, sdtm):
    dosed = set(frames["dosing"]["SUBJID"])
    never = set(frames["randomisation"]["SUBJID"]) - dosed
    assert never, "the simulation should have subjects randomised but never treated"
    dm = sdtm["DM"].set_index("SUBJID")
    assert (dm.loc[sorted(never), "ACTARMCD"].fillna("") == "").all()
    assert (dm.loc[sorted(never), "ARMNRS"] == "ASSIGNED, NOT TREATED").all()
    assert (dm.loc[sorted(dosed), "ACTARMCD"] == dm.loc[sorted(dosed), "ARMCD"]).all()


def test_sdtm_ex_and_se_follow_each_subjects_arm(sdtm, melanoma):
    dm = sdtm["DM"].set_index("USUBJID")
    ex = sdtm["EX"].join(dm["ARMCD"], on="USUBJID")
    assert (ex["EXTRT"] == ex["ARMCD"].map({"PD1": "ANTI-PD-1 ANTIBODY", "DTIC": "DACARBAZINE"})).all()
    elements = {a.armcd: set(a.elements) for a in melanoma.arms}
    se = sdtm["SE"].join(dm["ARMCD"], on="USUBJID")
    assert all(etcd in elements[arm] for etcd, arm in zip(se["ETCD"], se["ARMCD"], strict=True))


def test_same_seed_gives_byte_identical_exports(melanoma, tmp_path):
    for name in ("a", "b"):
        write_raw(simulate(melanoma, 30, seed=8), tmp_path / name)
    first, second = ({p.name: p.read_bytes() for p in sorted((tmp_path / n).iterdir())} for n in ("a", "b"))
    assert first == second and set(first) == {f"{form}.csv" for form in melanoma.forms}
