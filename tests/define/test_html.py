"""define/html.py: define.html from the CDISC stylesheet, checked in a real headless browser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest

from define.html import render_html, write_html
from define.writer import write_define

BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").is_file():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.fail("Chromium is not installed; `.ci/run` installs it (apt-get install -y chromium). "
                    "Install it the same way to run this test locally.")
    return found


def browser_dom(page: Path, profile: Path) -> lxml.html.HtmlElement:
    """The DOM as Chromium built it (after parsing and scripts), not the file's text."""
    result = subprocess.run(
        [chromium(), *BROWSER_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, timeout=180, check=True,
    )
    return lxml.html.fromstring(result.stdout)


def test_html_is_deterministic(study, data, tmp_path):
    xml = write_define(study, "sdtm", data["sdtm"], tmp_path / "define.xml")
    first = render_html(xml)
    assert first == render_html(xml)
    assert b"MINI-01" in first and first.lstrip().startswith(b"<!DOCTYPE html")


@pytest.mark.parametrize("kind", ["sdtm", "adam"])
def test_browser_renders_datasets_and_codelists(study, data, kind, tmp_path):
    xml = write_define(study, kind, data[kind], tmp_path / "define.xml")
    page = write_html(xml, tmp_path / "define.html")
    dom = browser_dom(page, tmp_path / "profile")
    specs = study.sdtm if kind == "sdtm" else study.adam
    # Each dataset has its table, with a row per variable it holds.
    for name, frame in data[kind].items():
        tables = dom.xpath(f"//table[@summary='ItemGroup IG.IG.{name}']")
        assert len(tables) == 1, name
        anchor = f"IG.{name}.IT.{name}."
        rows = tables[0].xpath(f".//tr/td[1]//span[starts-with(@id, '{anchor}')]/@id")
        variables = sorted(specs[name].variables, key=lambda v: v.order)
        assert rows == [anchor + v.name for v in variables if v.name in frame], name
    # The codelists section, with a table for each codelist written.
    assert dom.xpath("//span[@id='decodelist']") and dom.xpath("//h1[normalize-space()='CodeLists']")
    boxes = dom.xpath("//div[@class='codelist']")
    written = {f"CL.{o}" for o in lxml.etree.parse(str(xml)).xpath("//*[local-name()='CodeList']/@OID")}
    assert {box.get("id") for box in boxes} == written and len(written) >= 2
    assert all(box.xpath("./table//tr[td]") for box in boxes)
