"""edc.readers: one test per kind of bad input; each message names file, row, column and value."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from edc.readers import read_form, read_odm, read_raw
from edc.simulator import simulate
from edc.writer import write_raw
from specs.errors import InputError


@pytest.fixture(scope="module")
def exports(tmp_path_factory, cervical):
    folder = tmp_path_factory.mktemp("raw")
    write_raw(simulate(cervical, 6, seed=2), folder)
    return folder


@pytest.fixture()
def ae_lines(exports):
    return (exports / "ae.csv").read_text().splitlines()


def _write(tmp_path, lines, name="ae.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _replace(line: str, column: int, value: str) -> str:
    cells = next(csv.reader([line]))
    cells[column] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def _error(path, form) -> InputError:
    with pytest.raises(InputError) as caught:
        read_form(path, form)
    return caught.value


def test_missing_form_file(tmp_path, exports, cervical):
    # A collected form without its file: the error names the file.
    for p in exports.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "tumor.csv").unlink()
    with pytest.raises(InputError, match=r"tumor\.csv.*no export file for form tumor"):
        read_raw(tmp_path, cervical)


def test_form_not_collected_is_not_needed(exports, cervical):
    # Study B has no QLQ form: no qlq.csv needed; all its forms read.
    frames = read_raw(exports, cervical)
    assert set(frames) == set(cervical.forms) and "qlq" not in frames


def test_empty_file(tmp_path, cervical):
    path = tmp_path / "ae.csv"
    path.write_text("")
    error = _error(path, cervical.forms["ae"])
    assert "ae.csv" in str(error) and "empty" in str(error) and "AETERM" in str(error)


def test_header_only_gives_zero_rows(tmp_path, ae_lines, cervical):
    frame = read_form(_write(tmp_path, ae_lines[:1]), cervical.forms["ae"])
    assert len(frame) == 0 and list(frame.columns) == [*cervical.forms["ae"].field_names(), "_ROW"]


def test_missing_required_column(tmp_path, ae_lines, cervical):
    i = ae_lines[0].split(",").index("AETERM")
    lines = [",".join(c for j, c in enumerate(line.split(",")) if j != i) for line in ae_lines]
    error = _error(_write(tmp_path, lines), cervical.forms["ae"])
    assert "ae.csv" in str(error) and "column AETERM" in str(error) and "missing" in str(error)


def test_unknown_column_names_the_closest(tmp_path, ae_lines, cervical):
    lines = [ae_lines[0].replace("AEGRADE", "AEGRAD"), *ae_lines[1:]]
    error = _error(_write(tmp_path, lines), cervical.forms["ae"])
    assert "column AEGRAD" in str(error) and "did you mean 'AEGRADE'" in str(error)


def test_wrong_delimiter(tmp_path, ae_lines, cervical):
    lines = [line.replace(",", ";") for line in ae_lines]
    error = _error(_write(tmp_path, lines), cervical.forms["ae"])
    assert "ae.csv" in str(error) and "semicolon-separated" in str(error) and "comma" in str(error)


def _with_bytes(tmp_path, ae_lines, column: str, raw: bytes):
    """ae.csv with `raw` (bytes that are not UTF-8) in `column` of data row 2."""
    i = ae_lines[0].split(",").index(column)
    lines = "\n".join([*ae_lines[:2], _replace(ae_lines[2], i, "@"), *ae_lines[3:]]).encode()
    path = tmp_path / "ae.csv"
    path.write_bytes(lines.replace(b"@", raw, 1) + b"\n")
    return path


def test_value_not_utf8_is_read_as_windows_1252_with_a_warning(tmp_path, ae_lines, cervical):
    # A Windows export: é as 0xE9, the apostrophe as 0x92, in one verbatim term of row 2.
    path = _with_bytes(tmp_path, ae_lines, "AETERM", b"Caf\xe9 au lait spots\x92")
    warned = []
    frame = read_form(path, cervical.forms["ae"], warn=warned.append)
    assert frame["AETERM"].iloc[1] == "Café au lait spots’"
    assert warned == [f"{path}: AETERM row 2 is not UTF-8; read as Windows-1252: 'Café au lait spots’'"]
    # Given as Latin-1, it is read without a warning (0x92 is a C1 control there).
    frame = read_form(path, cervical.forms["ae"], encoding="latin-1", warn=warned.append)
    assert frame["AETERM"].iloc[1] == "Café au lait spots\x92" and len(warned) == 1


def test_value_not_utf8_is_refused_by_strict_utf8(tmp_path, ae_lines, cervical):
    path = _with_bytes(tmp_path, ae_lines, "AETERM", b"caf\xe9")
    with pytest.raises(InputError) as caught:
        read_form(path, cervical.forms["ae"], encoding="strict-utf-8")
    error = caught.value
    assert (error.file, error.row, error.column, error.value) == (str(path), 2, "AETERM", b"caf\xe9")
    assert "not valid UTF-8: byte 0xE9" in str(error)


def test_header_not_utf8_is_refused(tmp_path, ae_lines, cervical):
    # Field names are ASCII: a header that is not UTF-8 is no CSV export in any encoding.
    path = tmp_path / "ae.csv"
    path.write_bytes("\n".join(ae_lines).encode("utf-16"))
    error = _error(path, cervical.forms["ae"])
    assert "ae.csv" in str(error) and "not UTF-8" in str(error) and "0xFF" in str(error)


def test_wrong_number_of_fields(tmp_path, ae_lines, cervical):
    lines = list(ae_lines)
    lines[3] = lines[3] + ",extra"
    lines[4] = lines[4].rsplit(",", 2)[0]
    error = _error(_write(tmp_path, lines), cervical.forms["ae"])
    assert "row 3" in str(error) and "row 4" in str(error) and "fields but the header has" in str(error)
    assert error.row == 3


def test_value_not_in_choices(tmp_path, ae_lines, cervical):
    column = ae_lines[0].split(",").index("AESER")
    lines = [ae_lines[0], _replace(ae_lines[1], column, "Y"), *ae_lines[2:]]
    error = _error(_write(tmp_path, lines), cervical.forms["ae"])
    assert "ae.csv" in str(error) and "row 1" in str(error) and "column AESER" in str(error)
    assert "'Y'" in str(error) and "Yes, No" in str(error)
    assert (error.row, error.column, error.value) == (1, "AESER", "Y")


@pytest.mark.parametrize(("field", "bad", "hint"), [
    ("AESTDAT", "2024-05-14", "DD MON YYYY"),   # ISO instead of the EDC format
    ("AESTDAT", "31 FEB 2024", "DD MON YYYY"),  # no such day
    ("AESTDAT", "14 May 2024", "DD MON YYYY"),  # month not in capitals
    ("AESTTIM", "9:30", "HH:MM"),
    ("AESTTIM", "25:00", "HH:MM"),
])
def test_bad_date_or_time(tmp_path, ae_lines, cervical, field, bad, hint):
    column = ae_lines[0].split(",").index(field)
    lines = [ae_lines[0], ae_lines[1], _replace(ae_lines[2], column, bad), *ae_lines[3:]]
    error = _error(_write(tmp_path, lines), cervical.forms["ae"])
    assert f"row 2 (line 3), column {field}" in str(error) and repr(bad) in str(error) and hint in str(error)


def test_integer_and_float_not_numbers(tmp_path, exports, cervical):
    lines = (exports / "lymphodepletion.csv").read_text().splitlines()
    header = lines[0].split(",")
    lines[1] = _replace(lines[1], header.index("EXDOSE"), "46,7".replace(",", "."))  # fine
    lines[2] = _replace(lines[2], header.index("EXDOSE"), "about 40")
    lines[3] = _replace(lines[3], header.index("RECNUM"), "1.5")
    error = _error(_write(tmp_path, lines, "lymphodepletion.csv"), cervical.forms["lymphodepletion"])
    text = str(error)
    assert "lymphodepletion.csv" in text and "2 problems" in text
    assert "row 2 (line 3), column EXDOSE: not a valid float (value 'about 40'); expected a number" in text
    assert "row 3 (line 4), column RECNUM: not a valid integer (value '1.5'); expected a whole number" in text


def test_required_value_blank(tmp_path, ae_lines, cervical):
    column = ae_lines[0].split(",").index("AETERM")
    lines = [ae_lines[0], _replace(ae_lines[1], column, ""), *ae_lines[2:]]
    error = _error(_write(tmp_path, lines), cervical.forms["ae"])
    assert "row 1 (line 2), column AETERM: required value is blank" in str(error)


def test_all_problems_reported_first_twenty_shown(tmp_path, ae_lines, cervical):
    column = ae_lines[0].split(",").index("AEGRADE")
    lines = [ae_lines[0]] + [_replace(line, column, "high") for line in ae_lines[1:]] * 5
    error = _error(_write(tmp_path, lines), cervical.forms["ae"])
    total = 5 * (len(ae_lines) - 1)
    assert f"{total} problems" in str(error) and f"and {total - 20} more" in str(error)
    assert str(error).count("column AEGRADE") == 20


def test_problems_of_several_files_together(tmp_path, exports, cervical):
    for p in exports.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "tumor.csv").unlink()
    (tmp_path / "death.csv").write_text("")
    with pytest.raises(InputError, match="2 raw files have problems") as caught:
        read_raw(tmp_path, cervical)
    assert "tumor.csv" in str(caught.value) and "death.csv" in str(caught.value)


def test_repeated_record_names_both_rows(tmp_path, ae_lines, cervical):
    # The same (SUBJID, FOLDER, RECNUM) twice, even with identical values: refused, not dropped.
    lines = [*ae_lines, ae_lines[1]]
    error = _error(_write(tmp_path, lines), cervical.forms["ae"])
    assert f"rows 1 and {len(lines) - 1}" in str(error) and "same record" in str(error)


def test_rows_of_other_studies_folders_and_subjects(tmp_path, exports, cervical):
    # Across files: the study, the visit folder and the subject's enrolment are checked per row;
    # a subject without enrolment is reported once with its rows.
    for p in exports.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    tumor = (tmp_path / "tumor.csv").read_text().splitlines()
    header = next(csv.reader([tumor[0]]))
    subject = next(csv.reader([tumor[1]]))[header.index("SUBJID")]
    tumor = [tumor[0], *(line.replace(subject, "999-999") for line in tumor[1:])]
    tumor[2] = _replace(tumor[2], header.index("STUDYID"), "OTHER")
    tumor[3] = _replace(tumor[3], header.index("FOLDER"), "WEEK99")
    _write(tmp_path, tumor, "tumor.csv")
    with pytest.raises(InputError) as caught:
        read_raw(tmp_path, cervical)
    message = str(caught.value)
    assert "row 2 (line 3), column STUDYID" in message and "'CART-CX-201'" in message
    assert "row 3 (line 4), column FOLDER" in message and "'WEEK99'" in message
    rows = sum(subject in line for line in (exports / "tumor.csv").read_text().splitlines())
    assert message.count("'999-999'") == 1 and f"on {rows} rows" in message
    assert "enrol (enrolment and informed consent) or dm (demographics)" in message


def test_sas_transport_export(tmp_path, exports, cervical):
    # The same form as a SAS XPT file (dates as SAS dates, numbers as numbers) reads the same.
    import pyreadstat

    csv_frame = read_form(exports / "infusion.csv", cervical.forms["infusion"])
    sas = csv_frame.drop(columns="_ROW").copy()
    sas["INFDAT"] = pd.to_datetime(sas["INFDAT"], format="%d %b %Y").dt.date
    sas["RECNUM"] = sas["RECNUM"].astype(float)
    sas["DOSE"] = sas["DOSE"].astype(float)
    sas = sas.astype({c: object for c in sas.columns if c not in ("INFDAT", "RECNUM", "DOSE")})
    path = tmp_path / "infusion.xpt"
    pyreadstat.write_xport(sas, str(path), variable_format={"INFDAT": "DATE9."})
    got = read_form(path, cervical.forms["infusion"])
    expected = csv_frame.assign(DOSE=csv_frame["DOSE"].astype(float).map("{:g}".format))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_sas_transport_export_not_utf8(tmp_path, exports, cervical):
    # A SAS export's text is read by the encoding too: 0x92 in a value falls back to Windows-1252.
    import pyreadstat

    frame = read_form(exports / "ae.csv", cervical.forms["ae"]).drop(columns="_ROW")
    frame["AETERM"] = frame["AETERM"].where(frame.index != 2, "@" * 9)
    path = tmp_path / "ae.xpt"
    pyreadstat.write_xport(frame.astype(object), str(path))
    path.write_bytes(path.read_bytes().replace(b"@" * 9, b"Patient\x92s", 1))
    warned = []
    got = read_form(path, cervical.forms["ae"], warn=warned.append)
    assert got["AETERM"].iloc[2] == "Patient’s"
    assert warned == [f"{path}: AETERM row 3 is not UTF-8; read as Windows-1252: 'Patient’s'"]


ODM = """<?xml version="1.0" encoding="UTF-8"?>
{doctype}<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileOID="x" FileType="Snapshot" ODMVersion="1.3.2"
     CreationDateTime="2024-01-01T00:00:00">
  <ClinicalData StudyOID="CART-CX-201" MetaDataVersionOID="v1">
    <SubjectData SubjectKey="201-001">
      <SiteRef LocationOID="201"/>
      <StudyEventData StudyEventOID="SCRN">
        <FormData FormOID="F.ENROL">
          <ItemGroupData ItemGroupOID="IG.ENROL" ItemGroupRepeatKey="1">
            <ItemData ItemOID="IT.ICDAT" Value="2024-05-14"/>
            <ItemData ItemOID="IT.ENRLDAT" Value="2024-05"/>
            <ItemData ItemOID="IT.MARKER" Value="GD2;MESO"/>
          </ItemGroupData>
        </FormData>
      </StudyEventData>
    </SubjectData>
  </ClinicalData>
</ODM>
"""


def test_odm_clinical_data(tmp_path, cervical):
    path = tmp_path / "odm.xml"
    path.write_text(ODM.format(doctype=""))
    frames = read_odm(path, cervical)
    row = frames["enrol"].iloc[0]
    assert (row["SUBJID"], row["SITEID"], row["FOLDER"], row["RECNUM"]) == ("201-001", "201", "SCRN", "1")
    assert (row["ICDAT"], row["ENRLDAT"], row["MARKER"]) == ("14 MAY 2024", "UN MAY 2024", "GD2;MESO")
    assert len(frames["ae"]) == 0


def test_odm_with_doctype_is_refused(tmp_path, cervical):
    path = tmp_path / "odm.xml"
    path.write_text(ODM.format(doctype='<!DOCTYPE ODM [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'))
    with pytest.raises(InputError, match="DOCTYPE"):
        read_odm(path, cervical)


def test_values_are_checked_against_the_studys_own_answer_lists(tmp_path):
    # The walk-through study adds `Progressive disease` to DSDECOD (forms.yaml) and answer lists of
    # its own forms: the exports are checked against those, not only the CRF library's.
    import shutil
    from pathlib import Path

    from edc.readers import read_raw
    from specs.errors import InputError as Refused
    from specs.loader import load_study

    walk = Path(__file__).resolve().parents[1] / "clinforge" / "walkthrough"
    study = load_study(walk / "melanoma")
    frames = read_raw(walk / "raw", study)
    assert "Progressive disease" in set(frames["disposition"]["DSDECOD"])
    assert set(frames["dosing"]["EXTRT"]) == {"Anti-PD-1 antibody", "Dacarbazine"}
    raw = tmp_path / "raw"
    shutil.copytree(walk / "raw", raw)
    text = (raw / "dosing.csv").read_text().replace("Dacarbazine", "Cisplatin", 1)
    (raw / "dosing.csv").write_text(text)
    with pytest.raises(Refused) as error:
        read_raw(raw, study)
    message = str(error.value)
    assert "dosing.csv" in message and "EXTRT" in message and "'Cisplatin'" in message
    assert "one of Anti-PD-1 antibody, Dacarbazine" in message
