"""The scorecard's rules on hand-built facts: statuses at their limits, part scores, config."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.core.errors import InvalidInput
from msctrial.monitoring.scorecard import (
    PARTS,
    ItemResult,
    ItemSpec,
    TrialFacts,
    Where,
    default_scorecard,
    load_scorecard_text,
    part_score,
    proportion_status,
    score_trial,
    unit_release_problem,
)

TODAY = dt.date(2026, 6, 30)


def clean_facts(**changes: object) -> TrialFacts:
    """A trial that passes every item: randomised, quadruple-blind, placebo, 100 subjects."""
    facts = TrialFacts(
        today=TODAY,
        consented=40,
        allocation="randomised",
        masking="quadruple",
        control="placebo",
        sample_target=100,
        sample_rationale="80 % power for a 60 mmHg difference in P/F, alpha 0.05",
        sample_needed=80,
        infused_units=120,
        infusions=120,
        randomised=40,
        first_randomised=dt.date(2026, 3, 1),
        visits_due=300,
        queries=50,
        entries=900,
        sae_reports=5,
        endpoint_due=100,
        primary_endpoints=["P/F"],
    )
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


def item(card, name):  # noqa: ANN001, ANN201
    return next(i for p in card.parts for i in p.items if i.item == name)


def test_the_five_parts_come_in_the_seeds_order_and_a_clean_trial_scores_full_marks():
    card = score_trial(clean_facts())
    assert [p.part for p in card.parts] == list(PARTS)
    assert [p.score for p in card.parts] == [100.0] * 5
    assert item(card, "enrolment").status == "info"  # no enrolment plan configured


@pytest.mark.parametrize(
    ("value", "lower", "status"),
    [
        (0.95, False, "pass"),  # a limit is inclusive
        (0.9499, False, "warn"),
        (0.85, False, "warn"),
        (0.8499, False, "fail"),
        (0.05, True, "pass"),
        (0.0501, True, "warn"),
        (0.10, True, "warn"),
        (0.1001, True, "fail"),
    ],
)
def test_proportions_meet_their_limits_inclusively(value, lower, status):
    spec = ItemSpec(
        item="x",
        weight=1,
        source="s",
        pass_at=0.05 if lower else 0.95,
        warn_at=0.10 if lower else 0.85,
        lower_is_better=lower,
    )
    assert proportion_status(value, spec) == status


def test_a_part_scores_weighted_marks_and_info_items_do_not_count():
    """pass (w 3) + warn (w 2, half) + fail (w 1) = 100 × (3 + 1) / 6 = 66.7; info is left out."""
    specs = [
        ItemSpec(item=n, weight=w, source="s") for n, w in [("a", 3), ("b", 2), ("c", 1), ("d", 5)]
    ]
    results = [
        ItemResult("a", "pass", "", "s"),
        ItemResult("b", "warn", "", "s"),
        ItemResult("c", "fail", "", "s"),
        ItemResult("d", "info", "", "s"),
    ]
    assert part_score(results, specs) == 66.7
    assert part_score([ItemResult("d", "info", "", "s")], specs) is None


def test_a_procedure_before_consent_fails_ethics_and_names_the_subject():
    facts = clean_facts(consent_after_procedure=[Where("WUH-007", "WUH")])
    card = score_trial(facts)
    result = item(card, "consent_before_procedures")
    assert result.status == "fail"
    assert "WUH-007 (WUH)" in result.evidence and "39 of 40" in result.evidence
    assert card.parts[0].score == pytest.approx(100 * 3 / 6, abs=0.1)


def test_design_items_judge_the_protocol():
    card = score_trial(
        clean_facts(
            masking="single",
            control="none",
            sample_rationale=None,
            sample_needed=None,
            allocation=None,
        )
    )
    assert item(card, "double_blind").status == "warn"
    assert item(card, "control_group").status == "fail"
    assert item(card, "sample_size").status == "warn"
    assert item(card, "randomised").status == "fail"
    deviation = score_trial(clean_facts(guidance_deviations=["dose_per_kg_low: 0.5 × 10^6"]))
    assert item(deviation, "guidance_findings").status == "fail"


def test_a_sample_size_is_judged_against_its_stated_power_assumptions():
    """A rationale alone cannot be recomputed (warn); a target below what the stated
    assumptions need fails; one that reaches it passes (protocol.guidance_planning)."""
    assert item(score_trial(clean_facts(sample_needed=None)), "sample_size").status == "warn"
    bare = clean_facts(sample_needed=None, sample_rationale=None)
    assert "no rationale" in item(score_trial(bare), "sample_size").evidence
    short = item(score_trial(clean_facts(sample_target=100, sample_needed=496)), "sample_size")
    assert short.status == "fail" and "below the 496 subjects" in short.evidence
    enough = item(score_trial(clean_facts(sample_target=100, sample_needed=92)), "sample_size")
    assert enough.status == "pass" and "92 needed" in enough.evidence


def test_important_deviations_are_judged_per_randomised_subject():
    """40 randomised subjects (clean_facts): 2 important deviations are 5.0 % (pass), 4 are
    10 % (warn), 6 are 15 % (fail); the evidence names the count and the share."""
    status = {n: item(score_trial(clean_facts(important_deviations=n)), "important_deviations")
              for n in (2, 4, 6)}  # fmt: skip
    assert [status[n].status for n in (2, 4, 6)] == ["pass", "warn", "fail"]
    assert "6 important protocol deviations among 40 randomised subjects" in status[6].evidence


def test_enrolment_against_a_configured_plan():
    """Day 122 of a 244-day plan for 100 subjects: 50 planned; 40 randomised is 80 % (warn)."""
    config = default_scorecard().model_copy(deep=True)
    spec = next(i for p in config.parts for i in p.items if i.item == "enrolment")
    spec.plan_days = 244
    card = score_trial(clean_facts(), config)
    result = item(card, "enrolment")
    assert result.status == "warn", result.evidence
    assert "50 planned by day 122" in result.evidence


def test_late_sae_reports_lower_execution_quality_and_are_named():
    card = score_trial(clean_facts(late_sae_reports=[Where("BJS-002 SAE report 4", "BJS")]))
    result = item(card, "sae_reporting")
    assert result.status == "fail" and "BJS-002 SAE report 4 (BJS)" in result.evidence


def test_long_evidence_names_eight_records_then_counts_the_rest():
    missing = [Where(f"KMG-{i:03d} Day 28", "KMG") for i in range(1, 13)]
    result = item(score_trial(clean_facts(visits_missing=missing)), "visits_done")
    assert "KMG-008 Day 28" in result.evidence and "KMG-009" not in result.evidence
    assert result.evidence.endswith("and 4 more")


T = dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("signatures", "on", "problem"),
    [
        ([("release", T - dt.timedelta(days=1))], T.date(), None),
        ([("release", T + dt.timedelta(hours=1))], T.date(), "not released"),
        ([], T.date(), "not released"),
        (
            [("release", T - dt.timedelta(days=3)), ("recall", T - dt.timedelta(days=1))],
            T.date(),
            "lot recalled",
        ),
        ([("reject", T - dt.timedelta(days=1))], T.date(), "lot rejected"),
        ([("release", T - dt.timedelta(days=1))], dt.date(2026, 5, 2), "lot expired"),
    ],
)
def test_a_unit_is_fit_only_from_a_lot_released_before_the_infusion_and_in_date(
    signatures, on, problem
):
    assert unit_release_problem(dt.date(2026, 5, 1), signatures, T, on) == problem


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("parts: []", "five"),
        (
            "parts:\n"
            + "".join(
                f"  - part: {p}\n    items: [{{item: nonsense, weight: 1, source: s}}]\n"
                for p in PARTS
            ),
            "unknown items",
        ),
        (
            "parts:\n  - part: ethics_compliance\n    items: [{item: randomised, weight: 1, "
            "source: s, pass_at: 0.9, warn_at: 0.95}]\n",
            "warn_at",
        ),
    ],
)
def test_a_bad_scorecard_configuration_is_refused_by_name(text, fragment):
    with pytest.raises(InvalidInput) as caught:
        load_scorecard_text(text)
    assert fragment in caught.value.message
    assert (caught.value.field or "").startswith("scorecard")
