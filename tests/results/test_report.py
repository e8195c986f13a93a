"""The study review report: tables laid out from the ARD, a self-contained page that a real browser
renders with every figure and no console error, and the PDF."""

import re
import subprocess
from pathlib import Path

import lxml.html
import pytest

from results.compute import compute_results
from results.plan import study_plan
from results.report import NONE, analysis_table

from ..define.test_html import BROWSER_FLAGS, chromium

# Put first in <head>: records script errors and console errors, and when the page has loaded
# each image's decoded size, as attributes the dumped DOM shows.
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e.type)), true);
const original = console.error;
console.error = (...args) => { window.__errors.push(args.join(' ')); original(...args); };
window.addEventListener('load', () => {
  document.body.setAttribute('data-errors', JSON.stringify(window.__errors));
  document.querySelectorAll('figure img').forEach(img =>
    img.setAttribute('data-size', img.naturalWidth + 'x' + img.naturalHeight));
});
</script>"""


@pytest.fixture(scope="module")
def report(package) -> Path:
    return package / "reports" / "results" / "report.html"


def test_tables_follow_the_groupings(study, adam):
    plan = study_plan(study)
    results = {r.analysis.id: r for r in compute_results(plan, adam)}
    worst = analysis_table(plan, results["AE-WORST"])
    # grades as columns in their order; the one arm said above the table, not in a column
    grades = [h for h in worst.header if h.startswith("Grade ")]
    assert grades == sorted(grades) and worst.header[0] == "Preferred term" and worst.labels == 1
    assert "Actual treatment: Flu/Cy lymphodepletion then anti-MESO CAR-T" in worst.context
    assert all(re.fullmatch(r"\d+ \(\d+\.\d\)|" + NONE, cell) for row in worst.rows for cell in row[1:])
    bor = analysis_table(plan, results["BOR"])
    assert [row[0] for row in bor.rows] == ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING"]
    pfs = analysis_table(plan, results["PFS"])
    assert pfs.header == ("N", "Events", "Censored", "Median (95% CI)", "365-day rate, % (95% CI)")


def test_page_is_self_contained(report):
    text = report.read_text()
    assert "<script" not in text and "http://" not in text and "https://" not in text
    page = lxml.html.fromstring(text)
    sources = page.xpath("//img/@src")
    assert len(sources) == 7 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert report.stat().st_size < 20 * 1024 * 1024


def test_browser_renders_every_figure_without_errors(report, tmp_path):
    probed = tmp_path / "report.html"
    probed.write_text(report.read_text().replace("<head>", "<head>" + PROBE, 1))
    result = subprocess.run(
        [chromium(), *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
         "--dump-dom", probed.as_uri()], capture_output=True, timeout=180, check=True)
    dom = lxml.html.fromstring(result.stdout)
    assert dom.xpath("//body/@data-errors") == ["[]"]
    figures = dom.xpath("//figure")
    assert len(figures) == 7
    for figure in figures:
        width, height = map(int, figure.xpath(".//img/@data-size")[0].split("x"))
        assert width > 300 and height > 200, figure.get("id")
        assert figure.xpath("string(.//figcaption)").strip()
    assert {f.get("id") for f in figures} == {"F-KM-PFS", "F-SWIMMER", "F-WATERFALL", "F-SPIDER",
                                              "F-KINETICS", "F-AE-HEATMAP", "F-QLQ"}


def test_pdf_is_dated_by_the_build(package):
    pdf = (package / "reports" / "results" / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"/CreationDate (D:19800101000000+00'00')" in pdf
    # one image per figure, each referring to its transparency mask (identical masks stored once)
    assert pdf.count(b"/SMask") == 7
