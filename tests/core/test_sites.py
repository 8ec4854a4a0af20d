"""Sites: the hospitals of a multicentre trial, with altitude for the P/F correction."""

from __future__ import annotations

import pytest

from msctrial.core.actors import Actor, Grant
from msctrial.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from msctrial.core.sites import add_site, get_site, list_sites


def test_a_site_is_added_with_its_altitude_and_pressure(session, system):
    # Kunming: about 1,890 m, PB ≈ 608 mmHg (CLINICAL_FACTS §0).
    site = add_site(
        session,
        system,
        "kmg",
        "Kunming",
        country="cn",
        altitude_m=1890,
        barometric_pressure_mmhg=608,
        timezone="Asia/Shanghai",
    )
    assert (site.code, site.country, site.altitude_m) == ("KMG", "CN", 1890)
    assert get_site(session, "Kmg").id == site.id
    assert [s.code for s in list_sites(session)] == ["KMG"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "W"}, "code"),
        ({"code": "WU H"}, "code"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"country": "China"}, "country"),
        ({"altitude_m": 9000}, "altitude_m"),
        ({"barometric_pressure_mmhg": 1013}, "barometric_pressure_mmhg"),  # hPa, not mmHg
        ({"timezone": "Beijing"}, "timezone"),
    ],
)
def test_a_bad_site_is_refused_naming_the_field(session, system, kwargs, field):
    args = {"code": "WUH", "name": "Wuhan", **kwargs}
    with pytest.raises(InvalidInput) as err:
        add_site(session, system, args.pop("code"), args.pop("name"), **args)
    assert err.value.field == field


def test_a_site_code_is_used_once_and_unknown_codes_are_not_found(session, system):
    add_site(session, system, "WUH", "Wuhan")
    with pytest.raises(Conflict, match=r"site code 'WUH' already exists"):
        add_site(session, system, "wuh", "Wuhan again")
    with pytest.raises(NotFound, match=r"site: unknown site code 'XYZ'"):
        get_site(session, "XYZ")


def test_only_an_admin_adds_sites(session):
    with pytest.raises(PermissionDenied, match=r"you need the role admin to add"):
        add_site(session, Actor("mon", 1, (Grant("monitor"),)), "WUH", "Wuhan")


def test_a_site_is_edited_only_with_a_reason_and_keeps_its_code(session, system):
    from msctrial.core.errors import ReasonRequired
    from msctrial.core.sites import SiteDetails, update_site

    add_site(session, system, "KMG", "Kunming")
    details = SiteDetails("Kunming First", "cn", 1890, 608, "Asia/Shanghai")
    with pytest.raises(ReasonRequired):
        update_site(session, system, "KMG", details, reason=" ")
    site = update_site(session, system, "kmg", details, reason="surveyed")
    assert (site.code, site.name, site.country, site.barometric_pressure_mmhg) == (
        "KMG",
        "Kunming First",
        "CN",
        608,
    )


def test_an_edit_is_checked_as_a_new_site_is_and_only_an_admin_makes_it(session, system):
    from msctrial.core.sites import SiteDetails, update_site

    add_site(session, system, "KMG", "Kunming")
    with pytest.raises(InvalidInput) as err:
        update_site(session, system, "KMG", SiteDetails("Kunming", altitude_m=9000), reason="r")
    assert err.value.field == "altitude_m"
    with pytest.raises(PermissionDenied):
        update_site(
            session, Actor("mon", 1, (Grant("monitor"),)), "KMG", SiteDetails("K"), reason="r"
        )
