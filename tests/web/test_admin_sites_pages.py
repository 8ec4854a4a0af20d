"""Web administration of sites: created and edited through the same service as
``msctrial site``, audited, and refused with the field and its allowed range named."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from msctrial.core.tables import AuditEntry, Site
from tests.web.conftest import csrf_of

KUNMING = {  # about 1,890 m, PB ≈ 608 mmHg (CLINICAL_FACTS §0)
    "code": "kmh",
    "name": "Kunming Second Hospital",
    "country": "cn",
    "timezone": "Asia/Shanghai",
    "altitude_m": "1890",
    "barometric_pressure_mmhg": "608",
}


def _admin(login):  # noqa: ANN001, ANN202
    client = login("admin")
    return client, csrf_of(client.get("/admin/sites").text)


def _sites(session) -> int:  # noqa: ANN001
    n = session.scalar(select(func.count()).select_from(Site))
    session.commit()
    return int(n or 0)


def test_an_administrator_creates_a_site_with_its_altitude_and_pressure(login, session):
    client, csrf = _admin(login)
    created = client.post("/admin/sites", data={"csrf_token": csrf, **KUNMING})
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/admin/sites/KMH?done=created"
    row = session.scalar(select(Site).where(Site.code == "KMH"))
    assert row is not None
    assert (row.country, row.altitude_m, row.barometric_pressure_mmhg, row.timezone) == (
        "CN",
        1890,
        608,
        "Asia/Shanghai",
    )
    session.commit()
    listed = client.get("/admin/sites").text
    assert 'data-site="KMH"' in listed and "608" in listed


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"barometric_pressure_mmhg": "1013"}, "barometric_pressure_mmhg", "300 and 800 mmHg"),
        ({"barometric_pressure_mmhg": "high"}, "barometric_pressure_mmhg", "not a number"),
        ({"altitude_m": "9000"}, "altitude_m", "-500 and 6000 m"),
        ({"timezone": "Beijing"}, "timezone", "not an IANA time zone"),
        ({"code": "W"}, "code", "2-16 letters or digits"),
        ({"code": "WUH"}, "code", "already exists"),
        ({"name": " "}, "name", "give the site's name"),
        ({"country": "China"}, "country", "two-letter ISO code"),
    ],
    ids=["hpa", "words", "altitude", "zone", "short-code", "taken", "no-name", "country"],
)
def test_a_bad_site_names_the_field_and_its_range_and_writes_nothing(
    login, session, change, field, says
):
    client, csrf = _admin(login)
    before = _sites(session)
    refused = client.post("/admin/sites", data={"csrf_token": csrf, **KUNMING, **change})
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert f'id="{field}-error"' in text and f'aria-describedby="{field}-error"' in text
    assert says in text
    assert _sites(session) == before


def test_a_site_is_edited_with_a_reason_and_the_change_is_audited(login, session):
    client, csrf = _admin(login)
    edit = {
        "csrf_token": csrf,
        "name": "Wuhan Jinyintan Hospital",
        "country": "CN",
        "timezone": "Asia/Shanghai",
        "altitude_m": "37",
        "barometric_pressure_mmhg": "757",
    }
    refused = client.post("/admin/sites/WUH", data=edit)
    assert refused.status_code == 422 and 'id="reason-error"' in refused.text
    saved = client.post("/admin/sites/WUH", data=edit | {"reason": "surveyed altitude"})
    assert saved.status_code == 303
    session.expire_all()  # the trial fixture loaded the sites into this session
    row = session.scalar(select(Site).where(Site.code == "WUH"))
    assert row is not None and (row.altitude_m, row.barometric_pressure_mmhg) == (37, 757)
    entry = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity == "site", AuditEntry.reason == "surveyed altitude")
        .order_by(AuditEntry.seq.desc())
    )
    session.commit()
    assert entry is not None and entry.actor == "admin"


def test_an_edit_out_of_range_changes_nothing(login, session):
    client, csrf = _admin(login)
    page = client.get("/admin/sites/WUH").text
    assert 'name="altitude_m"' in page
    before = session.scalar(select(Site.barometric_pressure_mmhg).where(Site.code == "WUH"))
    session.commit()
    refused = client.post(
        "/admin/sites/WUH",
        data={
            "csrf_token": csrf,
            "name": "Wuhan",
            "barometric_pressure_mmhg": "101.3",
            "reason": "kPa typed",
        },
    )
    assert refused.status_code == 422
    assert "barometric_pressure_mmhg: must lie between 300 and 800 mmHg" in refused.text
    after = session.scalar(select(Site.barometric_pressure_mmhg).where(Site.code == "WUH"))
    session.commit()
    assert after == before


def test_an_unknown_site_is_a_404(login):
    client, csrf = _admin(login)
    assert client.get("/admin/sites/XYZ").status_code == 404
    posted = client.post("/admin/sites/XYZ", data={"csrf_token": csrf, "name": "X", "reason": "r"})
    assert posted.status_code == 404
