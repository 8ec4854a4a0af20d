"""How much the registry readers will read: caps that hold whatever a file claims about itself.

A path may be a device (``/dev/zero`` reports size 0 and never ends), a ZIP whose headers
understate what a member inflates to (a "zip bomb"), or a document nested far deeper than any
record. Every read here is bounded by a cap counted on the bytes actually produced, never by
a size a header or ``stat`` reported.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import BinaryIO

MiB = 1 << 20
GiB = 1 << 30
# A results-posted ClinicalTrials.gov record is up to ~1.5 MB (FORMAT.md §1); an API v2 page
# of 1,000 studies some tens of MB.
MAX_RECORD_BYTES = 64 * MiB
# A whole-register export (ICTRP XML/CSV, the weekly COVID-19 spreadsheet) is read as one file;
# the 7 July 2020 spreadsheet is 3.7 MB zipped, 18 MB inside.
MAX_EXPORT_BYTES = 1 * GiB
# The bulk ClinicalTrials.gov ZIP holds ~500,000 records, ~10-15 GB of JSON inflated.
MAX_ARCHIVE_INFLATED = 64 * GiB
MAX_XML_DEPTH = 256  # ICTRP and ChiCTR XML are 4 levels deep; classic XML about 6
CHUNK = 1 * MiB


class TooLarge(ValueError):
    """A file, member or archive past its cap; the message names the cap."""


def env_cap(name: str, default: int) -> int:
    """A cap from the environment (``MSCTRIAL_REGISTRY_<NAME>`` in bytes), for tests and for
    a deployment that reads larger exports; a value that is not a positive integer is ignored."""
    raw = os.environ.get(f"MSCTRIAL_REGISTRY_{name}", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


class BinaryData(ValueError):
    """Bytes no registry text file holds (NUL), found before the whole file was read."""


def read_capped(path: Path, cap: int, *, text: bool = False) -> bytes:
    """The bytes of ``path``, refusing past ``cap`` bytes read (not past what stat says); with
    ``text``, refusing at the first chunk that holds a NUL byte (``/dev/zero``, a binary)."""
    with path.open("rb") as f:
        return read_stream_capped(f, cap, text=text)


def read_stream_capped(f: BinaryIO, cap: int, *, text: bool = False) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = f.read(min(CHUNK, cap + 1 - total))
        if text and b"\x00" in chunk:
            raise BinaryData("binary data (a NUL byte): not a JSON, XML or CSV registry file")
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > cap:
            raise TooLarge(f"more than {cap:,} bytes; no registry file is that large")
        parts.append(chunk)


class Inflater:
    """Raw-deflate decompression that stops at ``limit`` bytes of output, however small the
    input: ``feed`` returns what the input inflates to, or raises ``TooLarge``."""

    def __init__(self, limit: int) -> None:
        self._z = zlib.decompressobj(-15)
        self.limit = limit
        self.produced = 0

    @property
    def eof(self) -> bool:
        return self._z.eof

    @property
    def unused_data(self) -> bytes:
        return self._z.unused_data

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        pending = data
        while pending and not self._z.eof:
            room = self.limit - self.produced + 1
            piece = self._z.decompress(pending, min(room, CHUNK))
            self.produced += len(piece)
            if self.produced > self.limit:
                raise TooLarge(f"inflates past {self.limit:,} bytes")
            out.append(piece)
            pending = self._z.unconsumed_tail
            if not piece and pending and not self._z.eof:
                continue  # the stream needs more input than one call took
        return b"".join(out)

    def flush(self) -> bytes:
        rest = self._z.flush(self.limit - self.produced + 1)
        self.produced += len(rest)
        if self.produced > self.limit:
            raise TooLarge(f"inflates past {self.limit:,} bytes")
        return rest


def inflate(data: bytes, limit: int) -> bytes:
    """A whole raw-deflate member, never more than ``limit`` bytes of output."""
    z = Inflater(limit)
    out = z.feed(data) + z.flush()
    if not z.eof:
        raise zlib.error("the deflated data ends before the end of its stream")
    return out
