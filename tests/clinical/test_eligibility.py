"""Eligibility against the reference protocol's criteria."""

from __future__ import annotations

import pytest

from msctrial.clinical.subjects.eligibility import check_eligibility
from msctrial.core.errors import InvalidInput
from msctrial.protocol.model import AgeRange, Eligibility, Severity

RULES = Eligibility(
    severity=[Severity.severe, Severity.critical, Severity.moderate_progressing],
    age=AgeRange(min=18, max=75),
    inclusion=["RT-PCR positive"],
    exclusion=["Pregnancy"],
)
ALL = {"inclusion_met": {"RT-PCR positive": True}, "exclusion_present": {"Pregnancy": False}}


@pytest.mark.parametrize(
    ("age", "severity", "answers", "eligible", "failed"),
    [
        (50, Severity.severe, ALL, True, False),
        (18, Severity.critical, ALL, True, False),
        (75, Severity.moderate_progressing, ALL, True, False),
        (17, Severity.severe, ALL, False, True),
        (76, Severity.severe, ALL, False, True),
        (50, Severity.moderate, ALL, False, True),
        (50, Severity.severe, {"inclusion_met": {"RT-PCR positive": False}}, False, True),
        (50, Severity.severe, {"exclusion_present": {"Pregnancy": True}}, False, True),
        (50, Severity.severe, {}, False, False),  # not yet assessed: still in screening
    ],
)
def test_eligibility(age, severity, answers, eligible, failed):
    result = check_eligibility(RULES, age_years=age, severity=severity, **answers)
    assert (result.eligible, result.failed) == (eligible, failed)


def test_an_answer_to_a_criterion_the_protocol_lacks_is_refused():
    with pytest.raises(InvalidInput) as err:
        check_eligibility(
            RULES, age_years=50, severity=Severity.severe, inclusion_met={"Something else": True}
        )
    assert err.value.field == "inclusion"


def test_a_screen_failure_says_which_criterion():
    result = check_eligibility(RULES, age_years=80, severity=Severity.severe, **ALL)
    assert "age" in result.failure_reason() and "80 years" in result.failure_reason()
