"""The WHO ICTRP's exports, read record by record: the weekly COVID-19 spreadsheet (XLSX,
through openpyxl), the portal's CSV, and its XML (``<Trials_downloaded_from_ICTRP>``).

A record that cannot be read is a problem naming its row (or ``<Trial>``) and the reason;
reading goes on. A file that is not an export at all, or breaks part-way, is one fatal
problem naming how many records were read before it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from msctrial.registry.formats import BadRecord
from msctrial.registry.ictrp import column_key, from_ictrp
from msctrial.registry.items import Item, fatal, problem
from msctrial.registry.limits import MAX_EXPORT_BYTES, env_cap
from msctrial.registry.model import SourceFormat
from msctrial.registry.safexml import BadXml, iterparse

HEADER_ROWS = 5  # the header is in the first rows (the spreadsheet has it in row 1)
MAX_FIELD = 10_000_000  # one cell; ICTRP's longest (criteria) are some tens of kB


# The bulk load's shortcut, as for ClinicalTrials.gov records: a row whose titles and
# intervention name no MSC, stromal, stem-cell, vesicle or secretome term cannot be an MSC trial.
_MAY_BE_MSC = re.compile(
    r"msc|mesenchymal|stromal|stem\s*cell|medicinal signal|exosom|vesicle|nanoparticle|secretome"
    r"|conditioned\s+medi|remestemcel|lomecel|nestacell|astrostem|间充质|干细胞|外泌体|囊泡",
    re.IGNORECASE,
)
_SCREENED = ("public_title", "scientific_title", "intervention")


def _item(
    name: str, n: int, row: dict[str, Any], fmt: SourceFormat, unit: str, prefilter: bool = False
) -> Item:
    where = f"{name}#{unit} {n}"
    if (
        prefilter
        and row.get("trialid")
        and not any(_MAY_BE_MSC.search(str(row.get(k) or "")) for k in _SCREENED)
    ):
        return Item(where, skipped=True)
    try:
        return Item(where, study=from_ictrp(row, fmt, f"{unit} {n}: "))
    except BadRecord as exc:
        return problem(where, str(exc))


def _keyed(header: list[Any], values: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    return {k: v for k, v in zip(header, values, strict=False) if k}


def read_xlsx(name: str, raw: bytes, prefilter: bool = False) -> Iterator[Item]:
    """Each row of the first sheet that has a ``TrialID`` column."""
    from openpyxl import load_workbook

    read = 0
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            declared = sum(i.file_size for i in z.infolist())
        cap = env_cap("EXPORT_BYTES", MAX_EXPORT_BYTES)
        if declared > cap:
            yield fatal(name, f"the workbook inflates to {declared:,} bytes, past {cap:,}")
            return
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header: list[str] | None = None
            for n, values in enumerate(rows, start=1):
                if header is None:
                    keys = [column_key(v) for v in values]
                    if "trialid" in keys:
                        header = keys
                    elif n >= HEADER_ROWS:
                        yield fatal(
                            name, "no TrialID column in the first rows: not an ICTRP export"
                        )
                        return
                    continue
                if not any(v not in (None, "") for v in values):
                    continue
                read += 1
                yield _item(name, n, _keyed(header, values), "ictrp_xlsx", "row", prefilter)
            if header is None:
                yield fatal(name, "no TrialID column: not an ICTRP export")
        finally:
            book.close()
    except Exception as exc:  # noqa: BLE001 - openpyxl and zipfile raise many kinds on damage
        yield fatal(name, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})", read)


def read_csv(name: str, raw: bytes, prefilter: bool = False) -> Iterator[Item]:
    """Each line of an ICTRP CSV export (comma, semicolon or tab separated)."""
    text = _decode(raw)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD)
    read = 0
    try:
        header = [column_key(v) for v in next(reader, [])]
        if "trialid" not in header:
            yield fatal(name, "no TrialID column in the first line: not an ICTRP export")
            return
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            n = reader.line_num
            read += 1
            yield _item(name, n, _keyed(header, values), "ictrp_csv", "line", prefilter)
    except csv.Error as exc:
        yield fatal(name, f"malformed CSV at line {reader.line_num}: {exc}", read)
    finally:
        csv.field_size_limit(limit)


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def read_xml(name: str, raw: bytes, prefilter: bool = False) -> Iterator[Item]:
    """Each ``<Trial>`` of the portal's XML export."""
    read = 0
    try:
        for _, el in iterparse(raw, ("end",)):
            if el.tag != "Trial":
                continue
            read += 1
            row: dict[str, Any] = {}
            for child in el:
                parts = [t.strip() for t in child.itertext() if t.strip()]
                row[column_key(child.tag)] = ";".join(parts) if parts else None
            yield _item(name, read, row, "ictrp_xml", "Trial", prefilter)
            el.clear()
    except BadXml as exc:
        yield fatal(name, f"{exc} (after {read} trials)", read)
        return
    if read == 0:
        yield fatal(name, "no <Trial> element: not an ICTRP XML export")
