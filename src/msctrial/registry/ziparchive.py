"""The members of a ZIP archive, read from their local headers as the file streams by, with
every inflation bounded.

Streaming keeps not even the archive's index in memory (the bulk ClinicalTrials.gov ZIP has
~500,000 members). Nothing a header says is trusted for memory: a member inflates to at most
its declared size (one that would inflate further is a damaged member or a zip bomb, and is
reported, not read), to at most ``member_cap`` bytes, and the archive to at most
``archive_cap`` bytes in all. An archive that ends before its central directory, or whose
bytes stop being ZIP structures, is *damaged*: reading stops with ``Damaged`` naming the
members read before it. An archive written in a way that needs the central directory (stored
members of unknown size, encryption) is read through ``zipfile`` instead, with the same caps.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from msctrial.registry.limits import (
    MAX_ARCHIVE_INFLATED,
    MAX_RECORD_BYTES,
    Inflater,
    TooLarge,
    env_cap,
)
from msctrial.registry.model import Problem

_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"
_ENDS = (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07")
STEP = 4096  # compressed bytes fed at a time while the prefilter may still stop early


class NeedsDirectory(Exception):
    """The archive must be read through its central directory (``zipfile``)."""


class Damaged(Exception):
    """The archive is broken past some point; ``read`` members were read before it."""

    def __init__(self, reason: str, read: list[str]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.read = read


class Skipped(bytes):
    """What ``zip_members`` yields for a member the prefilter passed over."""

    prefix: bytes = b""


SKIPPED = Skipped()
# decide(prefix, complete) → True: may be MSC, read it; False: cannot be, skip; None: read on
Decide = Callable[[bytes, bool], bool | None]


@dataclass
class Caps:
    member: int
    archive: int
    inflated: int = 0

    @classmethod
    def default(cls) -> Caps:
        return cls(
            member=env_cap("MEMBER_BYTES", MAX_RECORD_BYTES),
            archive=env_cap("ARCHIVE_BYTES", MAX_ARCHIVE_INFLATED),
        )

    def room(self, declared: int) -> int:
        """How far one member may inflate: its declared size, never past the member cap (the
        archive's total is checked as each member is counted)."""
        return min(declared, self.member)

    def count(self, n: int, name: str) -> None:
        self.inflated += n
        if self.inflated > self.archive:
            raise TooLarge(f"the archive inflates past {self.archive:,} bytes (at {name})")


def _local_header(header: bytes) -> tuple[int, int, int, int, int, int, int]:
    _, flag, method, _, _, crc, csize, usize, nlen, xlen = struct.unpack("<HHHHHIIIHH", header)
    return flag, method, crc, csize, usize, nlen, xlen


def _zip64_sizes(extra: bytes, csize: int, usize: int) -> tuple[int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[i : i + 4])
        if tag == 0x0001:
            fields = extra[i + 4 : i + 4 + size]
            values = list(struct.unpack(f"<{len(fields) // 8}Q", fields[: len(fields) // 8 * 8]))
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            return csize, usize
        i += 4 + size
    raise NeedsDirectory


def zip_members(
    name: str,
    path: Path,
    *,
    suffixes: tuple[str, ...],
    decide: Decide | None = None,
    caps: Caps | None = None,
) -> Iterator[tuple[str, bytes | Problem]]:
    """(label, bytes) of each member whose name ends in one of ``suffixes``, in archive order;
    a member that cannot be read comes as a ``Problem``; with ``decide`` a member the
    prefilter rules out comes as ``SKIPPED``, inflated no further than needed to tell."""
    caps = caps or Caps.default()
    read: list[str] = []
    with path.open("rb") as f:
        while True:
            signature = f.read(4)
            if signature != _LOCAL:
                if signature in _ENDS:
                    return
                if not read and not signature.startswith(b"PK"):
                    raise NeedsDirectory  # data before the first member: zipfile finds it
                where = "ends" if not signature else "has bytes that are not a ZIP member"
                raise Damaged(f"the archive {where} after {len(read)} members", read)
            header = f.read(26)
            if len(header) < 26:
                raise Damaged("the archive ends inside a member's header", read)
            flag, method, crc, csize, usize, nlen, xlen = _local_header(header)
            raw_name = f.read(nlen)
            member = raw_name.decode("utf-8" if flag & 0x800 else "cp437", "replace")
            extra = f.read(xlen)
            if csize == 0xFFFFFFFF or usize == 0xFFFFFFFF:
                csize, usize = _zip64_sizes(extra, csize, usize)
            if flag & 0x1 or method not in (0, 8) or (flag & 0x08 and method != 8):
                raise NeedsDirectory  # encrypted, another method, or stored with no sizes
            wanted = not member.endswith("/") and member.lower().endswith(suffixes)
            label = f"{name}!{member}"
            out: bytes | Problem | None
            try:
                if flag & 0x08:
                    out = _inflate_to_descriptor(f, caps, label, wanted)
                else:
                    out = _sized_member(f, method, crc, csize, usize, caps, label, wanted, decide)
            except (TooLarge, zlib.error, EOFError) as exc:
                raise Damaged(f"{member}: {exc}", read) from None
            if wanted and out is not None:
                read.append(member)
                yield label, out


def _sized_member(
    f: BinaryIO,
    method: int,
    crc: int,
    csize: int,
    usize: int,
    caps: Caps,
    label: str,
    wanted: bool,
    decide: Decide | None,
) -> bytes | Problem | None:
    if not wanted:
        f.seek(csize, os.SEEK_CUR)
        return None
    if usize > caps.member or csize > caps.member:
        f.seek(csize, os.SEEK_CUR)
        return Problem(
            file=label, reason=f"{usize:,} bytes; larger than any registry record ({caps.member:,})"
        )
    data = f.read(csize)
    if len(data) < csize:
        raise EOFError("the archive ends inside this member")
    if method == 0:
        out: bytes = data
    else:
        try:
            inflated = _inflate_member(data, caps.room(usize), decide)
        except TooLarge:
            return Problem(
                file=label,
                reason=f"inflates past its declared {usize:,} bytes: a damaged member or a zip "
                "bomb; not read",
            )
        if inflated is None:
            return Problem(file=label, reason="its deflated data stops before the stream ends")
        if isinstance(inflated, Skipped):
            caps.count(len(inflated.prefix), label)
            return SKIPPED
        out = inflated
    caps.count(len(out), label)
    if len(out) != usize or zlib.crc32(out) != crc:
        return Problem(file=label, reason="its size or CRC does not match its header: damaged")
    return out


def _inflate_member(data: bytes, limit: int, decide: Decide | None) -> bytes | None:
    """The member inflated (None if its stream is cut short); with ``decide``, fed a step at a
    time and stopped as soon as the prefilter rules it out (a ``Skipped`` with the prefix)."""
    z = Inflater(limit)
    if decide is None:
        out = z.feed(data) + z.flush()
        return out if z.eof else None
    got = bytearray()
    k = 0
    while k < len(data):
        got += z.feed(data[k : k + STEP])
        k += STEP
        verdict = decide(bytes(got), z.eof)
        if verdict is False:
            skipped = Skipped()
            skipped.prefix = bytes(got)
            return skipped
        if verdict is True or z.eof:
            break
    got += z.feed(data[k:]) + z.flush()
    return bytes(got) if z.eof else None


def _inflate_to_descriptor(f: BinaryIO, caps: Caps, label: str, wanted: bool) -> bytes | None:
    """A deflated member whose sizes follow it in a data descriptor."""
    z = Inflater(min(caps.member, caps.archive - caps.inflated))
    out: list[bytes] = []
    while not z.eof:
        chunk = f.read(65536)
        if not chunk:
            raise EOFError("the archive ends inside a member")
        piece = z.feed(chunk)
        if wanted:
            out.append(piece)
    caps.count(z.produced, label)
    f.seek(-len(z.unused_data), os.SEEK_CUR)
    head = f.read(4)
    f.seek(12 if head == _DESCRIPTOR else 8, os.SEEK_CUR)  # crc + 32-bit sizes
    return b"".join(out) if wanted else None


def zipfile_members(
    name: str, path: Path, *, suffixes: tuple[str, ...], skip: int = 0, caps: Caps | None = None
) -> Iterator[tuple[str, bytes | Problem]]:
    """The same members through ``zipfile`` (which stops each at its declared size and checks
    its CRC); ``skip`` members already read by streaming are passed over."""
    caps = caps or Caps.default()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise Damaged(f"not a readable ZIP archive ({exc})", []) from None
    read: list[str] = []
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(suffixes):
                continue
            if skip:
                skip -= 1
                continue
            label = f"{name}!{info.filename}"
            if info.file_size > caps.member:
                reason = f"{info.file_size:,} bytes; larger than any registry record"
                yield label, Problem(file=label, reason=reason)
                continue
            try:
                caps.count(info.file_size, label)
            except TooLarge as exc:
                raise Damaged(str(exc), read) from None
            try:
                raw = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, zlib.error) as exc:
                yield label, Problem(file=label, reason=f"cannot be extracted ({exc})")
                continue
            read.append(info.filename)
            yield label, raw
