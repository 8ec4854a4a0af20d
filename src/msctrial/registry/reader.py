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

# The prefilter's terms, lower case: every way ``classify`` can recognise an MSC product.
# "msc" covers MSCs, UC-MSC, hMSC, adMSC; the rest catch products written out, named by
# brand, or named by their vesicles or secretome.
_NEEDLES = (
    b"msc",
    b"mesenchymal",
    b"stromal",
    b"medicinal signal",
    b"exosom",
    b"vesicle",
    b"nanoparticle",
    b"secretome",
    b"conditioned medi",
    b"remestemcel",
    b"lomecel",
    b"nestacell",
    b"astrostem",
)
# ``classify`` reads only the titles and the arms and interventions: in a single JSON study
# only those two modules need searching. Each module runs to the next module's key.
_MODULES = (
    (b'"identificationModule"', b'"IdentificationModule"'),
    (b'"armsInterventionsModule"', b'"ArmsInterventionsModule"'),
)
_PAGE_KEYS = (b'"studies"', b'"totalCount"', b'"nextPageToken"', b"FullStudiesResponse")


def _names_msc_term(text: bytes) -> bool:
    lower = text.lower()
    return any(n in lower for n in _NEEDLES)


def may_be_msc(raw: bytes) -> bool:
    """False only when the record cannot describe an MSC product: no MSC, stromal, vesicle or
    secretome term in its titles, arms or interventions (anywhere, for XML or a page)."""
    decided = _decide(raw, complete=True)
    return True if decided is None else decided


def _decide(prefix: bytes, *, complete: bool) -> bool | None:
    """May the study whose first bytes are ``prefix`` be an MSC trial? None: read on."""
    head = prefix[:256]
    if not prefix.lstrip().startswith(b"{") or any(k in head for k in _PAGE_KEYS):
        return _names_msc_term(prefix) if complete else None
    chunks = []
    for keys in _MODULES:
        for key in keys:
            start = prefix.find(key)
            if start >= 0:
                break
        else:
            return _names_msc_term(prefix) if complete else None
        end = prefix.find(b'Module"', start + len(key))
        if end < 0 and not complete:
            return None  # the module may go on past what has been read
        chunks.append(prefix[start : end if end > 0 else len(prefix)])
    return _names_msc_term(b" ".join(chunks))


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
    the central directory (stored members of unknown size) is read through ``zipfile``,
    from the member where streaming stopped."""
    done = 0
    try:
        for label, raw in zip_members(name, path, prefilter=prefilter):
            done += 1
            if isinstance(raw, Problem):
                yield Item(label, problem=raw)
            elif isinstance(raw, _Skipped):
                yield Item(label, skipped=True)
            else:
                yield from read_bytes(label, raw, prefilter=prefilter)
    except _NeedsDirectory:
        yield from _zipfile_members(name, path, prefilter, skip=done)
    except (OSError, zlib.error, struct.error, EOFError) as exc:
        yield _problem(name, f"not a readable ZIP archive ({exc})")


class _NeedsDirectory(Exception):
    pass


_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"


class _Skipped(bytes):
    """The marker ``zip_members`` yields for a member the prefilter passed over."""


SKIPPED = _Skipped()


def zip_members(
    name: str, path: Path, *, prefilter: bool = False
) -> Iterator[tuple[str, bytes | Problem]]:
    """(label, bytes) of each study file in a ZIP, in archive order, read from the local
    headers; a member too large to be a record comes as a Problem instead of its bytes.

    With ``prefilter`` a deflated member is inflated only until its titles, arms and
    interventions have been read; one that cannot be an MSC trial yields ``SKIPPED``
    without the rest of it ever being inflated."""
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
                        reason = f"{usize} bytes; larger than any registry record"
                        yield label, Problem(file=label, reason=reason)
                    continue
                data = f.read(csize)
                if method == 0:
                    raw = data
                elif prefilter:
                    raw = _inflate_if_msc(data)
                else:
                    raw = zlib.decompress(data, -15)
            else:
                raise _NeedsDirectory
            if wanted:
                yield label, raw


def _inflate_if_msc(data: bytes, step: int = 8192) -> bytes:
    """Inflate a member only as far as its arms and interventions; if they (and the titles
    before them) cannot describe an MSC product, stop there and return SKIPPED."""
    inflater = zlib.decompressobj(-15)
    out = bytearray(inflater.decompress(data, step))
    pending = inflater.unconsumed_tail
    head = bytes(out[:256])
    if not head.lstrip().startswith(b"{") or any(k in head for k in _PAGE_KEYS):
        return bytes(out + inflater.decompress(pending) + inflater.flush())
    arms = searched = 0
    key = b""
    while True:
        if not key:
            for candidate in _MODULES[1]:
                arms = out.find(candidate, max(0, searched - len(candidate)))
                if arms >= 0:
                    key = candidate
                    break
            searched = len(out)
        if key:
            end = out.find(b'Module"', arms + len(key))
            if end > 0:
                if not _names_msc_term(_titles(out) + out[arms:end]):
                    return SKIPPED
                break
        if inflater.eof or not pending:
            break
        out += inflater.decompress(pending, step)
        pending = inflater.unconsumed_tail
    out += inflater.decompress(pending)
    out += inflater.flush()
    return bytes(out)


def _titles(prefix: bytearray) -> bytes:
    """The identification module (titles) of a study's first bytes, or all of them."""
    for key in _MODULES[0]:
        start = prefix.find(key)
        if start >= 0:
            end = prefix.find(b'Module"', start + len(key))
            return bytes(prefix[start:end]) if end > 0 else bytes(prefix)
    return bytes(prefix)


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


def _zipfile_members(name: str, path: Path, prefilter: bool, skip: int = 0) -> Iterator[Item]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield _problem(name, f"not a readable ZIP archive ({exc})")
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(SUFFIXES):
                continue
            if skip:
                skip -= 1
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
