"""Settings: read from MSCTRIAL_* variables; a placeholder secret only in the demo."""

from __future__ import annotations

import pytest

from msctrial.core.errors import InvalidInput
from msctrial.core.settings import PLACEHOLDER_SECRET, Settings, load_settings

GOOD_SECRET = "a-real-secret-of-at-least-thirty-two-chars"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("MSCTRIAL_"):
            monkeypatch.delenv(name)


def test_settings_are_read_from_variables_with_the_msctrial_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("MSCTRIAL_DATABASE_URL", "postgresql+psycopg://trial@db/msc")
    monkeypatch.setenv("MSCTRIAL_REFERENCE_WEIGHT_MIN_KG", "45")
    monkeypatch.setenv("MSCTRIAL_REFERENCE_WEIGHT_MAX_KG", "120")
    monkeypatch.setenv("MSCTRIAL_RULESET", str(tmp_path / "other.yaml"))
    monkeypatch.setenv("MSCTRIAL_LOGIN_MAX_FAILURES", "5")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///not-ours.db")  # no prefix: ignored
    s = load_settings()
    assert s.database_url == "postgresql+psycopg://trial@db/msc"
    assert s.reference_weights_kg == (45.0, 120.0)
    assert s.ruleset == tmp_path / "other.yaml"
    assert s.login_max_failures == 5


def test_the_defaults_are_a_sqlite_file_and_50_to_100_kg():
    s = load_settings()
    assert s.database_url.startswith("sqlite:///")
    assert s.reference_weights_kg == (50.0, 100.0)
    assert s.ruleset is None and not s.demo


def test_flags_override_the_environment(monkeypatch):
    monkeypatch.setenv("MSCTRIAL_DATABASE_URL", "sqlite:///env.db")
    assert load_settings(database_url="sqlite:///flag.db").database_url == "sqlite:///flag.db"
    assert load_settings(database_url=None).database_url == "sqlite:///env.db"


@pytest.mark.parametrize(
    ("secret", "demo", "refused"),
    [
        (PLACEHOLDER_SECRET, False, True),
        ("short-secret", False, True),
        ("x" * 31, False, True),
        ("x" * 32, False, False),
        (GOOD_SECRET, False, False),
        (PLACEHOLDER_SECRET, True, False),
    ],
    ids=["placeholder", "short", "31-chars", "32-chars", "good", "placeholder-in-demo"],
)
def test_the_placeholder_or_a_short_secret_is_refused_outside_the_demo(secret, demo, refused):
    s = Settings(secret_key=secret, demo=demo)
    if refused:
        with pytest.raises(InvalidInput, match="MSCTRIAL_SECRET_KEY") as err:
            s.require_secret()
        assert err.value.field == "MSCTRIAL_SECRET_KEY"
        assert "msctrial demo" in err.value.message
    else:
        s.require_secret()


def test_the_app_will_not_start_with_the_placeholder_secret(tmp_path):
    from msctrial.web.app import create_app

    with pytest.raises(InvalidInput, match="MSCTRIAL_SECRET_KEY"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("MSCTRIAL_REFERENCE_WEIGHT_MIN_KG", "heavy", "valid number"),
        ("MSCTRIAL_REFERENCE_WEIGHT_MAX_KG", "0", "greater than 0"),
        ("MSCTRIAL_POST_THAW_WINDOW_H", "100", "less than or equal to 72"),
        ("MSCTRIAL_LOGIN_MAX_FAILURES", "0", "greater than or equal to 1"),
        ("MSCTRIAL_DEMO", "perhaps", "valid boolean"),
    ],
)
def test_an_invalid_setting_names_its_variable(monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidInput) as err:
        load_settings()
    assert err.value.field == variable
    assert f"{variable}: " in err.value.message and says in err.value.message


def test_reference_weights_in_the_wrong_order_are_refused(monkeypatch):
    monkeypatch.setenv("MSCTRIAL_REFERENCE_WEIGHT_MIN_KG", "100")
    monkeypatch.setenv("MSCTRIAL_REFERENCE_WEIGHT_MAX_KG", "50")
    with pytest.raises(InvalidInput, match="must not exceed reference_weight_max_kg"):
        load_settings()


@pytest.mark.parametrize(
    ("demo", "cookie_secure", "secure"),
    [(False, None, True), (True, None, False), (False, False, False), (True, True, True)],
)
def test_cookies_are_secure_unless_in_the_demo_or_turned_off(demo, cookie_secure, secure):
    assert Settings(demo=demo, cookie_secure=cookie_secure).secure_cookies is secure
