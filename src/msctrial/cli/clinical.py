"""``msctrial clinical``: severity at screening, the randomisation list, subjects.

Screening, consent, randomisation and dosing are done by named users in the web application
(and its API); the command line offers the stateless classification, the administrator's
list set-up and read-only listings that show no allocation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from msctrial.cli.common import (
    DbOption,
    JsonOption,
    operator,
    print_json,
    read_json_file,
    session_for,
    settings_for,
    terminal_reader,
)
from msctrial.clinical.casebook.record import subject_list
from msctrial.clinical.randomisation import views as randomisation_views
from msctrial.clinical.randomisation.service import set_up_randomisation
from msctrial.clinical.randomisation.views import unblinding_list
from msctrial.core.actors import Actor
from msctrial.core.validation import read_text

app = typer.Typer(
    help="Clinical operations: screening, randomisation, subjects.", no_args_is_help=True
)

InputOption = Annotated[
    Path, typer.Option("--input", help="a JSON file with one object of screening observations")
]


@app.command("severity")
def severity(
    input: InputOption,
    as_json: JsonOption = False,
    site: Annotated[
        str | None, typer.Option(help="take altitude and pressure from this site (needs --db)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Classify COVID-19 severity (NHC trial version 7, adults), Berlin grade and reasons.

    Input fields: age_years, symptoms, pneumonia_on_imaging, respiratory_rate, spo2_rest_pct,
    pao2_mmhg, fio2 (a fraction), altitude_m, barometric_pressure_mmhg,
    lesion_progression_pct_48h, mechanical_ventilation, shock, organ_failure_icu, peep_cmh2o.
    Exit 2 naming the field on an unknown field or an implausible value.
    """
    from msctrial.clinical.subjects.severity import classify_severity, parse_observations

    data = read_json_file(input)
    if site and isinstance(data, dict):
        from msctrial.core.sites import get_site

        with session_for(settings_for(db)) as session:
            row = get_site(session, site)
            if row.altitude_m is not None:
                data.setdefault("altitude_m", row.altitude_m)
            if row.barometric_pressure_mmhg is not None:
                data.setdefault("barometric_pressure_mmhg", row.barometric_pressure_mmhg)
    result = classify_severity(parse_observations(data))
    if as_json:
        print_json(result.to_contract())
        return
    typer.echo(f"severity: {result.severity.value}")
    if result.pf_ratio is not None:
        typer.echo(f"P/F: {result.pf_ratio:g} (corrected {result.pf_ratio_corrected:g})")
    typer.echo(f"Berlin ARDS: {result.ards_berlin or '—'}")
    typer.echo(f"WHO clinical progression scale: {result.who_scale if result.who_scale else '—'}")
    for reason in result.reasons:
        typer.echo(f"  - {reason}")


@app.command("randomisation-setup")
def randomisation_setup(
    trial: Annotated[str | None, typer.Option(help="trial code (default: the only trial)")] = None,
    seed_file: Annotated[
        Path | None,
        typer.Option(help="file holding the secret seed; a random one is used when absent"),
    ] = None,
    per_stratum: Annotated[
        int | None, typer.Option(help="allocations per stratum (default: the target sample size)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Generate the concealed randomisation list (or add strata for new sites, same seed).

    Only the seed's SHA-256 is stored and nothing prints it; keep the seed file sealed if
    you want to re-create or extend the list.
    """

    seed = None
    if seed_file is not None:
        seed = read_text(seed_file, "seed-file", max_bytes=10_000).strip()
    actor = Actor.system_actor(f"cli:{operator()}")
    with session_for(settings_for(db)) as session:
        set_up_randomisation(session, actor, trial, seed=seed, per_stratum=per_stratum)
        status = randomisation_views.randomisation_status(session, actor, trial)
    slots = sum(s.slots for s in status.strata)
    typer.echo(
        f"trial {status.trial}: {len(status.strata)} strata ({', '.join(status.factors)}), "
        f"{slots} concealed allocations"
    )


@app.command("randomisation-status")
def randomisation_status(
    trial: Annotated[str | None, typer.Option(help="trial code")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """How full each stratum of the list is (no arms)."""

    with session_for(settings_for(db)) as session:
        status = randomisation_views.randomisation_status(session, Actor.system_actor("cli"), trial)
    if as_json:
        print_json(status.model_dump(mode="json"))
        return
    for s in status.strata:
        typer.echo(f"{s.stratum:<40} {s.used:>5} used of {s.slots}")


@app.command("subjects")
def list_subjects(
    site: Annotated[str | None, typer.Option(help="site code")] = None,
    status: Annotated[str | None, typer.Option(help="e.g. screening, randomised")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List subjects as a monitor sees them: no arm, whoever runs the command."""

    with session_for(settings_for(db)) as session:
        rows = subject_list(session, terminal_reader(), site_code=site, status=status)
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    for r in rows:
        typer.echo(
            f"{r.subject_code:<10} {r.status:<15} {r.severity or '—':<22} "
            f"{r.randomisation_no or '—'}"
        )


@app.command("unblindings")
def unblindings(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Emergency unblindings: who, when, why (never the arm)."""

    with session_for(settings_for(db)) as session:
        rows = unblinding_list(session, terminal_reader())
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.subject_code} {r.unblinded_at:%Y-%m-%d %H:%M} {r.unblinded_by}: {r.reason}")


# Part 2's commands (visits, forms, adverse events) join this group. ``from msctrial.cli import
# clinical_visits`` would raise a plain ImportError when the module is absent, so import it by
# its full name, which raises ModuleNotFoundError naming it.
try:
    import msctrial.cli.clinical_visits as clinical_visits
except ModuleNotFoundError as exc:
    if exc.name != "msctrial.cli.clinical_visits":
        raise
else:
    clinical_visits.register(app)
