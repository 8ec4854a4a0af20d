"""The protocol page (design, arms, schedule, findings), the menu by role, and the admin's form
to upload a new version with a reason. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from msctrial.protocol import service
from tests.protocol.conftest import reference_data
from tests.web.conftest import csrf_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "protocols"
TRIAL = "MSC-COVID-DEMO"


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="main">(.*?)</nav>', html, re.S)
    assert nav, "no menu on the page"
    return re.findall(r">([^<]+)</a>", nav.group(1))


@pytest.mark.parametrize(
    ("username", "sees_audit"),
    [
        ("investigator", False),
        ("coordinator", False),
        ("pharmacist", False),
        ("statistician", False),
        ("qc", True),
        ("monitor", True),
        ("dsmb", True),
        ("admin", True),
    ],
)
def test_the_menu_follows_the_users_roles(login, username, sees_audit):
    labels = nav_labels(login(username).get("/").text)
    assert labels[:2] == ["Home", "Protocol"]
    assert ("Audit trail" in labels) is sees_audit


def test_the_protocol_page_shows_design_arms_schedule_and_findings(login):
    client = login("investigator")
    response = client.get("/protocol", follow_redirects=True)
    assert response.status_code == 200 and str(response.url).endswith(f"/protocols/{TRIAL}")
    html = response.text
    assert "<h1>Umbilical cord MSCs for severe COVID-19 - reference design</h1>" in html
    assert "No findings: the design meets every rule of the expert guidance." in html
    for fact in ("randomised", "quadruple", "placebo", "saline + 1% human albumin", "intravenous"):
        assert fact in html
    assert "2×10<sup>6</sup> cells/kg" in html  # the dose in the guidance's notation
    assert "<td>0, 3, 6 ±1 d</td>" in html  # administration days
    assert "<td>Day 180</td><td>180</td><td>±14 d</td>" in html  # a visit of the schedule
    assert 'id="upload"' not in html  # only an admin uploads


def test_findings_are_listed_with_level_rule_field_and_source(login, session, system):
    text = (EXAMPLES / "NCT04273646.yaml").read_text()
    service.save_protocol(session, system, text)
    session.commit()
    html = login("monitor").get("/protocols/NCT04273646").text
    assert "3 deviations, 2 advice." in html
    rows = re.findall(r'<tr class="finding"><td class="(\w+)">\w+</td><td><code>(\w+)</code>', html)
    assert rows == [
        ("deviation", "too_many_infusions"),
        ("deviation", "dose_per_kg_low"),
        ("deviation", "interval_short"),
        ("advice", "not_double_blind"),
        ("advice", "safety_endpoints"),
    ]
    assert "<code>arms[0].dosing.schedule</code>" in html and "seed §3.1" in html


def test_with_several_trials_the_protocol_menu_leads_to_the_list(login, session, system):
    service.save_protocol(session, system, (EXAMPLES / "NCT04288102.yaml").read_text())
    session.commit()
    client = login("monitor")
    response = client.get("/protocol")
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = client.get("/").text
    assert 'href="/protocols/NCT04288102"' in home and f'href="/protocols/{TRIAL}"' in home


def test_an_unknown_trial_or_version_is_a_404_page(login):
    client = login("monitor")
    for path in ("/protocols/NOPE", f"/protocols/{TRIAL}?version=9"):
        response = client.get(path)
        assert response.status_code == 404 and "<h1>Not found</h1>" in response.text


# --- the admin's upload form ----------------------------------------------------------------


def amended(**changes: object) -> str:
    data = reference_data()
    data.update(version="1.1", **changes)
    return yaml.safe_dump(data, sort_keys=False)


def upload(client, reason: str, text: str | None = None, as_file: bool = False):  # noqa: ANN001, ANN201
    page = client.get(f"/protocols/{TRIAL}")
    data = {"csrf_token": csrf_of(page.text), "reason": reason}
    files = None
    if as_file:
        files = {"file": ("protocol-v1.1.yaml", (text or amended()).encode(), "text/yaml")}
    else:
        data["yaml_text"] = text or amended()
    return client.post(f"/protocols/{TRIAL}/versions", data=data, files=files)


def test_an_admin_sees_the_upload_form(login):
    html = login("admin").get(f"/protocols/{TRIAL}").text
    assert 'id="upload"' in html and "saved as version 2" in html
    assert f'action="/protocols/{TRIAL}/versions"' in html and 'name="reason"' in html


@pytest.mark.parametrize("as_file", [False, True], ids=["pasted", "file"])
def test_an_admin_uploads_a_new_version_with_a_reason(login, as_file):
    client = login("admin")
    response = upload(
        client, "ethics approved longer follow-up", amended(follow_up_days=365), as_file
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/protocols/{TRIAL}?saved=2"
    html = client.get(response.headers["location"]).text
    assert "Saved as protocol version 2." in html
    assert "ethics approved longer follow-up" in html
    assert "365 days" in html
    old = client.get(f"/protocols/{TRIAL}?version=1").text
    assert "This is version 1" in old and "180 days" in old


def test_an_upload_without_a_reason_is_refused_and_nothing_is_written(login, factory):
    client = login("admin")
    response = upload(client, "  ")
    assert response.status_code == 422
    assert f"a reason is required to amend the protocol of {TRIAL}" in response.text
    assert "title: Umbilical cord MSCs" in response.text  # the pasted text is kept for a retry
    with factory() as s:
        assert [v.version_no for v in service.list_versions(s, TRIAL)] == [1]


def test_an_invalid_upload_shows_the_error_on_the_page(login):
    response = upload(login("admin"), "fix", "title: x\nversion: '2'\narms:\n  - dosage: 1\n")
    assert response.status_code == 422
    assert "arms[0].dosage: unknown key; allowed here: name" in response.text


def test_uploading_the_same_text_again_changes_nothing(login, factory):
    with factory() as s:
        same = service.get_protocol(s, TRIAL).version.yaml_text
    response = upload(login("admin"), "no change", same)
    assert response.headers["location"] == f"/protocols/{TRIAL}?saved=1"


def test_an_upload_form_without_its_csrf_token_is_refused(login):
    client = login("admin")
    response = client.post(
        f"/protocols/{TRIAL}/versions", data={"reason": "x", "yaml_text": amended()}
    )
    assert response.status_code == 403


def test_only_an_admin_may_upload(login):
    response = upload(login("monitor"), "not mine to change")
    assert response.status_code == 403 and "you need the role admin" in response.text


def test_an_admin_registers_the_first_protocol_of_an_empty_deployment(settings, bare_engine):
    from fastapi.testclient import TestClient

    from msctrial.core.actors import Actor
    from msctrial.core.session import create_all, make_sessionmaker
    from msctrial.core.users import add_user
    from msctrial.web.app import create_app
    from tests.web.conftest import log_in

    create_all(bare_engine)
    with make_sessionmaker(bare_engine)() as s:
        add_user(s, Actor.system_actor("test"), "admin", "admin-password", grants=[("admin", None)])
    app = create_app(settings, bare_engine)
    with TestClient(app, follow_redirects=False) as client:
        log_in(client, "admin", "admin-password")
        page = client.get("/protocol")
        assert page.status_code == 200 and "No protocol is registered yet." in page.text
        response = client.post(
            "/protocols",
            data={"csrf_token": csrf_of(page.text), "trial": "MSC-2027"},
            files={
                "file": ("p.yaml", (EXAMPLES / "guidance-reference.yaml").read_bytes(), "text/yaml")
            },
        )
        assert (
            response.status_code == 303
            and response.headers["location"] == "/protocols/MSC-2027?saved=1"
        )
        assert client.get("/protocol").headers["location"] == "/protocols/MSC-2027"


def test_the_home_page_lists_each_trial_with_its_guidance_verdict(login, session, system):
    service.save_protocol(session, system, (EXAMPLES / "NCT04273646.yaml").read_text())
    session.commit()
    html = login("coordinator").get("/").text
    assert re.search(
        r'<a class="deviation" href="/protocols/NCT04273646#findings">3 deviations</a>, 2 advice',
        html,
    )
    assert '<span class="ok">meets every rule</span>' in html  # the reference design


def test_the_menu_marks_the_section_being_read(login):
    html = login("monitor").get(f"/protocols/{TRIAL}").text
    assert '<a href="/protocol" aria-current="page">Protocol</a>' in html
    assert '<a href="/">Home</a>' in html
