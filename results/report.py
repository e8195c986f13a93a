"""The study review report: tables of every analysis's results and the figures, as one document model
that `render_html` (self-contained report.html) and results.pdf (report.pdf) both lay out.

Tables are made from the ARD rows of each analysis, so the report shows exactly the results data.
A grouping with a single value in an analysis (the one arm of a single-arm study) is said above
the table rather than repeated in a column.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from results.compute import AnalysisResult, group_value
from results.figures import Picture
from specs.model import AnalysisPlan

# Where each analysis (by its dataset) and each figure (by its kind) is reported, in this order.
SECTIONS = ("Analysis populations", "Safety", "Cellular kinetics", "Efficacy", "Quality of life",
            "Cytokine response")
SECTION_OF_DATASET = {"ADSL": "Analysis populations", "ADAE": "Safety", "ADPP": "Cellular kinetics",
                      "ADPC": "Cellular kinetics", "ADRS": "Efficacy", "ADTTE": "Efficacy",
                      "ADTR": "Efficacy", "ADQS": "Quality of life", "ADLB": "Cytokine response"}
SECTION_OF_FIGURE = {"kaplan_meier": "Efficacy", "swimmer": "Efficacy", "waterfall": "Efficacy",
                     "spider": "Efficacy", "kinetics": "Cellular kinetics", "ae_heatmap": "Safety",
                     "qlq_trajectories": "Quality of life"}
NONE = "–"  # a cell with no result: no subject in that group


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    context: str  # the population, subset and single-valued groupings
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str
    labels: int = 0  # the first columns that name the group; the rest hold values


@dataclass(frozen=True)
class Section:
    title: str
    tables: tuple[Table, ...] = ()
    pictures: tuple[Picture, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    facts: tuple[tuple[str, str], ...]  # (label, value) shown under the title
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = field(default=())


def analysis_table(plan: AnalysisPlan, result: AnalysisResult) -> Table:
    """One analysis's results as a table: a row per group, a column per display of the method."""
    a, method, rows = result.analysis, result.method, result.rows
    groupings = [plan.grouping(g) for g in result.groupings]
    spread = next((g for g in groupings if g.id == a.columns), None)
    single = [g for g in groupings if g is not spread and rows[g.variable].nunique(dropna=False) == 1]
    keys = [g for g in groupings if g is not spread and g not in single]
    displays = [(header.format(**a.parameters), template) for header, template in method.display]
    cells = rows.assign(_key=rows[[g.variable for g in keys]].astype("string").agg(" | ".join, axis=1)
                        if keys else "")
    order = list(dict.fromkeys(cells["_key"]))
    spread_values = result.levels[spread.variable] if spread else [None]
    header = [g.name for g in keys]
    for value in spread_values:
        for title, _ in displays:
            named = f"{spread.name} {group_value(value)}" if spread else ""
            header.append(title if value is None else named if len(displays) == 1 else f"{named}: {title}")
    table_rows = []
    for key in order:
        mine = cells[cells["_key"] == key]
        first = mine.iloc[0]
        row = [group_value(first[g.variable]) for g in keys]
        for value in spread_values:
            found = mine if value is None else mine[mine[spread.variable] == value]
            formatted = dict(zip(found["operation"], found["formatted"], strict=True))
            for _, template in displays:
                row.append(template.format(**formatted) if formatted else NONE)
        table_rows.append(tuple(row))
    context = [f"Analysis set: {plan.analysis_set(a.analysis_set).name}"]
    if a.data_subset:
        context.append(f"Records: {plan.data_subset(a.data_subset).name}")
    context += [f"{g.name}: {group_value(rows[g.variable].iloc[0])}" for g in single if len(rows)]
    note = (f"Source: {a.dataset}.{a.variable}. Method: {method.label} ({method.name}). "
            f"Registered outcome: {a.outcome}.")
    if spread:
        note += f" Columns: {spread.name}; {NONE} none."
    return Table(a.id, a.name, "; ".join(context), tuple(header), tuple(table_rows), note, len(keys))


def build_report(plan: AnalysisPlan, title: str, facts: Sequence[tuple[str, str]],
                 results: Sequence[AnalysisResult], pictures: Sequence[tuple[str, Picture]],
                 notes: Sequence[str]) -> Report:
    """The report: per section the tables of its analyses, then its figures (kind, picture)."""
    tables: dict[str, list[Table]] = {s: [] for s in SECTIONS}
    for result in results:
        section = SECTION_OF_DATASET.get(result.analysis.dataset, "Efficacy")
        tables[section].append(analysis_table(plan, result))
    figures: dict[str, list[Picture]] = {s: [] for s in SECTIONS}
    for kind, picture in pictures:
        figures[SECTION_OF_FIGURE[kind]].append(picture)
    sections = tuple(Section(s, tuple(tables[s]), tuple(figures[s])) for s in SECTIONS
                     if tables[s] or figures[s])
    return Report(title, tuple(facts), sections, tuple(notes))


# --- HTML -------------------------------------------------------------------------------------------

STYLE = """
body { font: 14px/1.45 "DejaVu Sans", Arial, sans-serif; color: #1f2328; margin: 0 auto; max-width: 1100px;
       padding: 24px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { border-bottom: 2px solid #1f4e79; padding-bottom: 4px;
margin-top: 36px; } h3 { font-size: 15px; margin: 22px 0 4px; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0 16px; }
dl.facts dt { font-weight: bold; } dl.facts dd { margin: 0; }
nav ol { columns: 2; } .context { color: #57606a; margin: 0 0 6px; }
table { border-collapse: collapse; margin: 4px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #d0d7de; padding: 3px 10px; text-align: left; vertical-align: top; }
th { background: #f0f3f6; }
td.v { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
p.note { color: #57606a; font-size: 12px; margin: 4px 0 0; }
figure { margin: 18px 0; } figure img { max-width: 100%; border: 1px solid #d0d7de; }
figcaption { font-size: 13px; color: #3d444d; margin-top: 4px; } .id { color: #8c959f; font-weight: normal; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(report: Report) -> bytes:
    """The report as one HTML page: styles inline, figures as data URIs, no script, no external file."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{_e(report.title)}</title>", f"<style>{STYLE}</style></head><body>",
           f"<h1>{_e(report.title)}</h1>", '<dl class="facts">']
    out += [f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in report.facts]
    out.append("</dl><nav><ol>")
    out += [f'<li><a href="#s{i}">{_e(s.title)}</a></li>' for i, s in enumerate(report.sections, 1)]
    out.append("</ol></nav>")
    for i, section in enumerate(report.sections, 1):
        out.append(f'<section id="s{i}"><h2>{i}. {_e(section.title)}</h2>')
        for table in section.tables:
            out.append(_table_html(table))
        for picture in section.pictures:
            data = base64.b64encode(picture.png).decode("ascii")
            out.append(f'<figure id="{_e(picture.id)}"><h3>{_e(picture.title)} <span class="id">'
                       f'{_e(picture.id)}</span></h3><img alt="{_e(picture.title)}" '
                       f'src="data:image/png;base64,{data}"><figcaption>{_e(picture.caption)}</figcaption></figure>')
        out.append("</section>")
    out.append('<section id="methods"><h2>Methods and conventions</h2><ul>')
    out += [f"<li>{_e(note)}</li>" for note in report.notes]
    out.append("</ul></section></body></html>\n")
    return "\n".join(out).encode("utf-8")


def _table_html(table: Table) -> str:
    if not table.rows:
        return (f'<div class="table" id="{_e(table.id)}"><h3>{_e(table.title)} <span class="id">'
                f'{_e(table.id)}</span></h3><p class="context">{_e(table.context)}</p><p>No records.</p>'
                f'<p class="note">{_e(table.note)}</p></div>')
    head = "".join(f"<th>{_e(h)}</th>" for h in table.header)
    body = ["<tr>" + "".join(f'<td{" class=v" if j >= table.labels else ""}>{_e(c)}</td>'
                             for j, c in enumerate(row)) + "</tr>" for row in table.rows]
    return (f'<div class="table" id="{_e(table.id)}"><h3>{_e(table.title)} <span class="id">{_e(table.id)}'
            f'</span></h3><p class="context">{_e(table.context)}</p><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table><p class=\"note\">{_e(table.note)}</p></div>")
