import pandas as pd

from sdtm.relrec import COLUMNS, derive_relrec

RELATION = [{"relid": "TUTR", "domains": [{"domain": "TU", "idvar": "TULNKID", "reltype": "ONE"},
                                          {"domain": "TR", "idvar": "TRLNKID", "reltype": "MANY"}]}]


def test_dataset_level_relationship_one_row_per_domain():
    domains = {"TU": pd.DataFrame({"USUBJID": ["A"]}), "TR": pd.DataFrame({"USUBJID": ["A", "A"]})}
    out = derive_relrec(domains, RELATION, "S")
    assert list(out.columns) == list(COLUMNS)
    assert out[["RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELTYPE", "RELID"]].values.tolist() == [
        ["TU", "", "TULNKID", "", "ONE", "TUTR"], ["TR", "", "TRLNKID", "", "MANY", "TUTR"]]


def test_relationship_left_out_when_a_domain_is_empty():
    domains = {"TU": pd.DataFrame({"USUBJID": ["A"]}), "TR": pd.DataFrame({"USUBJID": []})}
    assert len(derive_relrec(domains, RELATION, "S")) == 0
