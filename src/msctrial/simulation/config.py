"""What a simulated trial is asked for, and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass, field

from msctrial.core.errors import InvalidInput
from msctrial.simulation.faults import parse_site_faults


@dataclass(frozen=True)
class SimulationConfig:
    subjects: int = 40
    treatment_effect: float = 0.5  # 0 none … 1 the pooled RCTs' mortality effect (§8.1)
    enrolment_days: int = 75
    screen_failure_rate: float = 0.08
    dropout_rate: float = 0.05
    sites: tuple[tuple[str, float], ...] = (("WUH", 0.5), ("BJS", 0.3), ("KMG", 0.2))
    # (site code, fault) pairs, e.g. ("S07", "ae-underreport"): see ``simulation.faults``.
    faults: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        checks = [
            ("subjects", 0 <= self.subjects <= 5000, "0-5000"),
            ("treatment_effect", 0 <= self.treatment_effect <= 1, "0-1"),
            ("enrolment_days", 3 <= self.enrolment_days <= 3650, "3-3650"),
            ("screen_failure_rate", 0 <= self.screen_failure_rate < 1, "0-1"),
            ("dropout_rate", 0 <= self.dropout_rate < 1, "0-1"),
        ]
        for name, ok, allowed in checks:
            if not ok:
                raise InvalidInput(f"{name}: allowed {allowed}", field=name)
        parse_site_faults((f"{site}:{fault}" for site, fault in self.faults), self.site_codes)

    @property
    def site_codes(self) -> list[str]:
        return [code for code, _ in self.sites]


@dataclass
class SimulationResult:
    screened: int = 0
    screen_failures: int = 0
    randomised: int = 0
    infusions: int = 0
    forms: int = 0
    adverse_events: int = 0
    serious: int = 0
    deaths: int = 0
    withdrawals: int = 0
    queries: int = 0
    notes: list[str] = field(default_factory=list)
