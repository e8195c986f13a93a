"""A define.xml from outside: `define.reader.read_define` and `clinforge validate --define` refuse
documents with a DOCTYPE (XXE, entity expansion, external DTD), and say what is wrong with the rest."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from define.odm import DefineError
from define.reader import read_define
from tests.bad_inputs.cli import assert_refused, invoke

ODM_OPEN = '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1">'
BODY = ODM_OPEN + '<Study OID="S"><GlobalVariables><StudyName>{name}</StudyName></GlobalVariables>' \
                  '<MetaDataVersion OID="MDV"/></Study></ODM>'
PROLOGUE = '<?xml version="1.0" encoding="UTF-8"?>\n'
LAUGHS = "".join(
    f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' if i else '<!ENTITY l0 "lol">' for i in range(10))

DOCUMENTS = {
    # An external entity reading a local file (XXE).
    "xxe_file": PROLOGUE + '<!DOCTYPE ODM [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    + BODY.format(name="&x;"),
    # An external entity fetching a URL (server-side request).
    "xxe_network": PROLOGUE + '<!DOCTYPE ODM [<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">]>\n'
    + BODY.format(name="&x;"),
    # A parameter entity pulled into the DTD itself.
    "parameter_entity": PROLOGUE + '<!DOCTYPE ODM [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n'
    + BODY.format(name="x"),
    # Entities expanding to 10^10 characters ("billion laughs").
    "billion_laughs": PROLOGUE + f"<!DOCTYPE ODM [{LAUGHS}]>\n" + BODY.format(name="&l9;"),
    # An external DTD.
    "external_dtd": PROLOGUE + '<!DOCTYPE ODM SYSTEM "http://127.0.0.1:9/odm.dtd">\n' + BODY.format(name="x"),
    # A plain DOCTYPE with nothing in it: still refused, define.xml never needs one.
    "empty_doctype": PROLOGUE + "<!DOCTYPE ODM>\n" + BODY.format(name="x"),
}
UTF16 = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE ODM [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
         + BODY.format(name="&x;")).encode("utf-16")


def _write(tmp_path: Path, data: str | bytes) -> Path:
    path = tmp_path / "define.xml"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize("data", [*DOCUMENTS.values(), UTF16], ids=[*DOCUMENTS, "xxe_utf16"])
def test_read_define_refuses_a_doctype(tmp_path, data):
    path = _write(tmp_path, data)
    started = time.monotonic()
    with pytest.raises(DefineError) as error:
        read_define(path)
    message = str(error.value)
    assert str(path) in message and "DOCTYPE" in message
    assert "root:" not in message  # nothing of /etc/passwd
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("data", "says"), [
    # Cut short: not well-formed, with the line.
    (PROLOGUE + BODY.format(name="x")[:120], ("not well-formed XML", "line")),
    # Well-formed XML that is not ODM.
    (PROLOGUE + "<html><body>define</body></html>", ("not a Define-XML document", "'html'")),
    # ODM without the metadata.
    (PROLOGUE + ODM_OPEN + '<Study OID="S"/></ODM>', ("no Study/MetaDataVersion",)),
    # Not XML at all.
    ("dataset,variable\nDM,USUBJID\n", ("not well-formed XML",)),
], ids=["truncated", "not_odm", "no_metadata", "csv"])
def test_read_define_names_what_is_wrong(tmp_path, data, says):
    path = _write(tmp_path, data)
    with pytest.raises(DefineError) as error:
        read_define(path)
    assert all(s in str(error.value) for s in (str(path), *says)), str(error.value)


@pytest.mark.parametrize(("data", "says"), [
    (DOCUMENTS["xxe_file"], ("DOCTYPE", "XXE")),
    (DOCUMENTS["billion_laughs"], ("DOCTYPE", "entity expansion")),
    (DOCUMENTS["external_dtd"], ("DOCTYPE",)),
    (PROLOGUE + BODY.format(name="x")[:120], ("not well-formed XML",)),
], ids=["xxe", "billion_laughs", "external_dtd", "truncated"])
def test_validate_refuses_a_bad_define(tmp_path, good_sdtm, data, says):
    # `clinforge validate --define`: refused, no report folder left behind.
    path = _write(tmp_path, data)
    report = tmp_path / "reports"
    result = invoke("validate", good_sdtm, "--define", path, "--report", report)
    message = assert_refused(result, report, (str(path), *says), siblings={"define.xml"})
    assert "root:" not in message
