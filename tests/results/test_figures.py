"""Every figure kind draws a picture of the same bytes for the same data, and summarises large data."""

import pandas as pd
import pytest

from results.figures import FIGURES, draw

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("kind", sorted(FIGURES))
def test_each_kind_draws_the_same_png_twice(kind, adam):
    subjects = adam["ADSL"][adam["ADSL"]["SAFFL"] == "Y"]
    title, caption, png = draw(kind, adam, subjects, "safety analysis set", {"analysis_set": "SAF"})
    assert png.startswith(PNG) and len(png) > 10_000
    assert title and "safety analysis set" in caption and "AD" in caption  # names its dataset
    assert draw(kind, adam, subjects, "safety analysis set", {})[2] == png


def test_swimmer_and_spider_say_which_subjects_they_show(adam):
    subjects = adam["ADSL"][adam["ADSL"]["SAFFL"] == "Y"]
    _, caption, _ = draw("swimmer", adam, subjects, "set", {"max_subjects": 5})
    assert f"the 5 of {len(subjects)} subjects with the longest follow-up" in caption
    _, caption, _ = draw("spider", adam, subjects, "set", {"max_subjects": 4})
    assert "4 of " in caption and "evenly spread" in caption


def test_figure_size_does_not_grow_with_the_subjects(adam):
    subjects = adam["ADSL"][adam["ADSL"]["SAFFL"] == "Y"]
    # the same subjects ten times over (new identifiers): the waterfall keeps its size
    many = {name: pd.concat([frame.assign(USUBJID=frame["USUBJID"] + f"-{i}") for i in range(10)])
            for name, frame in adam.items()}
    small = draw("waterfall", adam, subjects, "set", {})[2]
    large = draw("waterfall", many, many["ADSL"], "set", {})[2]
    assert len(large) < 3 * len(small)


def test_the_ae_heat_map_without_a_grading_scale_variable(adam):
    # A study graded by CTCAE alone has no ATOXSCL: `scale: null` draws it, no term marked ASTCT.
    subjects = adam["ADSL"][adam["ADSL"]["SAFFL"] == "Y"]
    frames = {**adam, "ADAE": adam["ADAE"].drop(columns="ATOXSCL")}
    _, caption, png = draw("ae_heatmap", frames, subjects, "set", {"scale": None})
    assert png.startswith(PNG) and "Every term is graded by NCI CTCAE." in caption
    _, caption, _ = draw("ae_heatmap", adam, subjects, "set", {})
    assert "Terms graded on the ASTCT 2019 scale are marked" in caption
    assert FIGURES["ae_heatmap"].variables({"scale": None})["ADAE"] == (
        "USUBJID", "AEDECOD", "ATOXGR", "ATOXGRN", "TRTEMFL")
