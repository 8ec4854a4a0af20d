"""The shared ``trial`` fixture gives every package the same small world to test in."""

from __future__ import annotations

from msctrial.protocol.service import get_protocol


def test_the_trial_fixture_has_three_sites_every_role_and_the_reference_protocol(trial, session):
    assert set(trial.sites) == {"WUH", "BJS", "KMG"}
    assert trial.actor("investigator").has_role("investigator", site_id=trial.sites["WUH"].id)
    assert not trial.actor("investigator").has_role("investigator", site_id=trial.sites["BJS"].id)
    assert trial.actor("investigator").is_blinded and not trial.actor("pharmacist").is_blinded
    assert get_protocol(session, trial.trial_code).protocol.is_blinded
