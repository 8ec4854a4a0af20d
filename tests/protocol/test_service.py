"""Protocol service: versions are kept, amendments need a reason, bad input writes nothing.

Runs on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import func, select

from msctrial.core.errors import InvalidInput, NotFound, PermissionDenied, ReasonRequired
from msctrial.core.tables import AuditEntry
from msctrial.protocol import service
from msctrial.protocol.tables import ProtocolVersion, Trial
from tests.protocol.conftest import reference_data


def text_with(change=None) -> str:  # noqa: ANN001
    data = reference_data()
    if change:
        change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def amended(data: dict) -> None:
    data["version"] = "1.1"
    data["sample_size"]["target"] = 120


def count(session, table) -> int:  # noqa: ANN001
    return session.scalar(select(func.count()).select_from(table))


def test_a_first_protocol_is_saved_as_version_1_and_audited(session, system):
    stored = service.save_protocol(session, system, text_with(), trial_code="MSC-1")
    assert stored.created and stored.version.version_no == 1
    assert stored.trial.title.startswith("Umbilical cord MSCs")
    entities = [e.entity for e in session.scalars(select(AuditEntry))]
    assert entities == ["trial", "protocol_version"]


def test_a_changed_protocol_becomes_a_new_version_and_the_old_one_stays(session, system):
    service.save_protocol(session, system, text_with(), trial_code="MSC-1")
    stored = service.save_protocol(
        session, system, text_with(amended), trial_code="MSC-1", reason="DSMB asked for 120"
    )
    assert stored.created and stored.version.version_no == 2
    assert stored.version.amendment_reason == "DSMB asked for 120"
    versions = service.list_versions(session, "MSC-1")
    assert [(v.version_no, v.label) for v in versions] == [(1, "1.0"), (2, "1.1")]
    assert service.get_protocol(session, "MSC-1").protocol.sample_size.target == 120
    assert service.get_protocol(session, "MSC-1", 1).protocol.sample_size.target == 100
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (last.entity, last.reason) == ("protocol_version", "DSMB asked for 120")


def test_saving_the_same_text_twice_changes_nothing(session, system):
    first = service.save_protocol(session, system, text_with(), trial_code="MSC-1")
    entries = count(session, AuditEntry)
    again = service.save_protocol(session, system, text_with(), trial_code="MSC-1")
    assert not again.created and again.version.id == first.version.id
    assert count(session, ProtocolVersion) == 1 and count(session, Trial) == 1
    assert count(session, AuditEntry) == entries


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_amendment_without_a_reason_is_refused_and_nothing_is_written(
    session, factory, system, reason
):
    service.save_protocol(session, system, text_with(), trial_code="MSC-1")
    entries = count(session, AuditEntry)
    with pytest.raises(ReasonRequired, match=r"a reason is required to amend the") as err:
        service.save_protocol(
            session, system, text_with(amended), trial_code="MSC-1", reason=reason
        )
    assert err.value.field == "reason"
    session.rollback()
    with factory() as fresh:
        assert count(fresh, ProtocolVersion) == 1
        assert count(fresh, AuditEntry) == entries


def test_an_invalid_protocol_writes_nothing(session, factory, system):
    with pytest.raises(InvalidInput, match=r"protocol: malformed YAML at line 4, column"):
        service.save_protocol(session, system, "title: x\nversion: '1'\narms: [\n", trial_code="X1")
    session.rollback()
    with factory() as fresh:
        assert count(fresh, Trial) == 0 and count(fresh, AuditEntry) == 0


@pytest.mark.parametrize("code", ["x", "has space", "-leading", "a" * 41, "semi;colon"])
def test_a_malformed_trial_code_is_refused(session, system, code):
    with pytest.raises(InvalidInput, match="trial code") as err:
        service.save_protocol(session, system, text_with(), trial_code=code)
    assert err.value.field == "trial"


def test_the_trial_code_defaults_to_the_first_registry_id_or_the_title(session, system):
    stored = service.save_protocol(
        session, system, text_with(lambda d: d.update(registry_ids=["NCT04288102"]))
    )
    assert stored.trial.code == "NCT04288102"
    assert service.default_trial_code(service.load_protocol_text(text_with())) == (
        "Umbilical-cord-MSCs-for-severe-COVID-19"
    )


def test_only_an_admin_registers_or_amends_a_protocol(session, trial):
    for username in ("investigator", "monitor", "qc", "dsmb", "pharmacist"):
        with pytest.raises(PermissionDenied, match="admin"):
            service.save_protocol(
                session,
                trial.actor(username),
                text_with(amended),
                trial_code=trial.trial_code,
                reason="x",
            )
    stored = service.save_protocol(
        session, trial.actor("admin"), text_with(amended), trial_code=trial.trial_code, reason="x"
    )
    assert stored.version.version_no == 2 and stored.version.created_by == "admin"


def test_unknown_trials_and_versions_are_not_found(session, system):
    service.save_protocol(session, system, text_with(), trial_code="MSC-1")
    with pytest.raises(NotFound, match=r"trial: no trial with code 'MSC-2'") as err:
        service.get_protocol(session, "MSC-2")
    assert err.value.field == "trial"
    with pytest.raises(NotFound, match=r"version: trial MSC-1 has no protocol version") as err:
        service.get_protocol(session, "MSC-1", 7)
    assert err.value.field == "version"


def test_only_trial_is_the_single_trial_or_a_clear_error(session, system):
    with pytest.raises(NotFound, match="register a protocol first"):
        service.only_trial(session)
    service.save_protocol(session, system, text_with(), trial_code="MSC-1")
    assert service.only_trial(session).code == "MSC-1"
    service.save_protocol(session, system, text_with(), trial_code="MSC-2")
    with pytest.raises(InvalidInput, match="several trials"):
        service.only_trial(session)


def test_findings_use_the_deployments_ruleset_and_reference_weights(session, system, settings):
    protocol = service.load_protocol_text(
        text_with(lambda d: d["arms"][0]["dosing"].update(dose="9.9e7 cells"))
    )
    assert [f.rule for f in service.findings_for(protocol, settings)] == ["dose_per_kg_low"]
    lighter = settings.model_copy(update={"reference_weight_max_kg": 90.0})
    assert service.findings_for(protocol, lighter) == []
