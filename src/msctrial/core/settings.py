"""Typed settings, read from the environment with the ``MSCTRIAL_`` prefix.

A deployment sets at least ``MSCTRIAL_SECRET_KEY`` and, for several sites,
``MSCTRIAL_DATABASE_URL=postgresql+psycopg://...``. The demo runs on the defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MSCTRIAL_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///msctrial.db",
        description="SQLAlchemy URL: a SQLite file by default, postgresql+psycopg://… for many sites",
    )
    secret_key: str = Field(
        default=PLACEHOLDER_SECRET,
        description="signs session cookies; the placeholder is accepted only in demo mode",
    )
    demo: bool = Field(
        default=False, description="demo mode: placeholder secret and plain-HTTP cookies allowed"
    )
    # A fixed dose per administration is judged against the cells/kg band over this range of
    # adult body weights (issue 2: default 50-100 kg).
    reference_weight_min_kg: float = Field(default=50.0, gt=0, le=300)
    reference_weight_max_kg: float = Field(default=100.0, gt=0, le=300)
    ruleset: Path | None = Field(
        default=None, description="expert-guidance ruleset YAML; the seed's guidance when unset"
    )
    # CLINICAL_FACTS §5.4: many clinical SOPs allow 4-6 h from thaw to end of infusion; the
    # platform default is 4 h with a hard stop, configurable per product.
    post_thaw_window_h: float = Field(default=4.0, gt=0, le=72)
    login_max_failures: int = Field(
        default=3, ge=1, description="failures before throttling starts"
    )
    login_window_s: int = Field(
        default=900, ge=1, description="window in which failures are counted"
    )
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    token_max_age_days: int = Field(
        default=90, ge=1, le=3650, description="an API token older than this no longer works"
    )
    session_idle_s: int = Field(
        default=30 * 60, ge=60, description="a browser session unused this long is ended"
    )
    cookie_secure: bool | None = Field(
        default=None, description="send cookies over HTTPS only; on unless demo mode"
    )
    migrate_on_start: bool = True
    demo_registry: Path | None = Field(
        default=None,
        description="registry records the demo loads (file, folder or ZIP); unset: "
        "../shared/registry/ctgov beside the checkout when it exists, else none",
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.reference_weight_min_kg > self.reference_weight_max_kg:
            raise ValueError("reference_weight_min_kg must not exceed reference_weight_max_kg")
        return self

    def require_secret(self) -> None:
        """Refuse to sign sessions with the placeholder or a short key, except in the demo."""
        from msctrial.core.errors import InvalidInput

        if self.demo:
            return
        if self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32:
            raise InvalidInput(
                "MSCTRIAL_SECRET_KEY: set a random secret of at least 32 characters, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`; the placeholder "
                "is accepted only by `msctrial demo`",
                field="MSCTRIAL_SECRET_KEY",
            )

    @property
    def secure_cookies(self) -> bool:
        return (not self.demo) if self.cookie_secure is None else self.cookie_secure

    @property
    def reference_weights_kg(self) -> tuple[float, float]:
        return (self.reference_weight_min_kg, self.reference_weight_max_kg)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (from CLI flags) on top.

    Invalid settings raise InvalidInput naming the ``MSCTRIAL_`` variable, never a pydantic
    traceback.
    """
    from pydantic import ValidationError

    from msctrial.core.errors import InvalidInput

    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err.get("loc", ()))
            var = f"MSCTRIAL_{name.upper()}" if name else "settings"
            msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
            problems.append((var, msg))
        text = "; ".join(f"{var}: {msg}" for var, msg in problems)
        raise InvalidInput(f"invalid settings: {text}", field=problems[0][0]) from None
