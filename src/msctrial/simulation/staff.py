"""The simulated trial's staff: who does what at each site.

The trial's own users where they exist; a site without its own pharmacist or monitor gets a
named system actor, so every write still has a name on the audit trail.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.sites import add_site
from msctrial.core.tables import RoleGrant, Site, User
from msctrial.core.users import load_actor
from msctrial.simulation.config import SimulationConfig


class Staff:
    """Who does what at each site: the trial's users, else a named system actor."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str, str | None], Actor] = {}

    def _find(self, role: str, site: str | None) -> Actor:
        key = (role, site)
        if key not in self._cache:
            stmt = (
                select(User)
                .join(RoleGrant, RoleGrant.user_id == User.id)
                .outerjoin(Site, Site.id == RoleGrant.site_id)
                .where(RoleGrant.role == role, RoleGrant.voided_at.is_(None), User.active.is_(True))
                .where(Site.code == site if site else RoleGrant.site_id.is_(None))
                .order_by(User.username)
                .limit(1)
            )
            user = self.session.scalar(stmt)
            name = f"demo-{role}-{site}" if site else f"demo-{role}"
            self._cache[key] = load_actor(self.session, user) if user else Actor.system_actor(name)
        return self._cache[key]

    def signer_for(self, actor: Actor) -> Actor:
        """Who signs a signed act (randomising) in a simulation: the simulator, on the user's
        behalf and named so on the trail, since a simulation never holds anyone's password."""
        if actor.system:
            return actor
        return Actor.system_actor(f"simulator for {actor.username}")

    def investigator(self, site: str) -> Actor:
        return self._find("investigator", site)

    def coordinator(self, site: str) -> Actor:
        found = self._find("coordinator", site)
        return self.investigator(site) if found.system else found

    def pharmacist(self, site: str) -> Actor:
        return self._find("pharmacist", site)

    @property
    def monitor(self) -> Actor:
        return self._find("monitor", None)

    @property
    def safety(self) -> Actor:
        """The sponsor's pharmacovigilance: assesses suspected SUSARs, files their reports."""
        return self._find("safety", None)

    @property
    def admin(self) -> Actor:
        return self._find("admin", None)


def ensure_sites(session: Session, config: SimulationConfig) -> list[str]:
    """Add the configured sites the trial does not have yet (numbered sites, in UTC); returns
    the codes added."""
    have = set(session.scalars(select(Site.code)))
    added = [code for code in config.site_codes if code not in have]
    actor = Actor.system_actor("simulator")
    for code in added:
        add_site(session, actor, code, f"Simulated site {code}", timezone="UTC")
    return added
