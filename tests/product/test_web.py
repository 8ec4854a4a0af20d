"""Product pages and JSON API: what QC and the pharmacy do, and what blinded users never see.

Blinding is asserted on raw response bodies: no lot code, no kind, no cell count.
"""

from __future__ import annotations

import re

import pytest

from msctrial.product import service
from tests.product.conftest import NOW
from tests.web.conftest import csrf_of

BLINDED = ["investigator", "coordinator", "monitor", "statistician", "admin"]


def _issue(session, trial, kind, subject):  # noqa: ANN001, ANN202
    pharmacist = trial.actor("pharmacist")
    unit = service.available_units(session, pharmacist, kind=kind, now=NOW)[0].code
    service.issue_units(
        session,
        pharmacist,
        [unit],
        kind=kind,
        subject_code=subject,
        site_id=trial.sites["WUH"].id,
        administration_no=1,
        now=NOW,
    )
    session.commit()
    return unit


def _reveals(body: str, stock) -> list[str]:  # noqa: ANN001
    """Words in a response body that would tell a blinded user the arm."""
    words = [stock.cells, stock.placebo, "placebo", "cells", "UC-MSC", "1e+08", "100000000"]
    return [w for w in words if w.lower() in body.lower()]


@pytest.mark.parametrize("username", BLINDED)
def test_blinded_users_get_403_and_no_lot_data_from_every_product_route(
    client, login, token, session, trial, stock, username
):
    _issue(session, trial, "cells", "WUH-001")
    headers = token(username)
    for path in [
        "/api/v1/product/lots",
        f"/api/v1/product/lots/{stock.cells}",
        f"/api/v1/product/lots/{stock.cells}/certificate",
        f"/api/v1/product/lots/{stock.cells}/trace",
        "/api/v1/product/subjects/WUH-001/trace",
        "/api/v1/product/units/available?kind=cells",
        "/api/v1/product/specifications",
        "/api/v1/product/recalls",
    ]:
        response = client.get(path, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert _reveals(response.text, stock) == [], path
    login(username)
    for path in [
        "/product/lots",
        f"/product/lots/{stock.cells}",
        f"/product/lots/{stock.cells}/labels",
        f"/product/lots/{stock.cells}/certificate",
        f"/product/trace?lot={stock.cells}",
        "/product/trace?subject=WUH-001",
        "/product/recalls",
    ]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert _reveals(response.text, stock) == [], path
    home = client.get("/")
    assert "/product/lots" not in home.text and "/product/trace" not in home.text


def test_a_blinded_investigator_sees_the_same_issue_record_for_cells_and_placebo(
    client, token, session, trial, stock
):
    cell_unit = _issue(session, trial, "cells", "WUH-001")
    placebo_unit = _issue(session, trial, "placebo", "WUH-002")
    headers = token("investigator")
    bodies = [
        client.get(f"/api/v1/product/subjects/{s}/units", headers=headers)
        for s in ("WUH-001", "WUH-002")
    ]
    assert all(b.status_code == 200 for b in bodies)
    assert _reveals(bodies[0].text, stock) == [] and _reveals(bodies[1].text, stock) == []
    assert set(bodies[0].json()[0]) == set(bodies[1].json()[0])
    assert (
        bodies[0].json()[0]["unit_code"] == cell_unit
        and bodies[1].json()[0]["unit_code"] == placebo_unit
    )
    pharmacy = client.get(
        "/api/v1/product/subjects/WUH-001/units", headers=token("pharmacist")
    ).json()
    assert pharmacy[0]["lot_code"] == stock.cells and pharmacy[0]["kind"] == "cells"


def test_the_audit_trail_seals_which_lot_a_unit_belongs_to(client, token, session, trial, stock):
    _issue(session, trial, "cells", "WUH-001")
    body = client.get("/api/v1/audit?entity=product_unit&limit=1000", headers=token("monitor")).text
    assert '"lot_id":["[blinded]"' in body.replace(" ", "") or "[blinded]" in body
    assert "1e+08" not in body and "100000000" not in body
    unit_codes = [
        u.code
        for u in service.available_units(session, trial.actor("pharmacist"), kind="cells", now=NOW)
    ]
    assert not any(code in body for code in unit_codes)


def test_labels_have_the_same_format_for_cells_and_placebo(client, login, stock):
    login("pharmacist")
    pages = [client.get(f"/product/lots/{lot}/labels").text for lot in (stock.cells, stock.placebo)]

    def label_shape(html: str) -> set[str]:
        labels = re.findall(
            r'<div class="label" data-unit="U-[A-Z2-7]{12}">(.*?)</div>\n</div>', html, re.S
        )
        assert len(labels) == 4
        return {re.sub(r"<svg.*?</svg>|U-[A-Z2-7]{12}", "·", label, flags=re.S) for label in labels}

    assert label_shape(pages[0]) == label_shape(pages[1])
    assert len(label_shape(pages[0])) == 1
    assert "<svg" in pages[0] and _reveals(pages[0].split('<div class="labels">')[1], stock) == []


def test_qc_enters_results_and_releases_a_lot_from_the_pages(client, login, session, trial, stock):
    from msctrial.product.specification import Level
    from tests.product.conftest import as_yaml, cell_sheet, passing_results, spec_of

    login("qc")
    page = client.get("/product/lots")
    response = client.post(
        "/product/lots",
        data={"csrf_token": csrf_of(page.text), "yaml": as_yaml(cell_sheet("UCM-W-001"))},
    )
    assert response.status_code == 303 and response.headers["location"] == "/product/lots/UCM-W-001"
    lot = client.get("/product/lots/UCM-W-001")
    assert "release inspection: no result for viability" in lot.text
    form = {"csrf_token": csrf_of(lot.text), "level": "release", "tested_on": "2026-10-10"}
    for r in passing_results(spec_of("msc-default"), Level.release):
        if r.value is not None:
            form[f"value_{r.test}"] = str(r.value)
            form[f"unit_{r.test}"] = r.unit or ""
        else:
            form[f"outcome_{r.test}"] = r.outcome
    saved = client.post("/product/lots/UCM-W-001/results", data=form)
    assert saved.status_code == 200 and "10 release result(s) saved" in saved.text
    wrong = client.post(
        "/product/lots/UCM-W-001/release",
        data={"csrf_token": csrf_of(saved.text), "password": "nope"},
    )
    assert wrong.status_code == 401 and "the password is wrong" in wrong.text
    signed = client.post(
        "/product/lots/UCM-W-001/release",
        data={"csrf_token": csrf_of(saved.text), "password": trial.passwords["qc"]},
    )
    assert signed.status_code == 200 and 'id="lot-status">released' in signed.text
    cert = client.get("/product/lots/UCM-W-001/certificate")
    assert cert.status_code == 200 and "Certificate of analysis" in cert.text
    assert (
        "Liu Yang" in cert.text
        and "Released for clinical use" in cert.text
        and "≥ 95 %" in cert.text
    )


def test_the_api_refuses_a_blocked_release_with_every_reason(client, token, session, trial):
    from tests.product.conftest import as_yaml, cell_sheet

    headers = token("qc")
    created = client.post(
        "/api/v1/product/lots",
        json={"yaml": as_yaml(cell_sheet("UCM-A-001", process_version="9"))},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    response = client.post(
        "/api/v1/product/lots/UCM-A-001/release",
        json={"password": trial.passwords["qc"]},
        headers=headers,
    )
    assert response.status_code == 409
    reasons = response.json()["error"]["details"]["reasons"]
    assert reasons[0] == "no passed quality inspection of UC-MSC process version 9"
    assert len(reasons) == 11  # no quality inspection + 10 missing release results


def test_a_malformed_lot_sheet_over_the_api_names_the_field(client, token):
    response = client.post(
        "/api/v1/product/lots", json={"yaml": "lot: X1\nproduct: [\n"}, headers=token("qc")
    )
    assert response.status_code == 422 and "malformed YAML" in response.json()["error"]["message"]


def test_the_dsmb_and_the_pharmacist_trace_by_lot_and_by_subject(
    client, token, session, trial, stock
):
    unit = _issue(session, trial, "cells", "WUH-001")
    for username in ("dsmb", "pharmacist"):
        headers = token(username)
        by_lot = client.get(f"/api/v1/product/lots/{stock.cells}/trace", headers=headers).json()
        assert [(r["subject_code"], r["unit_code"]) for r in by_lot["recipients"]] == [
            ("WUH-001", unit)
        ]
        by_subject = client.get("/api/v1/product/subjects/WUH-001/trace", headers=headers).json()
        assert by_subject["lots"][0]["lot"]["code"] == stock.cells
        assert by_subject["lots"][0]["release"]["passed"] is True


def test_qc_traces_a_lot_to_dispensations_and_never_to_a_subject(
    client, login, token, session, trial, stock
):
    unit = _issue(session, trial, "cells", "WUH-001")
    headers = token("qc")
    by_lot = client.get(f"/api/v1/product/lots/{stock.cells}/trace", headers=headers)
    assert [(r["subject_code"], r["unit_code"]) for r in by_lot.json()["recipients"]] == [
        (None, unit)
    ]
    assert re.fullmatch(r"D\d{6}", by_lot.json()["recipients"][0]["dispensation"])
    assert "WUH-001" not in by_lot.text
    by_subject = client.get("/api/v1/product/subjects/WUH-001/trace", headers=headers)
    assert by_subject.status_code == 403 and stock.cells not in by_subject.text
    login("qc")
    page = client.get(f"/product/trace?lot={stock.cells}")
    assert page.status_code == 200 and unit in page.text and "WUH-001" not in page.text
    assert 'id="trace-subject"' not in page.text
    assert client.get("/product/trace?subject=WUH-001").status_code == 403


def test_qc_recalls_a_lot_from_its_page_and_the_recall_page_lists_its_recipients(
    client, login, session, trial, stock
):
    _issue(session, trial, "cells", "WUH-001")
    _issue(session, trial, "cells", "WUH-002")
    login("qc")
    lot = client.get(f"/product/lots/{stock.cells}")
    assert 'id="recall-form"' in lot.text and 'id="release-form"' not in lot.text
    response = client.post(
        f"/product/lots/{stock.cells}/recall",
        data={
            "csrf_token": csrf_of(lot.text),
            "password": trial.passwords["qc"],
            "reason": "sterility retest positive",
        },
    )
    assert response.status_code == 303
    recalls = client.get(response.headers["location"])
    assert "2 recipient subject(s) marked for follow-up" in recalls.text
    assert recalls.text.count("data-follow-up=") == 2
    assert "WUH-001" not in recalls.text and "/close" not in recalls.text
    assert client.get("/product/lots").text.count("recalled") >= 1
    login("pharmacist")
    pharmacy = client.get("/product/recalls")
    assert 'data-subject="WUH-001"' in pharmacy.text and 'data-subject="WUH-002"' in pharmacy.text
    assert pharmacy.text.count("/close") == 2


def test_the_pharmacist_reads_lots_but_has_no_release_or_result_forms(client, login, stock):
    login("pharmacist")
    page = client.get(f"/product/lots/{stock.cells}")
    assert page.status_code == 200 and stock.cells in page.text
    assert "release-form" not in page.text and "results-form" not in page.text
    assert client.get("/product/lots/NO-SUCH-LOT").status_code == 404


def test_a_form_post_without_the_csrf_token_is_refused(client, login, stock):
    login("qc")
    response = client.post(
        f"/product/lots/{stock.cells}/recall",
        data={"csrf_token": "forged", "password": "x", "reason": "y"},
    )
    assert response.status_code == 403
