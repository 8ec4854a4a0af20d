"""Who is acting: a user and the roles they hold, at a site or trial-wide. Pure.

The ``Actor`` is what every service receives. Authorisation and blinding are decided from it
in the services, so the web and the command line get the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from msctrial.core.errors import PermissionDenied

# Roles that may know the allocation of a blinded trial: the pharmacist prepares cells or
# placebo, the DSMB reviews unblinded safety data. Everyone else is blinded.
UNBLINDED_ROLES = frozenset({"pharmacist", "dsmb"})
# Roles whose grant is per site: they see and change only their site's subjects.
SITE_ROLES = frozenset({"investigator", "coordinator", "pharmacist"})


@dataclass(frozen=True)
class Grant:
    role: str
    site_id: int | None = None
    site_code: str | None = None


@dataclass(frozen=True)
class Actor:
    username: str
    user_id: int | None = None
    grants: tuple[Grant, ...] = ()
    full_name: str = ""
    system: bool = field(default=False)

    @classmethod
    def system_actor(cls, name: str = "system") -> Actor:
        """The actor for set-up work done by the operator (demo, CLI administration)."""
        return cls(username=f"system:{name}", system=True, grants=(Grant("admin"),))

    @property
    def audit_name(self) -> str:
        return self.username

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: str, site_id: int | None = None) -> bool:
        """Holds one of ``roles`` trial-wide, or at ``site_id`` (at any site when None)."""
        if self.system:
            return True
        for g in self.grants:
            if g.role in roles and (site_id is None or g.site_id is None or g.site_id == site_id):
                return True
        return False

    def site_scope(self, *roles: str) -> frozenset[int] | None:
        """Site ids where the actor holds any of ``roles``; None means every site."""
        if self.system:
            return None
        sites: set[int] = set()
        for g in self.grants:
            if g.role in roles:
                if g.site_id is None:
                    return None
                sites.add(g.site_id)
        return frozenset(sites)

    def require(self, *roles: str, site_id: int | None = None, to: str = "do this") -> None:
        if not self.has_role(*roles, site_id=site_id):
            where = " at this site" if site_id is not None else ""
            raise PermissionDenied(f"you need the role {' or '.join(roles)}{where} to {to}")

    @property
    def is_blinded(self) -> bool:
        """Blinded unless acting as an unblinded role (pharmacist, DSMB) or the system."""
        return not (self.system or self.roles & UNBLINDED_ROLES)
