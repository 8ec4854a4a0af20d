"""One dependency guards every page form: a post without the session's token is refused first."""

from __future__ import annotations

import pytest


def page_posts() -> list[str]:
    from msctrial.web.app import _door_modules

    return sorted(
        route.path
        for module in _door_modules()
        if module.__name__.startswith("msctrial.web.pages.")
        for route in module.router.routes
        if "POST" in getattr(route, "methods", set())
    )


def test_every_page_router_carries_the_csrf_dependency(settings, engine, trial):
    from msctrial.web.app import _door_modules
    from msctrial.web.deps import csrf_protect

    pages = [m for m in _door_modules() if m.__name__.startswith("msctrial.web.pages.")]
    assert len(pages) >= 8, "the page modules were not found"
    for module in pages:
        guards = [d.dependency for d in module.router.dependencies]
        assert csrf_protect in guards, module.__name__


@pytest.mark.parametrize(
    "path",
    [
        "/casebook/WUH-001/visits/day-7/not-done",
        "/clinical/subjects/WUH-001/consent",
        "/clinical/screen",
        "/product/lots",
        "/logout",
    ],
)
def test_a_forged_post_is_refused_before_its_fields_are_validated(login, path):
    client = login("investigator")
    response = client.post(path, data={"csrf_token": "forged"})
    assert response.status_code == 403, response.text
    assert "did not come from this site" in response.text


def test_every_page_post_refuses_a_missing_token(login):
    client = login("admin")
    paths = page_posts()
    assert len(paths) > 20, "no page posts found"
    for path in paths:
        concrete = (
            path.replace("{code}", "WUH-001")
            .replace("{number}", "1")
            .replace("{key}", "day-7")
            .replace("{lot_code}", "L-1")
        )
        concrete = "/".join("1" if p.startswith("{") else p for p in concrete.split("/"))
        response = client.post(concrete, data={})
        assert response.status_code == 403, f"{path}: {response.status_code}"


def test_the_whole_chain_is_verified_only_when_asked(login):
    from tests.web.conftest import csrf_of

    client = login("monitor")
    page = client.get("/audit")
    assert page.status_code == 200
    assert "Chain intact" not in page.text and "Verify the whole chain" in page.text
    verified = client.post("/audit/verify", data={"csrf_token": csrf_of(page.text)})
    assert verified.status_code == 200
    assert "Chain intact" in verified.text


def test_site_staff_cannot_verify_the_chain(login):
    from tests.web.conftest import csrf_of

    client = login("investigator")
    page = client.get("/audit")
    assert "Verify the whole chain" not in page.text
    refused = client.post("/audit/verify", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403
