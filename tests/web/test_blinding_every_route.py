"""Every route of the application, as every role: no allocation leaks, no other site's subject.

The world is the demo (every package's step) plus subjects enrolled, randomised, dosed and
unblinded through the clinical services at two sites. The walk fills each path parameter from
that world, so routes added later by any package are walked too. It asserts on raw bodies:

1. a blinded user's body never holds an allocation: no lot code of the trial's lots, no
   ``arm``/``product_kind``/``lot_code`` field, no kind of a dispensed unit, no arm name (outside
   the pages that describe the protocol's design and other trials);
2. a blinded user's bodies are byte-identical after the arms of every allocation are swapped
   behind the application's back (the pharmacist's are not: the check can see a difference);
3. a site user gets 403/404 for another site's subject and never sees its code in a 200 body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from msctrial.clinical.randomisation.tables import Allocation, RandomisationSlot
from msctrial.core.db import make_engine
from msctrial.web.page_cache import PageCache
from tests.web.blinding_world import (
    ARMS,
    BLINDED,
    FIELD_LEAK,
    SITE_USERS,
    World,
    _bodies,
    _body,
    _get,
    _leaks,
    _routes,
    make_clients,
    make_world,
    walk,
    walk_one,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory)


@pytest.fixture(scope="module")
def clients(world: World) -> Iterator[dict[str, TestClient]]:
    yield from make_clients(world)


def test_no_route_shows_a_blinded_user_an_allocation(world, clients):
    app = clients["admin"].app
    paths = list(walk(app, world))
    assert len(paths) > 20 and any("/clinical/subjects/" in p for p, _ in paths)
    # Monitors see no arm: the monitoring pages and JSON routes are walked too (issue 11).
    assert {"/monitoring", "/api/v1/monitoring/kri", "/api/v1/monitoring/plan"} <= {
        p for p, _ in paths
    } and "/api/v1/monitoring/scorecard" in {p for p, _ in paths}
    # The administration and QC's lot form are walked too (issue 15, item 4).
    assert {"/admin", "/admin/users/coordinator", "/admin/sites/WUH", "/product/new-lot"} <= {
        p for p, _ in paths
    }
    # The statistician's blinded report, on the page and in both downloads (issue 10).
    assert {"/analysis", "/analysis/report.html", "/analysis/report.pdf"} <= {p for p, _ in paths}
    leaks = []
    for username in BLINDED:
        for path, _ in paths:
            if world.exempt(username, path):
                continue
            r = _get(clients[username], path)
            found = _leaks(_body(r), path, world)
            if found:
                leaks.append((username, path, r.status_code, found))
    assert leaks == []


def test_the_pharmacist_is_unblinded_so_the_check_can_see_an_arm(world, clients):
    wuh = world.codes_by_site["WUH"][0]
    body = clients["pharmacist"].get(f"/api/v1/clinical/subjects/{wuh}").text
    assert FIELD_LEAK.search(body) and any(arm in body for arm in ARMS)


def test_only_the_unblinder_sees_the_arm_on_an_unblinding_result(world, clients):
    username, path = world.unblinded_page
    shown = clients[username].get(path)
    assert shown.status_code == 200 and 'id="unblinded-arm"' in shown.text
    assert any(arm in shown.text for arm in ARMS)
    for other in ("coordinator", "monitor", "statistician", "investigator.bjs"):
        r = clients[other].get(path)
        assert r.status_code in (403, 404), other
        assert not _leaks(r.text, path, world), other


def test_swapping_every_arm_changes_no_blinded_users_page(world, clients):
    before = _bodies(clients, BLINDED + ("pharmacist",), world)
    engine = make_engine(world.settings)
    swap = {ARMS[0]: "__swap__", ARMS[1]: ARMS[0], "__swap__": ARMS[1]}
    try:
        with engine.begin() as conn:
            for table in (Allocation.__table__, RandomisationSlot.__table__):
                for old in (ARMS[0], ARMS[1], "__swap__"):
                    conn.execute(update(table).where(table.c.arm == old).values(arm=swap[old]))
        # The swap bypasses the audit trail, so the pages' cache (keyed by the trail) would
        # serve what it made before it: start the cache afresh, so every page is made again.
        app = next(iter(clients.values())).app
        app.state.page_cache = PageCache()
        after = _bodies(clients, BLINDED + ("pharmacist",), world)
    finally:
        with engine.begin() as conn:
            for table in (Allocation.__table__, RandomisationSlot.__table__):
                for old in (ARMS[0], ARMS[1], "__swap__"):
                    conn.execute(update(table).where(table.c.arm == old).values(arm=swap[old]))
        engine.dispose()
    changed = sorted({key for key in before if before[key] != after[key]})
    assert [k for k in changed if k[0] != "pharmacist" and not world.exempt(*k)] == []
    assert world.unblinded_page in changed
    assert set(world.susar_pages) <= set(changed)
    assert any(k[0] == "pharmacist" for k in changed)


def test_only_the_safety_officer_sees_the_arm_of_the_case_it_unblinded(world, clients):
    for username, path in world.susar_pages:
        shown = clients[username].get(path)
        assert shown.status_code == 200 and any(arm in shown.text for arm in ARMS), path
        for other in ("investigator", "coordinator", "monitor", "statistician", "admin"):
            r = clients[other].get(path)
            assert r.status_code in (403, 404), (other, path)
            assert not _leaks(r.text, path, world), (other, path)
    # The investigator's own page of the event says only that the sponsor's assessment is done.
    event = clients["investigator"].get(f"/adverse-events/{world.susar_ae}").text
    assert 'data-assessment="complete"' in event and not _leaks(event, "/adverse-events", world)


@pytest.mark.parametrize("username", sorted(SITE_USERS))
def test_a_site_user_never_reaches_another_sites_subject(world, clients, username):
    """Another site's subject answers exactly as a subject that does not exist."""
    own = SITE_USERS[username]
    foreign = [c for site, codes in world.codes_by_site.items() if site != own for c in codes]
    client = clients[username]
    problems = []
    for path, subject in walk(client.app, world):
        r = client.get(path)
        if subject in foreign:
            ghost = client.get(path.replace(subject, "ZZZ-999"))
            same = (r.status_code, r.text.replace(subject, "ZZZ-999")) == (
                ghost.status_code,
                ghost.text,
            )
            if not same:
                problems.append((path, r.status_code, "differs from an unknown subject"))
        elif r.status_code == 200 and any(code in r.text for code in foreign):
            problems.append((path, r.status_code, "foreign code shown"))
    assert problems == []


# The forms a read-only role may post: logging out, and a monitor's data queries (raising one
# is reviewing, not entering data).
READ_ONLY_FORMS = {
    # An export only reads (as the user may see the data), so the Exports form is theirs too;
    # the language switch sets only the user's own preference.
    "statistician": re.compile(r"^/(?:logout|language|exports)$"),
    "monitor": re.compile(
        r"^/(?:logout|language|audit/verify|exports|queries|queries/\d+/(?:close|reopen))$"
    ),
}
POST_FORM = re.compile(r'<form\b[^>]*\bmethod="post"[^>]*\baction="([^"]+)"', re.I)


@pytest.mark.parametrize("username", sorted(READ_ONLY_FORMS))
def test_a_read_only_role_is_shown_no_entry_form_on_any_page(world, clients, username):
    """Monitors and statisticians read; no page offers them a form they would be refused on."""
    client = clients[username]
    offered = []
    for path, _ in walk(client.app, world):
        if path == "/login":  # the login form, which every visitor gets
            continue
        r = client.get(path)
        for action in POST_FORM.findall(r.text):
            if not READ_ONLY_FORMS[username].match(action):
                offered.append((path, action))
    assert offered == [], "\n".join(f"{p} -> {a}" for p, a in offered)


def test_no_refusal_of_a_write_shows_a_blinded_user_an_allocation(world, clients):
    """Every POST route with an empty body, as each blinded role: the answer leaks nothing.

    Runs last: a write that succeeds changes the world (it is the module's own database).
    """
    from tests.web.conftest import csrf_of

    leaks = []
    for username in BLINDED:
        client = clients[username]
        token = csrf_of(client.get("/").text)
        for route in _routes(client.app):
            if "POST" not in (route.methods or ()) or route.path.startswith(
                ("/login", "/logout", "/api/v1/tokens")
            ):
                continue
            for path, _ in walk_one(route.path, world):
                if path.startswith("/api/"):
                    r = client.post(path, json={}, headers={"X-CSRF-Token": token})
                else:
                    r = client.post(path, data={"csrf_token": token})
                if world.exempt(username, path.removesuffix("/assess")):
                    continue  # a refused assessment shows its case again, to its unblinder
                found = _leaks(r.text, path, world)
                if found:
                    leaks.append((username, path, r.status_code, found))
    assert leaks == []
