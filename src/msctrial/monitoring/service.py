"""Key risk indicators of the trial per site, and each site's risk score (gsm's srs0001).

Every KRI is scored across all sites, since a site's score says how it stands against the
others; an actor then sees only the rows of the sites they may see (site staff their own
sites, trial-wide roles all). No KRI is split by arm, and no count reads an arm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import visible_sites
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import NotFound, PermissionDenied
from msctrial.core.settings import Settings
from msctrial.monitoring.config import KriSpec, MonitoringConfig, default_config
from msctrial.monitoring.counts import count_sources
from msctrial.monitoring.facts import gather_facts
from msctrial.monitoring.methods import (
    ToleranceResult,
    analyze,
    normal_bounds,
    one_sided_proportion,
)
from msctrial.monitoring.model import (
    GroupCount,
    GroupResult,
    Method,
    monitoring_intensity,
    risk_score,
)
from msctrial.monitoring.plan import SitePlan, recent_critical_records
from msctrial.monitoring.scorecard import Scorecard, ScorecardConfig, default_scorecard, score_trial

RISK_SCORE_ID = "SRS"


@dataclass(frozen=True)
class KriRow:
    """One KRI at one site: gsm's numerator, denominator, metric, score and flag."""

    kri: str
    site: str
    numerator: float
    denominator: float
    metric: float | None
    score: float | None
    flag: int | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        def plain(v: float) -> float | int:
            return int(v) if float(v).is_integer() else v

        return {
            "kri": self.kri,
            "site": self.site,
            "numerator": plain(self.numerator),
            "denominator": plain(self.denominator),
            "metric": self.metric,
            "score": self.score,
            "flag": self.flag,
            "note": self.note,
        }


@dataclass(frozen=True)
class KriReport:
    """Every KRI × visible site, then each visible site's risk score (kri ``SRS``)."""

    as_of: dt.datetime
    kris: list[KriSpec]
    rows: list[KriRow]
    notes: dict[str, list[str]] = field(default_factory=dict)

    def to_list(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rows]

    def sites(self) -> list[str]:
        return sorted({r.site for r in self.rows})

    def row(self, kri: str, site: str) -> KriRow | None:
        return next((r for r in self.rows if r.kri == kri and r.site == site), None)


def key_risk_indicators(
    session: Session,
    actor: Actor,
    config: MonitoringConfig | None = None,
    *,
    site: str | None = None,
    now: dt.datetime | None = None,
) -> KriReport:
    """Every configured KRI for every site the actor may see (or one site), as of ``now``."""
    scope = visible_sites(actor)
    config = config or default_config()
    now = now or utcnow()
    sites, tallies = count_sources(session, now, important=config.important_deviations)
    active = sorted(
        {sid for tally in tallies.values() for sid, n in tally.denominator.items() if n > 0},
        key=lambda sid: sites[sid].code,
    )
    shown = {sid for sid in active if scope is None or sid in scope}
    if site is not None:
        wanted = site.strip().upper()
        match = [sid for sid in sites if sites[sid].code == wanted]
        if not match or (scope is not None and match[0] not in scope):
            raise NotFound(f"site: unknown site code {site!r}", field="site")
        shown &= set(match)
    rows: list[KriRow] = []
    notes: dict[str, list[str]] = {}
    flags: dict[str, dict[str, int | None]] = {}
    for spec in config.kris:
        tally = tallies[spec.source]
        counts = [GroupCount(sites[sid].code, *tally.of(sid)) for sid in active]
        result = analyze(
            counts, spec.type, spec.method, spec.bands, spec.accrual_rule, spec.identity_of
        )
        notes[spec.id] = result.notes
        flags[spec.id] = {r.group: r.flag for r in result.results}
        for r, sid in zip(result.results, active, strict=True):
            if sid in shown:
                rows.append(
                    KriRow(
                        spec.id,
                        r.group,
                        r.numerator,
                        r.denominator,
                        r.metric,
                        r.score,
                        r.flag,
                        r.note,
                    )
                )
    rows.extend(_risk_scores(config, flags, [sites[sid].code for sid in active if sid in shown]))
    return KriReport(now, list(config.kris), rows, notes)


def country_indicators(
    session: Session,
    actor: Actor,
    config: MonitoringConfig | None = None,
    *,
    now: dt.datetime | None = None,
) -> KriReport:
    """Every KRI per country (gsm's cou0001-0015: the site KRIs with GroupLevel = Country).

    A country's figures sum every site in it, so only the trial-wide roles read them. A site
    without a country is counted under ``"??"``. There is no risk score per country (gsm's
    srs0001 is a site score).
    """
    if visible_sites(actor) is not None:
        raise PermissionDenied(
            "KRIs per country sum every site of the country; they need a trial-wide role"
        )
    config = config or default_config()
    now = now or utcnow()
    sites, tallies = count_sources(session, now, important=config.important_deviations)
    country = {sid: (site.country or "??").upper() for sid, site in sites.items()}
    rows: list[KriRow] = []
    notes: dict[str, list[str]] = {}
    for spec in config.kris:
        tally = tallies[spec.source]
        sums: dict[str, list[float]] = {}
        for sid in sorted(set(tally.numerator) | set(tally.denominator)):
            total = sums.setdefault(country[sid], [0.0, 0.0])
            x, n = tally.of(sid)
            total[0] += x
            total[1] += n
        counts = [GroupCount(c, x, n) for c, (x, n) in sorted(sums.items()) if n > 0]
        result = analyze(
            counts, spec.type, spec.method, spec.bands, spec.accrual_rule, spec.identity_of
        )
        notes[spec.id] = result.notes
        rows.extend(
            KriRow(spec.id, r.group, r.numerator, r.denominator, r.metric, r.score, r.flag, r.note)
            for r in result.results
        )
    return KriReport(now, list(config.kris), rows, notes)


def _risk_scores(
    config: MonitoringConfig, flags: dict[str, dict[str, int | None]], site_codes: list[str]
) -> list[KriRow]:
    """gsm's site risk score over the KRIs that flagged at least one site."""
    scored = [
        spec
        for spec in config.kris
        if spec.weights and any(f is not None for f in flags[spec.id].values())
    ]
    possible = sum(max(spec.weights.values()) for spec in scored)
    rows = []
    for code in site_codes:
        pairs = [(flags[spec.id].get(code), spec.weights) for spec in scored]
        score = risk_score(pairs)
        earned = score * possible / 100.0
        rows.append(KriRow(RISK_SCORE_ID, code, earned, possible, score, score, None))
    return rows


def trial_scorecard(
    session: Session,
    actor: Actor,
    settings: Settings,
    config: ScorecardConfig | None = None,
    *,
    now: dt.datetime | None = None,
) -> Scorecard:
    """The five-part quality scorecard of the trial, for the trial-wide roles.

    Its evidence names subjects at every site, so a site user (who sees one site) is refused.
    """
    if visible_sites(actor) is not None:
        raise PermissionDenied(
            "the quality scorecard covers every site; it needs a trial-wide role "
            "(monitor, statistician, DSMB or admin)"
        )
    config = config or default_scorecard()
    facts = gather_facts(session, settings, config, now or utcnow())
    return score_trial(facts, config)


def monitoring_plan(
    session: Session,
    actor: Actor,
    config: MonitoringConfig | None = None,
    *,
    site: str | None = None,
    now: dt.datetime | None = None,
    report: KriReport | None = None,
) -> list[SitePlan]:
    """The risk-adapted plan for every site the actor may see: risk score, intensity, the KRIs
    flagged, and the critical records of the plan's window that need verifying. A page that
    has already computed the KRIs (with the same configuration) passes its ``report``."""
    config = config or default_config()
    now = now or (report.as_of if report else utcnow())
    if report is None:
        report = key_risk_indicators(session, actor, config, site=site, now=now)
    since = now - dt.timedelta(days=config.plan.recent_days)
    records = recent_critical_records(session, since, set(report.sites()))
    plans = []
    for code in report.sites():
        srs = report.row(RISK_SCORE_ID, code)
        score = srs.score if srs and srs.score is not None else 0.0
        flagged = [r for r in report.rows if r.site == code and r.flag]
        reds = [r.kri for r in flagged if abs(r.flag or 0) == 2]
        critical = sum(1 for kri in reds if kri in config.plan.full_on_red)
        intensity = monitoring_intensity(
            score, len(reds), config.plan.full_at, config.plan.targeted_at, critical
        )
        plans.append(
            SitePlan(
                code,
                score,
                intensity.value,
                [f"{r.kri} {r.flag:+d}" for r in flagged],
                list(records[code].values()),
            )
        )
    return sorted(plans, key=lambda p: (-p.risk_score, p.site))


@dataclass(frozen=True)
class QtlRow:
    qtl: str
    name: str
    result: ToleranceResult

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "qtl": self.qtl,
            "name": self.name,
            "numerator": r.numerator,
            "denominator": r.denominator,
            "metric": r.metric,
            "limit": r.limit,
            "upper": r.upper,
            "score": r.score,
            "flag": r.flag,
        }


def quality_tolerance_limits(
    session: Session,
    actor: Actor,
    config: MonitoringConfig | None = None,
    *,
    now: dt.datetime | None = None,
) -> list[QtlRow]:
    """Each configured QTL on the whole trial (study level: no site, no arm)."""
    visible_sites(actor)  # any subject reader; the figures are trial-wide sums
    config = config or default_config()
    _, tallies = count_sources(session, now or utcnow(), important=config.important_deviations)
    rows = []
    for spec in config.qtls:
        tally = tallies[spec.source]
        result = one_sided_proportion(
            sum(tally.numerator.values()),
            sum(tally.denominator.values()),
            spec.rate,
            spec.deviations,
        )
        rows.append(QtlRow(spec.id, spec.name, result))
    return rows


@dataclass(frozen=True)
class Funnel:
    """One KRI's funnel: the visible sites' points and the study-wide bounds (normal only)."""

    kri: KriSpec
    points: list[GroupResult]
    bounds: dict[float, list[tuple[float, float]]]


def kri_funnel(
    session: Session,
    actor: Actor,
    kri: str,
    config: MonitoringConfig | None = None,
    *,
    now: dt.datetime | None = None,
) -> Funnel:
    """The funnel plot's data for one KRI; a site user gets their own sites' points only."""
    scope = visible_sites(actor)
    config = config or default_config()
    spec = next((k for k in config.kris if k.id == kri.strip().upper()), None)
    if spec is None:
        known = ", ".join(k.id for k in config.kris)
        raise NotFound(f"kri: no KRI {kri!r}; known: {known}", field="kri")
    sites, tallies = count_sources(session, now or utcnow(), important=config.important_deviations)
    tally = tallies[spec.source]
    ids = sorted(
        (sid for sid, n in tally.denominator.items() if n > 0), key=lambda sid: sites[sid].code
    )
    counts = [GroupCount(sites[sid].code, *tally.of(sid)) for sid in ids]
    result = analyze(
        counts, spec.type, spec.method, spec.bands, spec.accrual_rule, spec.identity_of
    )
    visible = {sites[sid].code for sid in ids if scope is None or sid in scope}
    points = [r for r in result.results if r.group in visible]
    bounds = normal_bounds(counts, spec.type, spec.bands) if spec.method is Method.normal else {}
    return Funnel(spec, points, bounds)


@dataclass(frozen=True)
class SiteRecords:
    """The records behind one KRI's numerator at one site."""

    site: str
    numerator: float
    denominator: float
    records: list[str]


def kri_records(
    session: Session,
    actor: Actor,
    kri: str,
    config: MonitoringConfig | None = None,
    *,
    site: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[KriSpec, list[SiteRecords]]:
    """What each visible site's numerator of one KRI counts, record by record (no arm)."""
    scope = visible_sites(actor)
    config = config or default_config()
    spec = next((k for k in config.kris if k.id == kri.strip().upper()), None)
    if spec is None:
        raise NotFound(
            f"kri: no KRI {kri!r}; known: {', '.join(k.id for k in config.kris)}", field="kri"
        )
    sites, tallies = count_sources(session, now or utcnow(), important=config.important_deviations)
    tally = tallies[spec.source]
    ids = sorted(
        (sid for sid, n in tally.denominator.items() if n > 0 and (scope is None or sid in scope)),
        key=lambda sid: sites[sid].code,
    )
    if site is not None:
        wanted = site.strip().upper()
        known = [sid for sid in sites if sites[sid].code == wanted]
        if not known or (scope is not None and known[0] not in scope):
            raise NotFound(f"site: unknown site code {site!r}", field="site")
        # A site with no subject on study yet has no records behind any KRI.
        ids = [sid for sid in ids if sid in known]
    return spec, [
        SiteRecords(sites[sid].code, *tally.of(sid), sorted(tally.records.get(sid, [])))
        for sid in ids
    ]
