"""``msctrial report --pdf``: the same report printed to PDF, read back with pypdf."""

from __future__ import annotations

from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

SECTIONS = (
    "CONSORT flow", "Baseline characteristics", "Time to clinical improvement",
    "Biomarker trajectories by visit", "Adverse events", "How the endpoints are derived",
)  # fmt: skip


def _text(path: Path) -> str:
    reader = pypdf.PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_blinded_pdf_holds_every_section_and_no_arm(cli, sqlite_trial_db, tmp_path):
    result = cli("report", "--db", sqlite_trial_db, "--out", tmp_path / "r", "--pdf")
    assert result.code == 0, result.err
    assert (tmp_path / "r" / "index.html").is_file()
    text = _text(tmp_path / "r" / "report.pdf")
    for title in SECTIONS:
        assert title in text
    assert "Blinded report" in text
    assert "UC-MSC" not in text and "placebo" not in text.lower()


def test_the_dsmbs_pdf_names_the_arms(cli, sqlite_trial_db, tmp_path):
    from msctrial.demo.spine import demo_password

    result = cli("report", "--db", sqlite_trial_db, "--out", tmp_path / "u", "--pdf",
                 "--unblinded", "--user", "dsmb", "--password-stdin",
                 stdin=demo_password("dsmb") + "\n")  # fmt: skip
    assert result.code == 0, result.err
    text = _text(tmp_path / "u" / "report.pdf")
    assert "UNBLINDED" in text and "UC-MSC" in text and "Comparisons by arm" in text


def test_chinese_text_is_printed_with_a_cjk_font():
    """A site name or an adverse-event term in Chinese must not come out as empty boxes."""
    from msctrial.analysis.report_pdf import report_pdf

    pdf = report_pdf("<html><body><h1>统计报告</h1><p>武汉 发热</p></body></html>")
    reader = pypdf.PdfReader(__import__("io").BytesIO(pdf))
    assert "统计报告" in reader.pages[0].extract_text()
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("CJK" in name for name in fonts)
