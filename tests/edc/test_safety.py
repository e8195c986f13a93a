"""edc/safety.py: adverse events and early deaths drawn from the study's simulation file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edc.simulator import simulate
from specs.errors import SpecError
from specs.loader import SIMULATION, STUDIES, load_study


def _study(tmp_path: Path, simulation: str | None) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(STUDIES / "ovarian", folder)
    if simulation is not None:
        (folder / "own.yaml").write_text(simulation)
        with (folder / "study.yaml").open("a") as handle:
            handle.write("\nsimulation: own.yaml\n")
    return folder


def _without_crs() -> str:
    """The CAR-T file without CRS and ICANS, and with sepsis as the only early death."""
    text = (SIMULATION / "car-t.yaml").read_text()
    events, deaths = text.split("\nearly_deaths:\n")
    kept = [e for e in events.split("\n  - ") if "ASTCT" not in e]
    sepsis = next(d for d in deaths.split("\n  - ") if "Sepsis" in d)
    return "\n  - ".join(kept) + "\nearly_deaths:\n  - " + sepsis.removeprefix("  - ").replace("0.011", "0.2")


def test_the_shipped_studies_draw_from_the_car_t_file(ovarian):
    assert Path(ovarian.simulation) == SIMULATION / "car-t.yaml"
    ae = simulate(ovarian, 200, seed=1)["ae"]
    assert "Cytokine release syndrome" in set(ae["AEDECOD"])


def test_a_study_draws_from_its_own_file(tmp_path):
    study = load_study(_study(tmp_path, _without_crs()))
    frames = simulate(study, 200, seed=1)
    decods = set(frames["ae"]["AEDECOD"])
    assert decods and not decods & {"Cytokine release syndrome",
                                    "Immune effector cell-associated neurotoxicity syndrome"}
    # Deaths the disease did not cause are sepsis only, each with its fatal adverse event.
    causes = set(frames["death"]["DTHCAUS"])
    assert "Sepsis" in causes and not causes & {"Cytokine release syndrome", "Pulmonary embolism"}
    fatal = frames["ae"][frames["ae"]["AEOUT"] == "Fatal"]
    assert set(fatal["AEDECOD"]) == {"Sepsis"}


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("event: Cytokine release syndrome,", "event: Cytokine storm,"),
     "'Cytokine storm' is no adverse event of this file"),
    (lambda t: t.replace("verbatim: Sepsis, before", "before"),
     "an event of its own (`before`) also gives bodsys and verbatim"),
])
def test_a_broken_simulation_file_is_refused_at_its_line(tmp_path, edit, message):
    folder = _study(tmp_path, edit((SIMULATION / "car-t.yaml").read_text()))
    with pytest.raises(SpecError) as info:
        load_study(folder)
    found = [str(p) for p in info.value.problems]
    assert len(found) == 1 and message in found[0] and found[0].startswith(f"{folder / 'own.yaml'}:")


def test_an_unknown_simulation_is_refused_naming_the_library(tmp_path):
    folder = _study(tmp_path, None)
    with (folder / "study.yaml").open("a") as handle:
        handle.write("\nsimulation: car_t\n")
    with pytest.raises(SpecError) as info:
        load_study(folder)
    assert [p.message for p in info.value.problems] == [
        "simulation: 'car_t' is neither a file of the library (car-t, checkpoint-inhibitor; did you mean "
        "'car-t'?) nor a .yaml file beside study.yaml"]
