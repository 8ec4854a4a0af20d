"""Reading the administration's forms (pure): numbers, grant rows, a new user's problems."""

from __future__ import annotations

import pytest

from msctrial.core.errors import InvalidInput
from msctrial.web.pages.admin_forms import grants_from_form, new_user_problems, optional_number


@pytest.mark.parametrize(("text", "value"), [("", None), (" 608 ", 608.0), ("1890,5", 1890.5)])
def test_a_blank_number_is_no_value_and_a_decimal_comma_is_read(text, value):
    assert optional_number(text, "altitude_m", "metres") == value


def test_a_number_field_with_words_names_the_field_and_its_unit():
    with pytest.raises(InvalidInput, match="barometric_pressure_mmhg: 'high' is not a number of"):
        optional_number("high", "barometric_pressure_mmhg", "mmHg")


def test_blank_grant_rows_are_skipped_and_a_blank_site_is_trial_wide():
    rows = grants_from_form(["Coordinator", "", "monitor"], ["wuh", "BJS", ""])
    assert rows == [("coordinator", "WUH"), ("monitor", None)]


def test_every_problem_of_a_new_user_is_found_at_once():
    problems = new_user_problems(
        "Li Wei", "short", [("surgeon", None), ("investigator", "XYZ")], ["WUH"]
    )
    assert set(problems) == {"username", "password", "role", "site"}
    assert problems["site"] == "site: unknown site code 'XYZ' (known: WUH)"


def test_a_good_new_user_has_no_problems():
    assert (
        new_user_problems("li.wei", "a long and unusual passphrase", [("monitor", None)], []) == {}
    )
