"""define.xml method text of the SDTM derivations, and the origins the loader infers for SDTM."""

from dataclasses import replace

import pandas as pd
import pytest

from sdtm import engine
from sdtm.algorithms import REGISTRY
from sdtm.methods import DESCRIBERS, methods, variable_method
from specs.loader import load_study, rule_origin
from specs.model import Rule, SourceBlock
from specs.textsplit import with_text_splits

engine.load_algorithms()


@pytest.fixture(scope="module", params=["ovarian", "cervical"])
def study(request):
    return load_study(request.param)


def test_every_registered_algorithm_has_a_describer():
    assert set(REGISTRY) == set(DESCRIBERS)


def test_every_derived_sdtm_variable_gets_a_method(study):
    found = methods(study)
    # Datasets built from the analysis (PP, RELREC) are described by their own specs.
    collected = [s for s in study.sdtm.values() if not s.parameters.get("from_analysis")]
    lacking = [(s.name, v.name) for s in collected for v in s.variables
               if v.origin == "Derived" and not v.method and (s.name, v.name) not in found]
    assert lacking == []
    # a spec's own method text is kept: none is replaced
    assert not [k for k in found if study.sdtm[k[0]].variable(k[1]).method]


def test_texts_carry_the_parameters(study):
    found = methods(study)
    # seq: its `by` and `order`; study day: the --DTC and the DM reference; no day 0
    assert found[("AE", "AESEQ")] == ("Sequence number of the record within USUBJID, in the order of "
                                      "AESTDTC, AEDECOD, AETERM and the raw record.")
    assert found[("AE", "AESTDY")].startswith("(date of AESTDTC - date of DM.RFSTDTC) + 1 when on or after")
    assert "no day 0" in found[("AE", "AESTDY")]
    assert "USUBJID and LBTESTCD" in found[("LB", "LBLOBXFL")] and "DM.RFXSTDTC" in found[("LB", "LBLOBXFL")]
    # a SUPP-- dataset says which --SEQ links it to its parent
    assert found[("SUPPAE", "IDVARVAL")] == "AESEQ of the AE record."


def test_supp_texts_name_the_pieces_of_long_text():
    # SDTMIG 4.5.3.2 pieces found in SUPPAE are described with the qualifiers the spec declares
    study = with_text_splits(load_study("ovarian"), {"SUPPAE": pd.DataFrame({"QNAM": ["AETERM1"]})})
    found = methods(study)
    assert "AETERM1 = AETERM continued, piece 1 (SDTMIG 4.5.3.2)" in found[("SUPPAE", "QNAM")]
    assert "cut between words" in found[("SUPPAE", "QVAL")]


def test_a_variable_from_two_forms_gets_a_sentence_per_form():
    study = load_study("ovarian")
    cm = study.sdtm["CM"]
    one = SourceBlock(form="prior_therapy", map={"CMSTRF": Rule("hardcode", None, {"value": "BEFORE"})})
    two = SourceBlock(form="subsequent_therapy", map={"CMSTRF": Rule("hardcode", None, {"value": "AFTER"})})
    text = variable_method(replace(cm, sources=(one, two)), "CMSTRF")
    assert text == 'From the prior_therapy form: "BEFORE". From the subsequent_therapy form: "AFTER".'
    # the same rule in both: one sentence
    text = variable_method(replace(cm, sources=(one, replace(one, form="subsequent_therapy"))), "CMSTRF")
    assert text == '"BEFORE".'


def test_nested_rules_are_described_inside_their_parent():
    cm = load_study("ovarian").sdtm["CM"]
    rule = Rule("condition", None, {"when": "PRENDAT == ''", "then": {"algorithm": "hardcode",
                                                                     "with": {"value": "BEFORE"}}})
    assert variable_method(replace(cm, sources=(SourceBlock("prior_therapy", {"CMENRF": rule}),)),
                           "CMENRF") == "Where PRENDAT == '': \"BEFORE\"; otherwise null."


def test_origins_inferred_for_sdtm():
    dm = load_study("ovarian").sdtm["DM"]
    origin = {v.name: v.origin for v in dm.variables}
    # STUDYID is the study.yaml identifier, DOMAIN a hardcoded code
    assert origin["STUDYID"] == "Protocol" and origin["DOMAIN"] == "Assigned"
    # per_subject of a collected field is Collected (the spec no longer says so by hand)
    assert origin["SEX"] == origin["BRTHDTC"] == origin["DTHDTC"] == "Collected"
    # a spec method means a derivation; the planned arm is the protocol's, the actual one derived
    assert origin["RFSTDTC"] == "Derived" and origin["ARM"] == "Protocol" and origin["ACTARM"] == "Derived"
    assert origin["AGEU"] == "Derived" and origin["COUNTRY"] == "Assigned"
    ta = load_study("ovarian").sdtm["TA"]
    assert {v.origin for v in ta.variables if v.name not in ("STUDYID", "DOMAIN")} == {"Protocol"}


def test_rule_origin_of_nested_rules():
    # combine or condition of collected rules only is Collected; anything else in them derives
    collected = {"algorithm": "iso8601", "with": {"date": "X"}}
    assert rule_origin(Rule("combine", None, {"rules": [collected, "Y"]})) == "Collected"
    assert rule_origin(Rule("combine", None, {"rules": [collected, {"algorithm": "seq"}]})) == "Derived"
    assert rule_origin(Rule("condition", None, {"when": "A == ''", "then": "B"})) == "Collected"
    assert rule_origin(Rule("condition", None, {"when": "A == ''",
                                                "then": {"algorithm": "hardcode"}})) == "Derived"
    assert rule_origin(Rule("per_subject", None, {"form": "dm", "rule": "AGE"})) == "Collected"
    assert rule_origin(Rule("hardcode")) == "Assigned" and rule_origin(Rule("visitdy")) == "Protocol"
