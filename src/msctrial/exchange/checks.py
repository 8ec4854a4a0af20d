"""Each exported file checked by an independent reader, for the Exports page and the API.

ODM and Define-XML against CDISC's XSDs, a FHIR Bundle through ``fhir.resources``' R4 models,
XPT read back with pyreadstat, Parquet with pyarrow and CSV with Python's csv module (their row
counts against what the export wrote). A check names its validator, so a reader knows what a
"valid" means.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from msctrial.exchange.validate import fhir_errors, schema_errors


@dataclass(frozen=True)
class FileCheck:
    name: str
    ok: bool
    validator: str
    detail: str

    def __str__(self) -> str:
        return f"{self.name}: {'valid' if self.ok else 'INVALID'} ({self.validator}) {self.detail}"


def _errors(errors: list[str]) -> tuple[bool, str]:
    if not errors:
        return True, "no errors"
    return False, f"{len(errors)} errors; the first: {errors[0][:300]}"


def check_file(path: Path, kind: str) -> FileCheck:
    """``path`` read by the validator of its format (``kind`` is the export's: odm, fhir, ...)."""
    name, suffix = path.name, path.suffix.lower()
    try:
        if suffix == ".xml":
            which = "define-2.1" if name == "define.xml" else "odm-1.3.2"
            ok, detail = _errors(schema_errors(path.read_bytes(), which))
            label = "Define-XML 2.1 XSD" if which == "define-2.1" else "ODM 1.3.2 XSD"
            return FileCheck(name, ok, label, detail)
        if suffix == ".json" and kind == "fhir":
            ok, detail = _errors(fhir_errors(json.loads(path.read_text(encoding="utf-8"))))
            return FileCheck(name, ok, "fhir.resources R4B", detail)
        if suffix == ".xpt":
            from msctrial.exchange.xpt import read_xpt

            data, _ = read_xpt(path)
            return FileCheck(name, True, "pyreadstat", f"read back: {len(data)} rows")
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path).metadata
            return FileCheck(name, True, "pyarrow", f"read back: {meta.num_rows} rows")
        with path.open(newline="", encoding="utf-8") as handle:
            rows = sum(1 for _ in csv.reader(handle)) - 1
        return FileCheck(name, True, "csv", f"read back: {rows} rows")
    except Exception as exc:  # noqa: BLE001 - any failure to read it back is the finding
        return FileCheck(name, False, "read back", f"{type(exc).__name__}: {exc}"[:300])
