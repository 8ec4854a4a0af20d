"""Stream studies out of files, folders and ZIP archives, one at a time.

A path may be a single study (API v2 or legacy full_studies JSON, classic XML), an API v2 page
(``{"studies": [...], "nextPageToken": ...}``), a folder of such files, or a ZIP of one file per
study (the bulk download ``ctg-studies.json.zip``, or the retired ``AllPublicXML.zip``). Studies
are yielded one by one, so memory does not grow with their number. A record that cannot be
read becomes a ``Problem`` naming the file and the reason; reading goes on.

``may_be_msc`` is the bulk scan's shortcut: a study whose raw bytes name no MSC, stromal,
exosome or secretome term cannot be an MSC trial, and is not parsed at all.
"""

from __future__ import annotations

import os
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from msctrial.registry.formats import BadRecord, from_classic_xml, from_json_object
from msctrial.registry.model import Problem, Study

SUFFIXES = (".json", ".xml")
MAX_RECORD_BYTES = 50_000_000  # a results-posted record is up to ~1.5 MB (FORMAT.md §1)

# Byte needles for the prefilter, in the spellings registry text uses. "MSC" covers MSCs,
# UC-MSC, hMSC, adMSC; the rest catch products written out or named by their vesicles.
_NEEDLES = (
    b"MSC",
    b"esenchymal",
    b"ESENCHYMAL",
    b"tromal",
    b"TROMAL",
    b"xosom",
    b"XOSOM",
    b"esicle",
    b"ESICLE",
    b"ecretome",
    b"ECRETOME",
    b"emestemcel",
    b"omecel",
)


def may_be_msc(raw: bytes) -> bool:
    """False only when the record cannot describe an MSC product (no term appears at all)."""
    return any(n in raw for n in _NEEDLES)


@dataclass(frozen=True)
class Item:
    """One study read, or one problem met, with the file it came from."""

    file: str
    study: Study | None = None
    problem: Problem | None = None
    skipped: bool = False  # passed over by the prefilter: certainly not an MSC trial


def _problem(file: str, reason: str) -> Item:
    return Item(file, problem=Problem(file=file, reason=reason))


def iter_paths(paths: Iterable[str | Path]) -> Iterator[tuple[str, Path]]:
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and (f.suffix.lower() in SUFFIXES or f.suffix.lower() == ".zip"):
                    yield str(f), f
        else:
            yield str(path), path


def read_studies(paths: Iterable[str | Path], *, prefilter: bool = False) -> Iterator[Item]:
    """Every study in ``paths``; with ``prefilter`` studies that cannot be MSC are skipped."""
    for name, path in iter_paths(paths):
        if not path.exists():
            yield _problem(name, "no such file or folder")
            continue
        if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            yield from _read_zip(name, path, prefilter)
            continue
        try:
            size = path.stat().st_size
            if size > MAX_RECORD_BYTES:
                yield _problem(name, f"{size} bytes; larger than any registry record or page")
                continue
            raw = path.read_bytes()
        except OSError as exc:
            yield _problem(name, f"cannot be read ({exc.strerror or exc})")
            continue
        yield from read_bytes(name, raw, prefilter=prefilter)


def _read_zip(name: str, path: Path, prefilter: bool) -> Iterator[Item]:
    """Members one after another, read from their local headers as the file streams by, so
    not even the archive's index is held in memory; an archive written in a way that needs
    the central directory (stored members of unknown size) is read through ``zipfile``."""
    try:
        yield from _stream_zip(name, path, prefilter)
    except _NeedsDirectory:
        yield from _zipfile_members(name, path, prefilter)
    except (OSError, zlib.error, struct.error, EOFError) as exc:
        yield _problem(name, f"not a readable ZIP archive ({exc})")


class _NeedsDirectory(Exception):
    pass


_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"


def _stream_zip(name: str, path: Path, prefilter: bool) -> Iterator[Item]:
    with path.open("rb") as f:
        while True:
            signature = f.read(4)
            if signature != _LOCAL:
                if not signature.startswith(b"PK"):
                    raise _NeedsDirectory
                return  # the central directory: every member has been read
            flag, method, csize, usize, nlen, xlen = _local_header(f.read(26))
            member = f.read(nlen).decode("utf-8" if flag & 0x800 else "cp437")
            extra = f.read(xlen)
            if csize == 0xFFFFFFFF or usize == 0xFFFFFFFF:
                csize, usize = _zip64_sizes(extra, csize, usize)
            wanted = not member.endswith("/") and member.lower().endswith(SUFFIXES)
            label = f"{name}!{member}"
            if flag & 0x1:
                raise _NeedsDirectory  # encrypted: let zipfile say so
            if flag & 0x08:
                if method != 8:
                    raise _NeedsDirectory
                raw = _inflate_until_end(f)
            elif method in (0, 8):
                if not wanted or usize > MAX_RECORD_BYTES:
                    f.seek(csize, os.SEEK_CUR)
                    if wanted:
                        yield _problem(label, f"{usize} bytes; larger than any registry record")
                    continue
                data = f.read(csize)
                raw = zlib.decompress(data, -15) if method == 8 else data
            else:
                raise _NeedsDirectory
            if wanted:
                yield from read_bytes(label, raw, prefilter=prefilter)


def _local_header(header: bytes) -> tuple[int, int, int, int, int, int]:
    _, flag, method, _, _, _, csize, usize, nlen, xlen = struct.unpack("<HHHHHIIIHH", header)
    return flag, method, csize, usize, nlen, xlen


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
    raise _NeedsDirectory


def _inflate_until_end(f: BinaryIO) -> bytes:
    """A deflated member whose sizes follow it in a data descriptor."""
    inflater = zlib.decompressobj(-15)
    out = []
    while not inflater.eof:
        chunk = f.read(65536)
        if not chunk:
            raise EOFError("archive ends inside a member")
        out.append(inflater.decompress(chunk))
        if sum(len(o) for o in out) > MAX_RECORD_BYTES:
            raise _NeedsDirectory
    f.seek(-len(inflater.unused_data), os.SEEK_CUR)
    head = f.read(4)
    f.seek(12 if head == _DESCRIPTOR else 8, os.SEEK_CUR)  # crc + sizes (32-bit)
    return b"".join(out)


def _zipfile_members(name: str, path: Path, prefilter: bool) -> Iterator[Item]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield _problem(name, f"not a readable ZIP archive ({exc})")
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(SUFFIXES):
                continue
            member = f"{name}!{info.filename}"
            if info.file_size > MAX_RECORD_BYTES:
                yield _problem(member, f"{info.file_size} bytes; larger than any registry record")
                continue
            try:
                raw = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
                yield _problem(member, f"cannot be extracted ({exc})")
                continue
            yield from read_bytes(member, raw, prefilter=prefilter)


def read_bytes(name: str, raw: bytes, *, prefilter: bool = False) -> Iterator[Item]:
    """The studies in one file's bytes: a study, an API v2 page, or a classic XML record."""
    head = raw.lstrip()[:1]
    if head == b"<":
        if prefilter and not may_be_msc(raw):
            yield Item(name, skipped=True)
            return
        try:
            yield Item(name, study=from_classic_xml(ET.fromstring(raw)))
        except ET.ParseError as exc:
            yield _problem(name, f"malformed XML: {exc}")
        except BadRecord as exc:
            yield _problem(name, str(exc))
        return
    if head not in (b"{", b"["):
        yield _problem(name, "neither JSON nor XML (study records are .json or .xml)")
        return
    if prefilter and not may_be_msc(raw):
        yield Item(name, skipped=True)
        return
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        yield _problem(name, f"malformed JSON: {exc}")
        return
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        for k, item in enumerate(data["studies"]):
            yield _one(f"{name}#studies[{k}]", item)
        return
    if isinstance(data, list):
        for k, item in enumerate(data):
            yield _one(f"{name}#[{k}]", item)
        return
    yield _one(name, data)


def _one(name: str, data: object) -> Item:
    try:
        return Item(name, study=from_json_object(data))
    except BadRecord as exc:
        return _problem(name, str(exc))
