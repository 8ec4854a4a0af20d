"""Demo step: sites, one user per role, and the reference protocol."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.settings import Settings
from msctrial.core.sites import add_site
from msctrial.core.tables import Site, User
from msctrial.core.users import add_user
from msctrial.demo import DemoContext, Login
from msctrial.protocol.service import save_protocol

TRIAL_CODE = "MSC-COVID-DEMO"

# Kunming (about 1,890 m, PB ≈ 608 mmHg; CLINICAL_FACTS §0) shows the P/F altitude correction.
SITES = [
    ("WUH", "Wuhan Union Hospital (demo)", "CN", 37.0, None),
    ("BJS", "Beijing Chaoyang Hospital (demo)", "CN", 44.0, None),
    ("KMG", "Kunming First People's Hospital (demo)", "CN", 1890.0, 608.0),
]

# username, full name, grants (role, site code or None for trial-wide)
USERS: list[tuple[str, str, list[tuple[str, str | None]]]] = [
    ("investigator", "Dr Li Wei (investigator, WUH)", [("investigator", "WUH")]),
    ("coordinator", "Zhang Min (coordinator, WUH)", [("coordinator", "WUH")]),
    ("investigator.bjs", "Dr Wang Fang (investigator, BJS)", [("investigator", "BJS")]),
    ("investigator.kmg", "Dr Zhao Lei (investigator, KMG)", [("investigator", "KMG")]),
    ("pharmacist", "Chen Jing (pharmacist, WUH)", [("pharmacist", "WUH")]),
    ("qc", "Liu Yang (QC, cell manufacturing)", [("qc", None)]),
    ("monitor", "Sun Hui (monitor)", [("monitor", None)]),
    ("statistician", "Zhou Qiang (statistician)", [("statistician", None)]),
    ("dsmb", "Prof Wu (DSMB chair)", [("dsmb", None)]),
    ("admin", "Trial administrator", [("admin", None)]),
    ("safety", "Dr Huang Jie (sponsor pharmacovigilance)", [("safety", None)]),
]


def demo_password(username: str) -> str:
    return f"demo-{username.replace('.', '-')}-pass"


def reference_protocol_text() -> str:
    return resources.files("msctrial.demo").joinpath("guidance-reference.yaml").read_text("utf-8")


def build(session: Session, settings: Settings, ctx: DemoContext) -> None:
    actor = Actor.system_actor("demo")
    for code, name, country, altitude, pressure in SITES:
        if session.scalar(select(Site.id).where(Site.code == code)) is None:
            add_site(
                session,
                actor,
                code,
                name,
                country=country,
                altitude_m=altitude,
                barometric_pressure_mmhg=pressure,
                timezone="Asia/Shanghai",
            )
    for username, full_name, grants in USERS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            add_user(
                session,
                actor,
                username,
                demo_password(username),
                full_name=full_name,
                grants=grants,
            )
        roles = ", ".join(f"{r}@{s}" if s else r for r, s in grants)
        ctx.logins.append(Login(username, demo_password(username), roles))
    stored = save_protocol(session, actor, reference_protocol_text(), trial_code=TRIAL_CODE)
    ctx.trial_code = stored.trial.code
