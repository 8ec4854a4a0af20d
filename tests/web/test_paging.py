"""Long lists come a page at a time, and a page does not recompute what has not changed
(issue 15, item 5)."""

from __future__ import annotations

import re

import pytest

from msctrial.clinical.subjects.screening import prescreen_patient
from msctrial.web import paging as paging_module
from msctrial.web.pages import monitoring as monitoring_pages
from msctrial.web.paging import Paging


def test_a_page_knows_its_rows_and_how_many_pages_there_are() -> None:
    paging = Paging(number=3, total=250, size=100)
    assert (paging.offset, paging.first_row, paging.last_row, paging.pages) == (200, 201, 250, 3)
    assert Paging(number=1, total=0).pages == 1
    assert Paging(number=1, total=0).first_row == 0


def _rows(html: str) -> list[str]:
    return re.findall(r'<td><a href="/clinical/subjects/([^"]+)"', html)


@pytest.fixture
def many_subjects(session, trial, monkeypatch) -> None:  # noqa: ANN001
    """21 subjects and pages of 10 (the list pages' own size is 100)."""
    monkeypatch.setattr(paging_module, "PAGE_SIZE", 10)
    for site, count in (("WUH", 18), ("BJS", 3)):
        actor = trial.actor("investigator" if site == "WUH" else "investigator.bjs")
        for _ in range(count):
            prescreen_patient(session, actor, site)


def test_the_subject_list_shows_one_page_of_rows_and_counts_all(login, many_subjects) -> None:
    client = login("monitor")
    first = client.get("/clinical")
    assert first.status_code == 200
    assert len(_rows(first.text)) == 10
    assert "Rows 1–10 of 21" in first.text
    assert 'href="/clinical?page=2" rel="next"' in first.text
    last = client.get("/clinical?page=3")
    assert len(_rows(last.text)) == 1
    assert "Rows 21–21 of 21" in last.text and 'rel="next"' not in last.text
    everyone = set(_rows(first.text)) | set(_rows(client.get("/clinical?page=2").text))
    assert len(everyone | set(_rows(last.text))) == 21  # no subject on two pages, none missed


def test_a_page_of_site_staff_counts_only_their_sites_subjects(login, many_subjects) -> None:
    page = login("investigator.bjs").get("/clinical?status=prescreening")
    assert "Rows 1–3 of 3" in page.text
    assert all(code.startswith("BJS") for code in _rows(page.text))


def test_the_page_number_is_checked(login) -> None:
    response = login("monitor").get("/clinical?page=0")
    assert response.status_code == 422


@pytest.fixture
def kri_computations(monkeypatch) -> list[str]:  # noqa: ANN001
    """Whom the dashboard's key risk indicators were computed for, in order."""
    calls: list[str] = []
    compute = monitoring_pages.key_risk_indicators

    def counted(db, actor, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(actor.username)
        return compute(db, actor, *args, **kwargs)

    monkeypatch.setattr(monitoring_pages, "key_risk_indicators", counted)
    return calls


def test_the_dashboard_is_computed_once_until_the_data_changes(
    login, session, trial, kri_computations
) -> None:  # noqa: ANN001
    calls = kri_computations
    client = login("monitor")
    assert client.get("/monitoring").status_code == 200
    assert client.get("/monitoring").status_code == 200
    assert calls == ["monitor"]
    prescreen_patient(session, trial.actor("investigator"), "WUH")  # an audited write
    assert client.get("/monitoring").status_code == 200
    assert calls == ["monitor", "monitor"]


def test_a_cached_dashboard_is_never_served_to_a_user_with_other_grants(
    login, client, kri_computations
) -> None:  # noqa: ANN001
    calls = kri_computations
    assert login("monitor").get("/monitoring").status_code == 200
    client.post(
        "/logout",
        data={
            "csrf_token": re.search(
                r'name="csrf_token" value="([^"]+)"', client.get("/").text
            ).group(1)
        },
    )
    site_view = login("investigator.bjs").get("/monitoring")
    assert site_view.status_code == 200
    assert calls == ["monitor", "investigator.bjs"]
    assert "WUH" not in re.sub(r"<nav.*?</nav>", "", site_view.text, flags=re.S)
