"""Stream studies out of files, folders and ZIP archives, one at a time.

A path may be a single study (API v2 or legacy full_studies JSON, classic XML, ChiCTR's XML),
an API v2 page (``{"studies": [...], "nextPageToken": ...}``), a WHO ICTRP export (XLSX, CSV or
XML), a folder of such files, or a ZIP of one file per study (the bulk download
``ctg-studies.json.zip``, or the retired ``AllPublicXML.zip``). Studies are yielded one by one,
so memory does not grow with their number. A record that cannot be read becomes a ``Problem``
naming the file and the reason; reading goes on. Every read is capped (``limits``): a path
that is too large, a device that never ends, a damaged archive or export is one *fatal*
problem, never a crash or an exhausted memory.

``may_be_msc`` is the bulk scan's shortcut: a study whose raw bytes name no MSC, stromal,
exosome or secretome term cannot be an MSC trial, and is not parsed at all.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from msctrial.registry import ictrp_read
from msctrial.registry.chictr import from_chictr_xml
from msctrial.registry.classic_xml import from_classic_xml
from msctrial.registry.formats import BadRecord, from_json_object
from msctrial.registry.items import Item, fatal, problem
from msctrial.registry.limits import (
    MAX_EXPORT_BYTES,
    BinaryData,
    TooLarge,
    env_cap,
    read_capped,
)
from msctrial.registry.model import Problem
from msctrial.registry.safexml import BadXml, parse
from msctrial.registry.ziparchive import (
    SKIPPED,
    Caps,
    Damaged,
    NeedsDirectory,
    Skipped,
    zip_members,
    zipfile_members,
)

SUFFIXES = (".json", ".xml", ".csv", ".xlsx")
RECORD_SUFFIXES = (".json", ".xml")  # what a bulk ZIP's members are
__all__ = ["SKIPPED", "Item", "may_be_msc", "read_bytes", "read_studies", "zip_members"]

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


_STUDY_MARKS = (b"protocolSection", b"ProtocolSection", b"<clinical_study", b'"studies"', b"<trial")


def _looks_like_study(raw: bytes) -> bool:
    """Only what looks like a registry record may be passed over unparsed: anything else is
    parsed, so that a file that is not a record at all is reported, not counted as read."""
    head = raw[:65536]
    return any(mark in head for mark in _STUDY_MARKS)


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


def iter_paths(paths: Iterable[str | Path]) -> Iterator[tuple[str, Path]]:
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in (*SUFFIXES, ".zip"):
                    yield str(f), f
        else:
            yield str(path), path


def read_studies(paths: Iterable[str | Path], *, prefilter: bool = False) -> Iterator[Item]:
    """Every study in ``paths``; with ``prefilter`` studies that cannot be MSC are skipped."""
    for name, path in iter_paths(paths):
        if not path.exists():
            yield fatal(name, "no such file or folder")
            continue
        suffix = path.suffix.lower()
        regular = path.is_file()
        if suffix == ".zip" or (regular and suffix != ".xlsx" and zipfile.is_zipfile(path)):
            yield from _read_zip(name, path, prefilter)
            continue
        try:
            raw = read_capped(path, env_cap("FILE_BYTES", MAX_EXPORT_BYTES), text=suffix != ".xlsx")
        except (TooLarge, BinaryData) as exc:
            yield fatal(name, str(exc))
            continue
        except OSError as exc:
            yield fatal(name, f"cannot be read ({exc.strerror or exc})")
            continue
        if suffix == ".xlsx":
            yield from ictrp_read.read_xlsx(name, raw, prefilter)
            continue
        yield from read_bytes(name, raw, prefilter=prefilter, suffix=suffix)


def _read_zip(name: str, path: Path, prefilter: bool) -> Iterator[Item]:
    """Members one after another, streamed from their local headers; an archive that needs
    its central directory is read through ``zipfile`` from the member where streaming
    stopped. A damaged archive ends with one fatal problem naming the members read."""
    done = 0
    caps = Caps.default()

    def decide(prefix: bytes, complete: bool) -> bool | None:
        return _decide(prefix, complete=complete)

    try:
        try:
            for label, raw in zip_members(
                name,
                path,
                suffixes=RECORD_SUFFIXES,
                decide=decide if prefilter else None,
                caps=caps,
            ):
                done += 1
                yield from _member(label, raw, prefilter)
        except NeedsDirectory:
            for label, raw in zipfile_members(
                name, path, suffixes=RECORD_SUFFIXES, skip=done, caps=caps
            ):
                done += 1
                yield from _member(label, raw, prefilter)
    except Damaged as exc:
        shown = ", ".join(exc.read[-3:])
        read = f"; {done} members read before it" + (f" (last: {shown})" if shown else "")
        yield fatal(name, f"damaged ZIP archive: {exc.reason}{read if done else ''}", done)
    except OSError as exc:
        yield fatal(name, f"cannot be read ({exc.strerror or exc})", done)


def _member(label: str, raw: bytes | Problem, prefilter: bool) -> Iterator[Item]:
    if isinstance(raw, Problem):
        yield Item(label, problem=raw)
    elif isinstance(raw, Skipped):
        yield Item(label, skipped=True)
    else:
        yield from read_bytes(label, raw, prefilter=prefilter)


def read_bytes(
    name: str, raw: bytes, *, prefilter: bool = False, suffix: str = ""
) -> Iterator[Item]:
    """The studies in one file's bytes: a study, an API v2 page, a classic or ChiCTR XML
    record, or an ICTRP XML or CSV export."""
    stripped = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    head = stripped[:1]
    if b"\x00" in raw[:4096]:
        yield problem(name, "binary data: not a JSON, XML or CSV registry file")
        return
    if head == b"<":
        yield from _read_xml(name, stripped, prefilter)
        return
    if head in (b"{", b"["):
        yield from _read_json(name, raw, prefilter)
        return
    first_line = stripped[:4096].split(b"\n", 1)[0].lower()
    if suffix == ".csv" or b"trialid" in first_line:
        yield from ictrp_read.read_csv(name, raw, prefilter)
        return
    yield problem(
        name, "neither JSON nor XML (study records are .json or .xml), nor an ICTRP CSV export"
    )


def _read_xml(name: str, raw: bytes, prefilter: bool) -> Iterator[Item]:
    start = raw[:4096]
    if b"<Trials_downloaded_from_ICTRP" in start:
        yield from ictrp_read.read_xml(name, raw, prefilter)
        return
    if prefilter and _looks_like_study(raw) and not may_be_msc(raw):
        yield Item(name, skipped=True)
        return
    try:
        root = parse(raw)
        if root.tag == "clinical_study":
            yield Item(name, study=from_classic_xml(root))
        else:
            for study in from_chictr_xml(root):
                yield Item(f"{name}#{study.trial_id}", study=study)
    except BadXml as exc:
        yield problem(name, str(exc))
    except BadRecord as exc:
        yield problem(name, str(exc))


def _read_json(name: str, raw: bytes, prefilter: bool) -> Iterator[Item]:
    if prefilter and _looks_like_study(raw) and not may_be_msc(raw):
        yield Item(name, skipped=True)
        return
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        yield problem(name, f"malformed JSON: {exc}")
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
        return problem(name, str(exc))
