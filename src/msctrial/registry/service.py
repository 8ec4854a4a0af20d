"""Registry use cases: load records into the store, list and search the MSC trials, open one
trial's extracted design, and gather the landscape.

Registry data is public: any logged-in user may read it. Loading is an administrator's task
(the command line acts as the system actor). Findings are computed when read, with the
deployment's ruleset and reference weights, so a changed ruleset re-judges every trial.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput, NotFound
from msctrial.core.settings import Settings
from msctrial.protocol.guidance import Guidance, load_guidance
from msctrial.registry.census import Census, census
from msctrial.registry.classify import classify
from msctrial.registry.design import Extraction, extract_design
from msctrial.registry.landscape import Landscape, figures, gather
from msctrial.registry.model import ExtractedDesign, LoadReport, Problem, Study
from msctrial.registry.reader import read_studies
from msctrial.registry.table1 import describe_dose, describe_schedule, describe_source
from msctrial.registry.tables import RegistryLoad, RegistryStudy

BATCH = 200  # rows flushed and let go at a time, so a bulk load's memory stays flat
MAX_PROBLEMS_KEPT = 200


def load_records(
    session: Session,
    actor: Actor,
    paths: Iterable[str | Path],
    *,
    on_study: Callable[[int], None] | None = None,
) -> LoadReport:
    """Stream every record in ``paths`` into the store; keep the MSC trials.

    A study that cannot be an MSC trial is passed over without being parsed (``reader.
    may_be_msc``); a malformed record is counted and reported with its file and reason. The
    load is one transaction: it is stored whole or not at all; a path that cannot be read as a
    whole (missing, too large, a damaged archive or export) stores nothing, and is returned
    in ``fatal``. A trial read twice keeps the richer record: a ClinicalTrials.gov record over
    its ICTRP row.
    """
    actor.require("admin", to="load registry records")
    paths = [str(p) for p in paths]
    if not paths:
        raise InvalidInput("paths: name at least one record file, folder or ZIP", field="paths")
    log = RegistryLoad(loaded_by=actor.audit_name, paths=paths)
    session.add(log)
    session.flush()
    log_id = log.id
    read = msc = skipped = problems_total = pending = 0
    problems: list[Problem] = []
    fatal: list[Problem] = []
    for item in read_studies(paths, prefilter=True):
        if item.problem is not None:
            if item.problem.fatal:
                fatal.append(item.problem)
            problems_total += 1
            if len(problems) < MAX_PROBLEMS_KEPT:
                problems.append(item.problem)
            continue
        read += 1
        if on_study is not None:
            on_study(read)
        if item.skipped or item.study is None or not classify(item.study).is_msc:
            skipped += 1
            continue
        msc += 1
        _store(session, item.study, item.file, log_id)
        pending += 1
        if pending >= BATCH:
            session.flush()
            session.expunge_all()
            pending = 0
    if fatal or (read == 0 and problems_total):
        session.rollback()  # nothing readable: nothing stored, not even the load's log
        return LoadReport(
            studies_read=read, msc_trials=msc, skipped=skipped, problems=problems,
            problems_total=problems_total, fatal=fatal,
        )  # fmt: skip
    session.flush()
    log = session.get(RegistryLoad, log_id) or log
    log.finished_at = utcnow()
    log.studies_read, log.msc_trials, log.skipped = read, msc, skipped
    log.problems_total = problems_total
    log.problems = [p.model_dump() for p in problems]
    session.commit()
    return LoadReport(
        studies_read=read,
        msc_trials=msc,
        stored=msc,
        skipped=skipped,
        problems=problems,
        problems_total=problems_total,
    )


# How much of a trial a format carries: a record is not replaced by a poorer one.
_RICHNESS = {"api_v2": 3, "legacy_full_studies": 3, "classic_xml": 3, "chictr_xml": 2}


def _store(session: Session, study: Study, file: str, load_id: int) -> None:
    row = session.get(RegistryStudy, study.trial_id)
    if row is not None and _RICHNESS.get(row.source_format, 1) > _RICHNESS.get(
        study.source_format, 1
    ):
        return
    design = extract_design(study).design
    if row is None:
        row = RegistryStudy(trial_id=study.trial_id)
        session.add(row)
    row.registry_name = study.registry
    row.registered_on = study.registered_on
    row.cancelled = study.cancelled
    row.combined = bool(design.combined_with)
    row.linked_ids = list(study.linked_ids)
    row.url = study.url
    row.title = study.title
    row.institution = study.institution
    row.overall_status = study.overall_status
    row.start_date = study.start_date
    row.phases = [p.value for p in study.phases]
    row.countries = list(study.countries)
    row.enrollment = study.enrollment
    row.product_type = design.product_type
    row.cell_source = design.cell_source
    row.route = design.route
    row.administrations = design.administrations
    row.source_format = study.source_format
    row.source_file = file
    row.data_version = study.data_version
    row.record = study.model_dump(mode="json")
    row.loaded_at = utcnow()
    row.load_id = load_id


# --- reading ---------------------------------------------------------------------------------


class TrialSummary(BaseModel):
    """One row of the registry's trial table."""

    model_config = ConfigDict(frozen=True)

    trial_id: str
    registry: str
    registered_on: str | None
    cancelled: bool
    url: str | None
    linked_ids: list[str]
    combined_with: list[str]
    title: str
    institution: str | None
    overall_status: str | None
    start_date: str | None
    phases: list[str]
    countries: list[str]
    enrollment: int | None
    product_type: str | None
    cell_source: str | None
    source: str
    dose: str
    route_and_schedule: str
    administrations: int | None
    deviations: list[str]
    meets_guidance: bool


class TrialDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    summary: TrialSummary
    design: ExtractedDesign
    protocol: dict[str, object] | None
    source_format: str
    source_file: str
    data_version: str | None


SORTS = {
    "trial_id": RegistryStudy.trial_id,
    "registry": RegistryStudy.registry_name,
    "registered_on": RegistryStudy.registered_on,
    "title": RegistryStudy.title,
    "institution": RegistryStudy.institution,
    "status": RegistryStudy.overall_status,
    "start_date": RegistryStudy.start_date,
    "enrollment": RegistryStudy.enrollment,
    "cell_source": RegistryStudy.cell_source,
    "route": RegistryStudy.route,
    "administrations": RegistryStudy.administrations,
}


class TrialFilter(BaseModel):
    """Which stored trials a list shows: by registry, by registration date, by combination."""

    model_config = ConfigDict(frozen=True)

    registries: list[str] = []
    registered_from: str | None = None  # ISO dates, inclusive
    registered_to: str | None = None
    combination: bool | None = None  # True: only MSCs with another agent; False: only MSCs alone
    include_cancelled: bool = True

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.registries:
            query = query.where(RegistryStudy.registry_name.in_(self.registries))
        if self.registered_from:
            query = query.where(RegistryStudy.registered_on >= self.registered_from)
        if self.registered_to:
            query = query.where(RegistryStudy.registered_on <= self.registered_to)
        if self.combination is not None:
            query = query.where(RegistryStudy.combined.is_(self.combination))
        if not self.include_cancelled:
            query = query.where(RegistryStudy.cancelled.is_(False))
        return query


def registries_stored(session: Session, actor: Actor) -> list[str]:
    """The registries the store holds trials of, for a filter's choices."""
    return list(
        session.scalars(
            select(RegistryStudy.registry_name).distinct().order_by(RegistryStudy.registry_name)
        )
    )


_cache: OrderedDict[tuple[object, ...], Extraction] = OrderedDict()
_CACHE_SIZE = 5000


def _guidance(settings: Settings) -> Guidance:
    return load_guidance(settings.ruleset)


def extraction_of(
    row: RegistryStudy, guidance: Guidance, weights: tuple[float, float]
) -> Extraction:
    """The stored record's design and findings, remembered until the record or rules change."""
    key = (row.trial_id, row.loaded_at.isoformat(), guidance.id, guidance.version, weights)
    found = _cache.get(key)
    if found is None:
        found = extract_design(Study.model_validate(row.record), guidance, weights)
        _cache[key] = found
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def _summary(row: RegistryStudy, design: ExtractedDesign) -> TrialSummary:
    deviations = list(dict.fromkeys(f.rule for f in design.findings if f.level == "deviation"))
    return TrialSummary(
        trial_id=row.trial_id,
        registry=row.registry_name,
        registered_on=row.registered_on,
        cancelled=row.cancelled,
        url=row.url,
        linked_ids=list(row.linked_ids),
        combined_with=list(design.combined_with),
        title=row.title,
        institution=row.institution,
        overall_status=row.overall_status,
        start_date=row.start_date,
        phases=list(row.phases),
        countries=list(row.countries),
        enrollment=row.enrollment,
        product_type=row.product_type,
        cell_source=row.cell_source,
        source=describe_source(design),
        dose=describe_dose(design),
        route_and_schedule=describe_schedule(design),
        administrations=design.administrations,
        deviations=deviations,
        meets_guidance=not deviations,
    )


def list_trials(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    q: str | None = None,
    sort: str = "trial_id",
    descending: bool = False,
    filters: TrialFilter | None = None,
) -> list[TrialSummary]:
    """The stored MSC trials, searched by id, title, institution, country or source, and
    narrowed by registry, registration date and combination therapy."""
    column = SORTS.get(sort)
    if column is None:
        raise InvalidInput(
            f"sort: {sort!r} is not a column; use one of {', '.join(SORTS)}", field="sort"
        )
    query = (filters or TrialFilter()).apply(select(RegistryStudy))
    if q and q.strip():
        like = f"%{q.strip()}%"
        query = query.where(
            or_(
                RegistryStudy.trial_id.ilike(like),
                RegistryStudy.title.ilike(like),
                RegistryStudy.institution.ilike(like),
                RegistryStudy.cell_source.ilike(like.replace(" ", "_")),
                cast(RegistryStudy.countries, String).ilike(like),
            )
        )
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    rows = session.scalars(query.order_by(order, RegistryStudy.trial_id))
    guidance = _guidance(settings)
    weights = settings.reference_weights_kg
    return [_summary(r, extraction_of(r, guidance, weights).design) for r in rows]


def get_trial(session: Session, actor: Actor, settings: Settings, trial_id: str) -> TrialDetail:
    """One registered trial: its record's summary, extracted design and guidance findings."""
    wanted = trial_id.strip()
    row = session.get(RegistryStudy, wanted) or session.scalar(
        select(RegistryStudy).where(func.lower(RegistryStudy.trial_id) == wanted.lower())
    )
    if row is None:
        raise NotFound(
            f"trial_id: {trial_id!r} is not in the registry store; load its record first",
            field="trial_id",
        )
    extraction = extraction_of(row, _guidance(settings), settings.reference_weights_kg)
    return TrialDetail(
        summary=_summary(row, extraction.design),
        design=extraction.design,
        protocol=extraction.protocol.model_dump(mode="json") if extraction.protocol else None,
        source_format=row.source_format,
        source_file=row.source_file,
        data_version=row.data_version,
    )


def stored_designs(
    session: Session, actor: Actor, settings: Settings
) -> list[tuple[Study, ExtractedDesign]]:
    """Every stored MSC trial with its design and findings: the landscape's input."""
    guidance = _guidance(settings)
    weights = settings.reference_weights_kg
    out = []
    for row in session.scalars(select(RegistryStudy).order_by(RegistryStudy.trial_id)):
        extraction = extraction_of(row, guidance, weights)
        out.append((Study.model_validate(row.record), extraction.design))
    return out


def last_load(session: Session, actor: Actor) -> RegistryLoad | None:
    return session.scalar(select(RegistryLoad).order_by(RegistryLoad.id.desc()).limit(1))


def landscape_at(
    session: Session,
    actor: Actor,
    settings: Settings,
    as_of: str | None,
    registries: list[str] | None = None,
) -> Census | None:
    """The landscape registered by ``as_of`` (each trial once); None when no date is chosen."""
    if as_of is None:
        return None
    items = stored_designs(session, actor, settings)
    return census(items, dt.date.fromisoformat(as_of), registries)


_figures_cache: dict[tuple[object, ...], tuple[Landscape, dict[str, str]]] = {}


def landscape(
    session: Session, actor: Actor, settings: Settings
) -> tuple[Landscape, dict[str, str]]:
    """The landscape counts and figures of the store, redrawn only when the store changes."""
    guidance = _guidance(settings)
    weights = settings.reference_weights_kg
    count, newest = session.execute(
        select(func.count(RegistryStudy.trial_id), func.max(RegistryStudy.loaded_at))
    ).one()
    key = (count, str(newest), guidance.id, guidance.version, weights)
    if key not in _figures_cache:
        land = gather(stored_designs(session, actor, settings), guidance, weights)
        _figures_cache.clear()
        _figures_cache[key] = (land, figures(land))
    return _figures_cache[key]
