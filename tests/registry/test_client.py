"""The API v2 client against a local HTTP server serving pages in the real shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msctrial.core.errors import InvalidInput
from msctrial.registry.client import FetchFailed, fetch_studies
from msctrial.registry.reader import read_studies


def fetch(out: Path, base_url: str, **kw):
    return fetch_studies(out, cond="covid-19", intr="mesenchymal", page_size=2, base_url=base_url,
                         backoff_s=0.0, sleep=lambda s: None, **kw)  # fmt: skip


def test_every_page_is_fetched_by_following_next_page_tokens(tmp_path, registry):
    state, url = registry
    seen = []
    result = fetch(
        tmp_path, url, on_page=lambda n, studies, total: seen.append((n, studies, total))
    )
    assert (result.pages, result.studies, result.total, result.complete) == (3, 5, 5, True)
    assert seen == [(1, 2, 5), (2, 4, 5), (3, 5, 5)]
    first, second = state.requests[0], state.requests[1]
    assert first["query.cond"] == ["covid-19"] and first["query.intr"] == ["mesenchymal"]
    assert (
        first["pageSize"] == ["2"] and first["countTotal"] == ["true"] and "pageToken" not in first
    )
    assert second["pageToken"] == ["t2"] and second["query.cond"] == [
        "covid-19"
    ]  # the query repeated
    ids = [i.study.trial_id for i in read_studies(sorted(tmp_path.glob("page-*.json")))]
    assert ids == [f"NCT0910000{k}" for k in range(1, 6)]


def test_a_500_is_retried_with_back_off_and_then_succeeds(tmp_path, registry):
    state, url = registry
    state.failures["t2"] = [500, 503, 429]
    waits: list[float] = []
    result = fetch_studies(
        tmp_path, cond="covid-19", page_size=2, base_url=url, backoff_s=0.5, sleep=waits.append
    )
    assert result.complete and result.studies == 5
    assert waits == [0.5, 1.0, 0.0]  # doubling back-off; Retry-After: 0 honoured for the 429
    assert len(state.requests) == 3 + 3


def test_a_registry_that_keeps_failing_stops_with_an_error_and_keeps_the_pages_saved(
    tmp_path, registry
):
    state, url = registry
    state.failures["t2"] = [500] * 10
    with pytest.raises(FetchFailed, match="page 2: no answer after 3 tries"):
        fetch(tmp_path, url, retries=2)
    assert [p.name for p in sorted(tmp_path.glob("page-*.json"))] == ["page-0001.json"]


def test_a_stopped_fetch_resumes_without_asking_for_saved_pages_again(tmp_path, registry):
    state, url = registry
    state.failures["t3"] = [500] * 10
    with pytest.raises(FetchFailed, match=r"page 3: no answer after 2 tries"):
        fetch(tmp_path, url, retries=1)
    asked_before = len(state.requests)
    state.failures["t3"] = []  # the registry is back
    result = fetch(tmp_path, url)
    assert result.complete and (result.pages, result.fetched, result.studies) == (3, 1, 5)
    tokens = [q.get("pageToken", [None])[0] for q in state.requests[asked_before:]]
    assert tokens == ["t3"]  # pages 1 and 2 were not fetched again
    again = fetch(tmp_path, url)
    assert again.fetched == 0 and len(state.requests) == asked_before + 1


def test_a_malformed_page_stops_the_fetch_naming_the_page(tmp_path, registry):
    state, url = registry
    state.failures["t2"] = [b'{"studies": [ {"protocolSection": ']
    with pytest.raises(FetchFailed, match="page 2: the registry sent malformed JSON"):
        fetch(tmp_path, url)
    state.failures["t3"] = [b'{"results": []}']
    with pytest.raises(FetchFailed, match="page 3: not a studies page"):
        fetch(tmp_path, url)
    assert fetch(tmp_path, url).complete


def test_a_folder_holding_another_query_is_refused(tmp_path, registry):
    _, url = registry
    fetch(tmp_path, url)
    with pytest.raises(InvalidInput, match="another query"):
        fetch_studies(tmp_path, cond="influenza", page_size=2, base_url=url)
    manifest = json.loads((tmp_path / "fetch.manifest").read_text())
    assert manifest["complete"] is True and len(manifest["pages"]) == 3


@pytest.mark.parametrize("kw, field", [({"page_size": 0}, "page_size"), ({"page_size": 1001}, "page_size"),
                                        ({"cond": None, "intr": " "}, "query")])  # fmt: skip
def test_a_bad_query_is_refused_before_anything_is_asked(tmp_path, kw, field):
    args = {"cond": "covid-19", "page_size": 10, **kw}
    with pytest.raises(InvalidInput) as err:
        fetch_studies(tmp_path, base_url="http://127.0.0.1:9/none", **args)
    assert err.value.field == field


def test_a_refused_query_is_not_retried(tmp_path, registry):
    state, url = registry
    state.pages.pop("t2")
    with pytest.raises(FetchFailed, match="refused the query"):
        fetch(tmp_path, url)
    assert len(state.requests) == 2
