"""`import odm` refuses what is not a valid, harmless ODM file: one error line, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from msctrial.core.errors import InvalidInput
from msctrial.exchange import read_odm

FOREIGN = Path(__file__).parent / "data" / "foreign_odm.xml"
GOOD = FOREIGN.read_text("utf-8")
PROLOGUE = '<?xml version="1.0" encoding="UTF-8"?>\n'
BODY = GOOD.split("-->", 1)[1]


def _with_doctype(doctype: str, text_item: str) -> str:
    """The test file with a DOCTYPE and an entity used in a Question's text."""
    body = BODY.replace(">Age in years<", f">{text_item}<")
    return f"{PROLOGUE}{doctype}{body}"


XXE = _with_doctype('<!DOCTYPE ODM [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n', "&secret;")
LAUGHS = _with_doctype(
    '<!DOCTYPE ODM [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n',
    "&d;",
)
NETWORK = _with_doctype('<!DOCTYPE ODM SYSTEM "http://127.0.0.1:9/odm.dtd">\n', "Age in years")

BAD = {
    "not XML": ("this is a CSV,not,xml\n", "not well-formed XML"),
    "not closed": (GOOD[: len(GOOD) // 2], "not well-formed XML"),
    "XSD-invalid": (GOOD.replace(' DataType="double"', ""), "not valid ODM 1.3.2"),
    "an unknown item data type": (
        GOOD.replace('DataType="double"', 'DataType="complex"'),
        "not valid ODM 1.3.2",
    ),
    "an external entity (XXE)": (XXE, "DOCTYPE"),
    "entity expansion": (LAUGHS, "DOCTYPE"),
    "a DTD on the network": (NETWORK, "DOCTYPE"),
    "another standard's XML": ('<?xml version="1.0"?><html><body/></html>', "not valid ODM"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_odm_is_refused_naming_the_file(case: str) -> None:
    text, words = BAD[case]
    with pytest.raises(InvalidInput) as caught:
        read_odm(text.encode("utf-8"))
    assert caught.value.field == "odm"
    assert words in str(caught.value)
    assert "root:" not in str(caught.value)  # /etc/passwd never read into the message


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_the_command_gives_one_error_line_exit_2_and_writes_nothing(
    cli, tmp_path: Path, case: str
) -> None:  # noqa: ANN001
    source = tmp_path / "in.xml"
    source.write_text(BAD[case][0], encoding="utf-8")
    out = tmp_path / "forms.yaml"
    result = cli("import", "odm", source, "--out", out)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: odm:")
    assert not out.exists() and list(tmp_path.iterdir()) == [source]
