"""The statistical report as PDF: the same HTML page, laid out by WeasyPrint.

WeasyPrint renders the report's HTML and its inline SVG figures itself (no browser), through
Debian's Pango for text; Chinese text needs a CJK font (Debian's fonts-noto-cjk, which the
report's font list names after DejaVu Sans). The PDF is the page, not a second report: the
blinded one names no arm because the HTML it prints names none.
"""

from __future__ import annotations

from msctrial.core.errors import MsctrialError

# A4 pages; figures shrink to the text width instead of running off the page.
PRINT_CSS = """
@page { size: A4; margin: 1.6cm 1.4cm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { margin: 0; max-width: none; font-size: 9.5pt; }
figure svg { max-width: 100%; height: auto; }
table { font-size: 8pt; page-break-inside: avoid; }
h2, h3 { page-break-after: avoid; }
"""


def report_pdf(html: str) -> bytes:
    """The report page printed to PDF bytes."""
    try:
        import weasyprint
    except OSError as exc:  # Pango missing: WeasyPrint loads it when imported
        raise MsctrialError(
            f"pdf: WeasyPrint cannot load Pango ({exc}); install Debian's libpango-1.0-0 and "
            "libpangoft2-1.0-0, or leave out --pdf for the HTML report"
        ) from exc
    stylesheet = weasyprint.CSS(string=PRINT_CSS)
    pdf = weasyprint.HTML(string=html).write_pdf(stylesheets=[stylesheet])
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf
