"""`clinforge sdtm` on damaged copies of good raw EDC exports: refused, the place named, nothing written.

The good exports are `clinforge synth ovarian --subjects 5 --seed 1`; each case damages a copy.
Rows are data rows (file line = row + 1), as the messages count them.
"""

from __future__ import annotations

import pytest

from tests.bad_inputs.cli import (
    assert_refused,
    assert_usage_error,
    cell,
    copy_tree,
    drop_column,
    edit_rows,
    edit_text,
    invoke,
    remove,
    rename_column,
    snapshot,
    write_bytes,
)

LATIN1_TERM = "Érythème".encode("latin-1")


def _latin1_term(data: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[2] = lines[2].replace(b"Neutropenia", LATIN1_TERM, 1)
    return b"\n".join(lines)


def case(name: str, damage, says: tuple[str, ...], *marks):
    return pytest.param(damage, says, id=name, marks=marks)


def _duplicate_row(row: int):
    return lambda rows: [*rows, rows[row]]


def _same_key_other_term(rows):
    copy = list(rows[2])
    copy[rows[0].index("AETERM")] = "Headache"
    return [*rows, copy]


CASES = [
    # A required field's column is missing from the header.
    case("missing_required_column", drop_column("ae", "AETERM"),
         ("ae.csv", "AETERM", "required column is missing", "expected")),
    # A system field (the subject number) is missing from the header.
    case("missing_system_column", drop_column("dm", "SUBJID"), ("dm.csv", "SUBJID", "missing")),
    # A column the CRF library does not know (a typo of AETERM): the closest name is suggested.
    case("unknown_column", rename_column("ae", "AETERM", "AETRM"),
         ("ae.csv", "AETRM", "did you mean 'AETERM'")),
    # The same column twice in the header.
    case("duplicate_column", edit_text("ae", lambda t: t.replace("AEDECOD,AEBODSYS", "AEDECOD,AEDECOD", 1)),
         ("ae.csv", "AEDECOD", "more than once")),
    # A zero-byte file.
    case("empty_file", write_bytes("ae.csv", b""), ("ae.csv", "empty", "header row")),
    # Only blank lines.
    case("blank_lines_only", write_bytes("dm.csv", b"\n  \n\n"), ("dm.csv", "empty", "expected")),
    # Semicolon-separated (a European spreadsheet export).
    case("semicolon_delimiter", edit_text("ae", lambda t: t.replace(",", ";")),
         ("ae.csv", "semicolon", "comma")),
    # Tab-separated.
    case("tab_delimiter", edit_text("dm", lambda t: t.replace(",", "\t")), ("dm.csv", "tab", "comma")),
    # Latin-1 bytes (É as 0xC9, è as 0xE8) in a verbatim term: read as Windows-1252 (with a
    # warning), then refused for XPT v5, which holds ASCII only.
    case("latin1_bytes", write_bytes("ae.csv", _latin1_term),
         ("ae.csv", "row 2", "AETERM", "Érythème", "ASCII")),
    # A UTF-16 export (byte-order mark FF FE).
    case("utf16_file", write_bytes("dm.csv", lambda d: d.decode().encode("utf-16")),
         ("dm.csv", "not UTF-8", "0xFF")),
    # A compressed file saved under the .csv name.
    case("gzip_named_csv",
         write_bytes("visit.csv", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\x00" * 40),
         ("visit.csv", "not UTF-8")),
    # A data row with one field too many (an unquoted comma inside a value).
    case("row_with_extra_field",
         edit_text("ae", lambda t: t.replace("Neutropenia,", "Neutropenia,extra,", 1)),
         ("ae.csv", "row 2", "fields but the header has", "quoted")),
    # A quote opened and never closed: the rest of the file becomes one value.
    case("unclosed_quote", edit_text("ae", lambda t: t.replace("Neutropenia", '"Neutropenia', 1)),
         ("ae.csv", "fields but the header has")),
    # An impossible calendar date.
    case("impossible_date", cell("ae", 2, "AESTDAT", "31 FEB 2024"),
         ("ae.csv", "row 2", "AESTDAT", "'31 FEB 2024'", "DD MON YYYY")),
    # Day 32.
    case("day_32", cell("dm", 1, "BRTHDAT", "32 JAN 1970"), ("dm.csv", "row 1", "BRTHDAT", "'32 JAN 1970'")),
    # Month in mixed case.
    case("month_mixed_case", cell("ae", 3, "AEENDAT", "14 May 2024"),
         ("ae.csv", "row 3", "AEENDAT", "'14 May 2024'")),
    # ISO 8601 instead of the EDC's DD MON YYYY.
    case("iso_date", cell("infusion", 1, "INFDAT", "2023-05-26"),
         ("infusion.csv", "row 1", "INFDAT", "'2023-05-26'")),
    # A partial date with a known day but an unknown month.
    case("partial_day_without_month", cell("ae", 2, "AESTDAT", "14 UNK 2024"),
         ("ae.csv", "row 2", "AESTDAT", "'14 UNK 2024'", "UN for an unknown day")),
    # A partial date with the year unknown too (a wholly unknown date is left blank).
    case("partial_unknown_year", cell("cancer_history", 1, "MHSTDAT", "UN UNK UNKN"),
         ("cancer_history.csv", "row 1", "MHSTDAT", "'UN UNK UNKN'")),
    # A two-digit year.
    case("two_digit_year", cell("prior_therapy", 2, "PRSTDAT", "UN AUG 22"),
         ("prior_therapy.csv", "row 2", "PRSTDAT", "'UN AUG 22'")),
    # A time past 23:59.
    case("time_25_61", cell("ae", 1, "AESTTIM", "25:61"), ("ae.csv", "row 1", "AESTTIM", "'25:61'", "HH:MM")),
    # A time without the leading zero.
    case("time_one_digit_hour", cell("infusion", 2, "INFSTTIM", "9:30"),
         ("infusion.csv", "row 2", "INFSTTIM", "'9:30'", "HH:MM")),
    # A time with seconds (the EDC exports HH:MM).
    case("time_with_seconds", cell("lymphodepletion", 1, "EXSTTIM", "08:11:30"),
         ("lymphodepletion.csv", "row 1", "EXSTTIM", "'08:11:30'")),
    # Text in an integer field.
    case("text_in_integer_field", cell("dm", 2, "AGE", "sixty"),
         ("dm.csv", "row 2", "AGE", "'sixty'", "whole number")),
    # A decimal in an integer field.
    case("decimal_in_integer_field", cell("ae", 2, "AEGRADE", "2.5"),
         ("ae.csv", "row 2", "AEGRADE", "'2.5'")),
    # Text in a numeric field.
    case("text_in_float_field", cell("tumor", 2, "DIAM", "about 30"),
         ("tumor.csv", "row 2", "DIAM", "'about 30'", "a number")),
    # A decimal comma in a numeric field.
    case("decimal_comma", cell("lymphodepletion", 1, "EXDOSE", "42,3"),
         ("lymphodepletion.csv", "row 1", "EXDOSE", "'42,3'", "a number")),
    # RECNUM (a system field) that is not a whole number.
    case("recnum_not_integer", cell("visit", 3, "RECNUM", "one"), ("visit.csv", "row 3", "RECNUM", "'one'")),
    # An answer that is not on the EDC's list.
    case("unknown_choice", cell("dm", 1, "SEX", "F"), ("dm.csv", "row 1", "SEX", "'F'", "Female")),
    # An answer in the wrong case.
    case("choice_wrong_case", cell("ae", 2, "AESER", "yes"), ("ae.csv", "row 2", "AESER", "'yes'", "Yes")),
    # A required value left blank.
    case("required_value_blank", cell("ae", 4, "AETERM", ""),
         ("ae.csv", "row 4", "AETERM", "required value is blank")),
    # The subject number blank.
    case("subject_blank", cell("tumor", 5, "SUBJID", ""), ("tumor.csv", "row 5", "SUBJID", "blank")),
    # The same raw record twice (SUBJID, FOLDER, RECNUM): both rows are named.
    case("duplicate_record", edit_rows("ae", _duplicate_row(2)),
         ("ae.csv", "rows 2 and 31", "101-001", "RECNUM", "remove")),
    # Two different records under one key.
    case("duplicate_key_other_values", edit_rows("ae", _same_key_other_term),
         ("ae.csv", "rows 2 and 31", "same record")),
    # A subject with adverse events but no enrolment or demographics record.
    case("subject_not_enrolled", cell("ae", 2, "SUBJID", "999-001"),
         ("ae.csv", "row 2", "SUBJID", "'999-001'", "enrol")),
    # A subject in demographics who was never enrolled.
    case("demographics_without_enrolment", cell("dm", 3, "SUBJID", "104-777"),
         ("dm.csv", "row 3", "SUBJID", "'104-777'", "enrol")),
    # Data exported from another study.
    case("other_studyid", cell("response", 2, "STUDYID", "CART-CX-201"),
         ("response.csv", "row 2", "STUDYID", "'CART-CX-201'", "MESO-OV-101")),
    # A visit folder the study does not schedule.
    case("unknown_visit_folder", cell("visit", 4, "FOLDER", "WK99"),
         ("visit.csv", "row 4", "FOLDER", "'WK99'", "UNS")),
    # A form's export file is missing.
    case("missing_form_file", remove("ae.csv"), ("ae.csv", "no export file for form ae")),
    # A free-text unit that is not in the UNIT codelist the spec maps it to.
    case("unknown_ct_term", cell("qpcr", 4, "UNIT", "copies/uL"),
         ("qpcr.csv", "row 4", "UNIT", "'copies/uL'", "codelist UNIT")),
    # A tumour location not in the LOC codelist.
    case("unknown_location_term", cell("tumor", 1, "LESLOC", "ARMPIT"),
         ("tumor.csv", "row 1", "LESLOC", "'ARMPIT'", "codelist LOC")),
    # A grade that is a whole number but not a CTCAE grade.
    case("grade_not_in_codelist", cell("ae", 1, "AEGRADE", "7"), ("ae.csv", "row 1", "AEGRADE", "'7'")),
    # Non-ASCII text destined for a SAS XPT v5 file (which holds ASCII only): the raw record
    # (ae.csv row 2) is named as well as the SDTM row.
    case("non_ascii_for_xpt", cell("ae", 2, "AETERM", "Érythème noueux"),
         ("ae.csv", "row 2", "AETERM", "Érythème noueux", "ASCII")),
    # Text over 200 characters continues in SUPPAE (SDTMIG 4.5.3.2), but in at most 9 pieces
    # named with one digit: over 2,000 characters is refused.
    case("value_over_2000_characters", cell("ae", 2, "AETERM", "Neutropenia " + "x " * 1100),
         ("ae.csv", "row 2", "AETERM", "2000 characters")),
]


@pytest.mark.parametrize(("damage", "says"), CASES)
def test_damaged_raw_export_is_refused(tmp_path, good_raw, damage, says):
    raw = copy_tree(good_raw, tmp_path / "raw")
    damage(raw)
    out = tmp_path / "sdtm"
    result = invoke("sdtm", "ovarian", "--raw", raw, "--out", out)
    assert_refused(result, out, says, siblings={"raw"})


@pytest.mark.parametrize(("damage", "says"), [
    # Refused while reading (a bad date): the SDTM folder of the last good run stays as it was.
    (cell("ae", 2, "AESTDAT", "31 FEB 2024"), ("ae.csv", "AESTDAT")),
    # Refused while converting (a term outside the codelist).
    (cell("tumor", 1, "LESLOC", "ARMPIT"), ("tumor.csv", "LESLOC")),
    # Refused while writing XPT (non-ASCII text).
    (cell("ae", 2, "AETERM", "Érythème noueux"), ("AETERM",)),
], ids=["read", "convert", "write"])
def test_previous_output_is_kept(tmp_path, good_raw, good_sdtm, damage, says):
    raw = copy_tree(good_raw, tmp_path / "raw")
    damage(raw)
    out = copy_tree(good_sdtm, tmp_path / "sdtm")
    before = snapshot(out)
    result = invoke("sdtm", "ovarian", "--raw", raw, "--out", out)
    assert_refused(result, out, says, previous=before, siblings={"raw", "sdtm"})


def test_header_only_form_is_a_form_without_records(tmp_path, good_raw):
    # An AE export with only its header: a study may have no adverse events; SDTM is written
    # and AE, having no records, is left out (the FDA asks that empty datasets not be submitted).
    raw = copy_tree(good_raw, tmp_path / "raw")
    ae = raw / "ae.csv"
    ae.write_text(ae.read_text().splitlines()[0] + "\n")
    out = tmp_path / "sdtm"
    result = invoke("sdtm", "ovarian", "--raw", raw, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    written = {p.name for p in out.iterdir()}
    assert "dm.xpt" in written and "ae.xpt" not in written and "suppae.xpt" not in written


def test_text_not_utf8_is_named_in_a_warning(tmp_path, good_raw):
    # The default reads the Latin-1 term as Windows-1252 and says so before the XPT refusal.
    raw = copy_tree(good_raw, tmp_path / "raw")
    write_bytes("ae.csv", _latin1_term)(raw)
    result = invoke("sdtm", "ovarian", "--raw", raw, "--out", tmp_path / "sdtm")
    assert_refused(result, tmp_path / "sdtm", ("ASCII",))
    assert f"warning: {raw / 'ae.csv'}: AETERM row 2 is not UTF-8; read as Windows-1252: 'Érythème" \
        in result.output


def test_text_not_utf8_is_refused_by_strict_utf8(tmp_path, good_raw):
    raw = copy_tree(good_raw, tmp_path / "raw")
    write_bytes("ae.csv", _latin1_term)(raw)
    result = invoke("sdtm", "ovarian", "--raw", raw, "--out", tmp_path / "sdtm", "--encoding", "strict-utf-8")
    assert_refused(result, tmp_path / "sdtm",
                   ("ae.csv", "row 2", "column AETERM", "not valid UTF-8", "0xC9", "\\xc9ryth\\xe8me"))


def test_text_in_latin1_is_read_as_asked(tmp_path, good_raw):
    # Told the exports are Latin-1, sdtm reads the term without a warning; Dataset-JSON holds it.
    raw = copy_tree(good_raw, tmp_path / "raw")
    write_bytes("ae.csv", _latin1_term)(raw)
    out = tmp_path / "sdtm"
    result = invoke("sdtm", "ovarian", "--raw", raw, "--out", out, "--encoding", "latin-1",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    assert "Érythème" in (out / "ae.json").read_text(encoding="utf-8")


def test_unknown_encoding_is_a_usage_error(tmp_path, good_raw):
    result = invoke("sdtm", "ovarian", "--raw", good_raw, "--out", tmp_path / "sdtm", "--encoding", "klingon")
    assert_usage_error(result, "--encoding", "not an encoding Python knows")
    assert not (tmp_path / "sdtm").exists()
