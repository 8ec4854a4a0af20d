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
