import pytest

from specs.errors import InputError
from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


@pytest.fixture(scope="module")
def study():
    return load_study("ovarian")


def ds_of(study, **rows):
    return convert_some(study, raw_forms(study, **(TREATED | rows)), "DS")["DS"]


def test_consent_and_death_as_disposition(study):
    ds = ds_of(study, disposition=[{"SUBJID": "001", "DSDECOD": "Death", "DSSTDAT": "02 SEP 2024"}],
               death=[{"SUBJID": "001", "DTHDAT": "02 SEP 2024"}])
    assert ds[["DSSEQ", "DSCAT", "DSDECOD", "DSTERM", "DSSTDTC", "EPOCH"]].values.tolist() == [
        # a protocol milestone is in no epoch (SDTMIG 3.4 DS, P21 SD1105)
        [1.0, "PROTOCOL MILESTONE", "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "2024-03-01",
         ""],
        # no specification collected: DSTERM is the status as collected
        [2.0, "DISPOSITION EVENT", "DEATH", "DEATH", "2024-09-02", "FOLLOW-UP"],
    ]
    assert ds["DSSTDY"].tolist() == [-14.0, 172.0]


def test_withdrawal_keeps_the_collected_specification(study):
    ds = ds_of(study, disposition=[{"SUBJID": "001", "DSDECOD": "Withdrawal by subject",
                                    "DSSTDAT": "UN JUN 2024", "DSTERM": "Moved abroad"}])
    last = ds.iloc[-1]
    assert (last["DSDECOD"], last["DSTERM"], last["DSSTDTC"], last["DSSTDY"] != last["DSSTDY"]) == (
        "WITHDRAWAL BY SUBJECT", "MOVED ABROAD", "2024-06", True)


def test_unknown_status_is_an_error(study):
    with pytest.raises(InputError, match="NCOMPLT"):
        ds_of(study, disposition=[{"SUBJID": "001", "DSDECOD": "Sponsor stopped", "DSSTDAT": "02 SEP 2024"}])
