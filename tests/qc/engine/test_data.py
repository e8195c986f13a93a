"""qc/engine/data.py: what a dataset is (domain, SUPP--, AP, split) and how names resolve."""

from __future__ import annotations

import pandas as pd
import pytest

from qc.engine.data import dataset_from_frame
from tests.qc.engine.build import submission


@pytest.mark.parametrize("name, frame, domain, wildcard, unsplit, is_ap", [
    ("LB", pd.DataFrame({"DOMAIN": ["LB"]}), "LB", "LB", "LB", False),
    # a split dataset is named by its domain when unsplit
    ("LBCH", pd.DataFrame({"DOMAIN": ["LB"]}), "LB", "LB", "LB", False),
    ("SUPPAE", pd.DataFrame({"RDOMAIN": ["AE"]}), "", "", "SUPPAE", False),
    # associated persons: -- stands for the domain they are about
    ("APEG", pd.DataFrame({"DOMAIN": ["APEG"], "APID": ["P1"]}), "APEG", "EG", "APEG", True),
    ("APSU", pd.DataFrame({"DOMAIN": ["APSU"]}), "APSU", "SU", "APSU", True),
    ("SQAPEG", pd.DataFrame({"RDOMAIN": ["APEG"]}), "", "", "SQAPEG", True),
])
def test_what_a_dataset_is(name, frame, domain, wildcard, unsplit, is_ap):
    dataset = dataset_from_frame(name, frame)
    assert (dataset.domain, dataset.wildcard, dataset.unsplit_name, dataset.is_ap) == (
        domain, wildcard, unsplit, is_ap)


def test_matching_a_pattern_finds_every_dataset_it_names():
    data = submission(SUPPAE=pd.DataFrame({"RDOMAIN": ["AE"]}), SUPPLB=pd.DataFrame({"RDOMAIN": ["LB"]}),
                      AE=pd.DataFrame({"DOMAIN": ["AE"]}))
    assert sorted(d.name for d in data.matching("SUPP--")) == ["SUPPAE", "SUPPLB"]
    assert [d.name for d in data.matching("AE")] == ["AE"]
