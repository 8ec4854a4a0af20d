"""A client for the ClinicalTrials.gov API v2 ``/studies`` endpoint that saves pages to a folder.

Paging follows ``nextPageToken`` and repeats the first request's query on every page
(FORMAT.md §2). A 429 or 5xx answer, or a dropped connection, is retried with exponential
back-off (honouring ``Retry-After``). Every page is written to ``page-NNNN.json`` and noted in
``manifest.json`` before the next is asked for, so a fetch that stops part-way resumes where
it stopped and never asks for a saved page again. A page that is not a studies page stops the
fetch with an error naming it; the pages before it stay saved.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from msctrial.core.errors import InvalidInput, MsctrialError

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
MAX_PAGE_SIZE = 1000  # the API's cap (FORMAT.md §2)
MANIFEST = "fetch.manifest"  # JSON, named so that loading the folder reads only the pages


class FetchFailed(MsctrialError):
    """The registry did not answer with a studies page after every retry."""

    code = "registry_unavailable"
    status = 502


@dataclass(frozen=True)
class FetchResult:
    pages: int  # pages in the folder, saved earlier or now
    fetched: int  # pages fetched by this run
    studies: int  # studies in all saved pages
    total: int | None  # the registry's count for the query, when it gave one
    complete: bool  # the last page has been saved


def query_params(
    cond: str | None, intr: str | None, term: str | None, page_size: int
) -> dict[str, str]:
    if not (1 <= page_size <= MAX_PAGE_SIZE):
        raise InvalidInput(
            f"page_size: {page_size} is outside 1-{MAX_PAGE_SIZE} (the API's cap)",
            field="page_size",
        )
    params = {
        k: v.strip()
        for k, v in (("query.cond", cond), ("query.intr", intr), ("query.term", term))
        if v and v.strip()
    }
    if not params:
        raise InvalidInput(
            "query: give at least one of --cond, --intr or --term; the whole registry is the "
            "bulk download, not a query",
            field="query",
        )
    params["pageSize"] = str(page_size)
    params["format"] = "json"
    return params


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _load_manifest(out: Path, params: dict[str, str]) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.exists():
        return {"query": params, "pages": [], "complete": False, "total": None}
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"out: {path} is not a fetch manifest ({exc}); use an empty folder", field="out"
        ) from None
    if manifest.get("query") != params:
        raise InvalidInput(
            f"out: {out} holds pages of another query ({manifest.get('query')}); use a new "
            "folder for a new query",
            field="out",
        )
    # keep only pages whose file is still there, in order
    pages = []
    for page in manifest.get("pages", []):
        if not (out / page["file"]).is_file():
            break
        pages.append(page)
    manifest["pages"] = pages
    if len(pages) < len(manifest.get("pages", pages)):
        manifest["complete"] = False
    return manifest


def fetch_studies(
    out: Path,
    *,
    cond: str | None = None,
    intr: str | None = None,
    term: str | None = None,
    page_size: int = 100,
    base_url: str = DEFAULT_BASE_URL,
    client: httpx.Client | None = None,
    retries: int = 5,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    on_page: Callable[[int, int, int | None], None] | None = None,
) -> FetchResult:
    """Fetch every page of a query into ``out``; resume a fetch that stopped part-way."""
    params = query_params(cond, intr, term, page_size)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _load_manifest(out, params)
    pages: list[dict[str, Any]] = manifest["pages"]
    fetched = 0
    own_client = client is None
    http = client or httpx.Client(timeout=60.0, headers={"User-Agent": "msctrial registry fetch"})
    try:
        while not manifest["complete"]:
            token = pages[-1]["next_page_token"] if pages else None
            if pages and token is None:
                manifest["complete"] = True
                break
            request = dict(params)
            if token:
                request["pageToken"] = token
            else:
                request["countTotal"] = "true"
            number = len(pages) + 1
            raw = _get(
                http, f"{base_url.rstrip('/')}/studies", request, retries, backoff_s, sleep, number
            )
            page = _parse_page(raw, number)
            if page.get("totalCount") is not None:
                manifest["total"] = page["totalCount"]
            name = f"page-{number:04d}.json"
            _write_atomic(out / name, raw)
            next_token = page.get("nextPageToken") or None
            pages.append(
                {"file": name, "studies": len(page["studies"]), "next_page_token": next_token}
            )
            manifest["complete"] = next_token is None
            _write_atomic(out / MANIFEST, json.dumps(manifest, indent=2).encode())
            fetched += 1
            if on_page is not None:
                on_page(number, sum(p["studies"] for p in pages), manifest["total"])
    finally:
        if own_client:
            http.close()
    _write_atomic(out / MANIFEST, json.dumps(manifest, indent=2).encode())
    return FetchResult(
        pages=len(pages),
        fetched=fetched,
        studies=sum(p["studies"] for p in pages),
        total=manifest["total"],
        complete=manifest["complete"],
    )


def _get(
    http: httpx.Client,
    url: str,
    params: dict[str, str],
    retries: int,
    backoff_s: float,
    sleep: Callable[[float], None],
    number: int,
) -> bytes:
    last = ""
    for attempt in range(retries + 1):
        try:
            response = http.get(url, params=params)
        except httpx.TransportError as exc:
            last = f"{exc.__class__.__name__}: {exc}"
        else:
            if response.status_code == 200:
                return response.content
            last = f"HTTP {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                raise FetchFailed(
                    f"page {number}: the registry refused the query ({last}: "
                    f"{response.text[:200]}); check the query terms"
                )
            retry_after = response.headers.get("retry-after", "")
            if retry_after.isdigit() and attempt < retries:
                sleep(min(float(retry_after), 300.0))
                continue
        if attempt < retries:
            sleep(backoff_s * 2**attempt)
    raise FetchFailed(
        f"page {number}: no answer after {retries + 1} tries ({last}); run the same command "
        "again later to resume"
    )


def _parse_page(raw: bytes, number: int) -> dict[str, Any]:
    try:
        page = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise FetchFailed(
            f"page {number}: the registry sent malformed JSON ({exc}); the pages before it are "
            "saved; run the command again to resume"
        ) from None
    if not isinstance(page, dict) or not isinstance(page.get("studies"), list):
        raise FetchFailed(
            f"page {number}: not a studies page (no 'studies' list); the pages before it are saved"
        )
    token = page.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise FetchFailed(f"page {number}: nextPageToken is not a string")
    return page
