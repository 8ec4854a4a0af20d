"""The monitoring JSON API: what `msctrial monitor … --json` prints, for the web's users; a site
user gets their own site, the scorecard needs a trial-wide role, and no body names an arm."""

from __future__ import annotations

import json

import pytest

from tests.monitoring.test_pages import browse  # noqa: F401  (the fixture)


def test_a_monitor_gets_every_kri_row_of_every_site(browse):  # noqa: F811
    body = browse("monitor").get("/api/v1/monitoring/kri")
    assert body.status_code == 200, body.text
    rows = body.json()
    assert {r["site"] for r in rows} == {"WUH", "BJS", "KMG"}
    assert {"AE", "LB", "PD", "IPD", "BLKD", "SRS"} <= {r["kri"] for r in rows}
    assert set(rows[0]) == {
        "kri",
        "site",
        "numerator",
        "denominator",
        "metric",
        "score",
        "flag",
        "note",
    }


def test_a_site_investigator_gets_their_own_sites_rows_and_plan(browse):  # noqa: F811
    client = browse("investigator.bjs")
    kri = client.get("/api/v1/monitoring/kri").json()
    plan = client.get("/api/v1/monitoring/plan").json()
    assert {r["site"] for r in kri} == {"BJS"} and [p["site"] for p in plan] == ["BJS"]
    assert client.get("/api/v1/monitoring/kri?site=WUH").status_code == 404
    assert client.get("/api/v1/monitoring/scorecard").status_code == 403
    assert client.get("/api/v1/monitoring/kri?by=country").status_code == 403


def test_the_plan_riskiest_site_first_and_the_five_part_scorecard(browse):  # noqa: F811
    client = browse("monitor")
    plan = client.get("/api/v1/monitoring/plan").json()
    scores = [p["risk_score"] for p in plan]
    assert scores == sorted(scores, reverse=True) and len(plan) == 3
    assert {"site", "risk_score", "intensity", "flagged", "critical_data"} == set(plan[0])
    card = client.get("/api/v1/monitoring/scorecard").json()
    assert [p["part"] for p in card["parts"]] == [
        "ethics_compliance",
        "scientific_design",
        "stem_cell_product",
        "execution_progress",
        "execution_quality",
    ]


@pytest.mark.parametrize(
    "path",
    ["/kri", "/kri?by=country", "/plan", "/scorecard", "/records?kri=AE", "/qtl"],
)
def test_no_monitoring_body_names_an_arm(browse, path):  # noqa: F811
    body = browse("monitor").get(f"/api/v1/monitoring{path}")
    assert body.status_code == 200, body.text
    text = json.dumps(body.json())
    # The scorecard names the design's control ("placebo"), as the protocol does; no body
    # names an allocation: no arm field, no product kind, no lot (a lot's code tells the arm).
    for leak in ('"arm"', '"product_kind"', "PLA-DEMO", "UCM-DEMO"):
        assert leak not in text, (path, leak)


def test_an_unknown_kri_is_a_404_naming_the_known_ones(browse):  # noqa: F811
    body = browse("monitor").get("/api/v1/monitoring/records?kri=XYZ")
    assert body.status_code == 404
    assert "known: AE" in body.json()["error"]["message"]
