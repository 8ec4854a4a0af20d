"""The record home shows every time at the subject's site, with its offset, whoever reads it:
a trial-wide monitor too, who used to get UTC (issue 15, item 7)."""

from __future__ import annotations

import datetime as dt

from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.screening import prescreen_patient
from msctrial.core.sites import SiteDetails, get_site, update_site


def test_a_monitor_reads_the_consent_time_at_the_subjects_site(login, session, trial) -> None:
    # Sites in two zones, so a trial-wide reader has no one zone of their own.
    for code, zone in (("WUH", "Asia/Shanghai"), ("BJS", "Asia/Urumqi")):
        site = get_site(session, code)
        update_site(
            session,
            trial.actor("admin"),
            code,
            SiteDetails(name=site.name, timezone=zone, altitude_m=site.altitude_m),
            reason="the sites' own zones",
        )
    code = prescreen_patient(session, trial.actor("investigator"), "WUH").subject_code
    signed = dt.datetime(2026, 3, 3, 1, 15, tzinfo=dt.UTC)  # 09:15 in Wuhan
    record_consent(
        session, trial.actor("investigator"), code, form_version="1", consented_at=signed
    )
    page = login("monitor").get(f"/clinical/subjects/{code}")
    assert page.status_code == 200
    assert "09:15 UTC+8" in page.text
    assert "01:15 UTC" not in page.text
