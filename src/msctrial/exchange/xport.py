"""SAS XPORT version 5 written record by record, so a dataset of any size streams to disk.

pyreadstat's ``write_xport`` takes the whole DataFrame at once and cannot append, so a large
SDTM domain would sit in memory. The format itself is a plain sequence of 80-byte records (SAS
technical note TS-140, "The record layout of a data set in SAS transport (XPORT) format"):
the library, member and descriptor headers, one 140-byte NAMESTR per variable, the OBS header,
then each observation as fixed-width bytes — character values blank-padded ASCII, numbers
8-byte IBM System/370 hexadecimal floating point — and blanks to the last 80-byte boundary.
Nothing in the file counts the observations, so the rows can be written chunk by chunk.

The widths must be known before the first row: the caller measures them (``xpt.Lengths``)
and the writer refuses a value longer than its column rather than cut it.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

RECORD = 80
_HEADER = "HEADER RECORD*******{kind:<8}HEADER RECORD!!!!!!!{tail}  "
_ZEROS = "0" * 30
# SAS's 8-byte missing value "." is 0x2E followed by zeros.
MISSING = 0x2E00_0000_0000_0000


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    numeric: bool
    length: int  # 8 for a number; the longest value's bytes (at least 1) for text


def ibm_doubles(values: np.ndarray) -> np.ndarray:
    """IEEE doubles as IBM hexadecimal floats (big-endian uint64); NaN as SAS's missing ".".

    IBM: a sign bit, a 7-bit exponent of 16 biased by 64, and a 56-bit fraction in [1/16, 1).
    With ``x = m × 2**e`` (``frexp``, m in [0.5, 1)) the exponent of 16 is ``ceil(e / 4)`` and
    the fraction ``m × 2**(e - 4 × that)``; its 53 bits fit the 56 exactly, so nothing rounds.
    """
    x = np.asarray(values, dtype=np.float64)
    out = np.zeros(x.shape, dtype=np.uint64)
    missing = np.isnan(x)
    live = ~missing & (x != 0)
    mantissa, exp2 = np.frexp(np.abs(x[live]))
    exp16 = -((-exp2) // 4)  # ceil(exp2 / 4)
    fraction = np.ldexp(mantissa, 56 + exp2 - 4 * exp16).astype(np.uint64)
    biased = exp16 + 64
    if np.any(biased > 127) or not np.all(np.isfinite(x[live])):
        raise ValueError("a number is beyond the range of an IBM double (about 7.2e75)")
    tiny = biased < 0  # below about 5.4e-79: IBM holds it as zero
    words = (biased.astype(np.uint64) << np.uint64(56)) | fraction
    words[np.signbit(x[live])] |= np.uint64(1 << 63)
    words[tiny] = 0
    out[live] = words
    out[missing] = MISSING
    return out.astype(">u8")


def _stamp(when: dt.datetime) -> str:
    return when.strftime("%d%b%y:%H:%M:%S").upper()


def _namestr(n: int, column: Column, position: int) -> bytes:
    return struct.pack(
        ">hhhh8s40s8shhh2s8shhi52s",
        1 if column.numeric else 2,
        0,
        column.length,
        n,
        column.name.ljust(8).encode("ascii"),
        column.label.ljust(40).encode("ascii"),
        b" " * 8,
        0,
        0,
        0,
        b"\0\0",
        b" " * 8,
        0,
        0,
        position,
        b"\0" * 52,
    )


class XportWriter:
    """One dataset's XPORT v5 file on ``handle``: headers now, rows by ``write``, ``close``."""

    def __init__(
        self, handle: BinaryIO, name: str, label: str, columns: Sequence[Column], now: dt.datetime
    ) -> None:
        self.handle = handle
        self.columns = tuple(columns)
        self.written = 0
        stamp = _stamp(now)
        system = "SAS     SAS     SASLIB  9.1     Linux   " + " " * 24 + stamp
        member = f"SAS     {name:<8}SASDATA 9.1     Linux   " + " " * 24 + stamp
        records = [
            _HEADER.format(kind="LIBRARY", tail=_ZEROS),
            system,
            stamp + " " * 64,
            _HEADER.format(kind="MEMBER", tail="000000000000000001600000000140"),
            _HEADER.format(kind="DSCRPTR", tail=_ZEROS),
            member,
            stamp + " " * 16 + f"{label:<40}" + " " * 8,
            _HEADER.format(kind="NAMESTR", tail=f"000000{len(self.columns):04d}" + "0" * 20),
        ]
        handle.write("".join(records).encode("ascii"))
        namestrs, position = b"", 0
        for n, column in enumerate(self.columns, 1):
            namestrs += _namestr(n, column, position)
            position += column.length
        handle.write(namestrs + b" " * (-len(namestrs) % RECORD))
        handle.write(_HEADER.format(kind="OBS", tail=_ZEROS).encode("ascii"))

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append ``rows`` (each a dict by variable name; None is missing or blank)."""
        if not rows:
            return
        blocks = []
        for c in self.columns:
            values = [row.get(c.name) for row in rows]
            if c.numeric:
                numbers = np.array([np.nan if v is None else float(v) for v in values])
                blocks.append(ibm_doubles(numbers).view(np.uint8).reshape(-1, 8))
                continue
            texts = ["" if v is None else str(v) for v in values]
            if max(map(len, texts)) > c.length:
                raise ValueError(f"{c.name}: a value is longer than its {c.length} bytes")
            cells = np.frombuffer(np.array(texts, dtype=f"S{c.length}").tobytes(), np.uint8)
            cells = cells.reshape(-1, c.length).copy()
            cells[cells == 0] = ord(" ")  # numpy pads with NUL; XPORT with blanks
            blocks.append(cells)
        data = np.hstack(blocks).tobytes()
        self.handle.write(data)
        self.written += len(data)

    def close(self) -> None:
        """Blank-pad the last record to its 80 bytes."""
        self.handle.write(b" " * (-self.written % RECORD))
