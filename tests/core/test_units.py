"""Units: one pint registry; values convert within a kind and are refused across kinds."""

from __future__ import annotations

import pytest

from msctrial.core.errors import InvalidInput
from msctrial.core.units import convert, is_compatible, normalise_unit_text, parse_unit


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        (1.0, "kPa", "mmHg", 7.50062),  # 1 mmHg = 0.133 kPa (CLINICAL_FACTS §1.1)
        (40.0, "kPa", "mmHg", 300.025),
        (5.5, "10^9/L", "1/uL", 5500.0),  # blood counts
        (1.0, "x10^6 cells/kg", "cells/kg", 1.0e6),
        (1.0e6, "cells/kg", "10^6 cells/kg", 1.0),
        (10.0, "cmH2O", "mmHg", 7.3556),
        (500, "uL", "mL", 0.5),
        (500, "µL", "mL", 0.5),
        (1.0, "EU/mL", "EU/L", 1000.0),
    ],
)
def test_values_convert_within_their_kind(value, from_unit, to_unit, expected):
    assert convert(value, from_unit, to_unit) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize(
    ("from_unit", "to_unit"),
    [("cells", "mL"), ("cells/kg", "cells"), ("EU", "mg"), ("mmHg", "mL")],
)
def test_a_value_in_a_unit_of_another_kind_is_refused_naming_the_field(from_unit, to_unit):
    with pytest.raises(InvalidInput, match="cannot be converted") as err:
        convert(1.0, from_unit, to_unit, field="pao2")
    assert err.value.field == "pao2"


@pytest.mark.parametrize("text", ["", "   ", "furlongs per fortnight of cells", "kg//"])
def test_an_unknown_or_missing_unit_is_refused(text):
    with pytest.raises(InvalidInput) as err:
        parse_unit(text, field="dose.unit")
    assert err.value.field == "dose.unit"


def test_a_value_that_is_not_finite_is_refused():
    with pytest.raises(InvalidInput, match="finite number"):
        convert(float("nan"), "mmHg", "kPa")


def test_the_ways_people_write_units_are_normalised():
    assert normalise_unit_text("×10^9/L") == "1e9/L"
    assert normalise_unit_text("µL") == "uL"
    assert normalise_unit_text("mm Hg") == "mmHg"


def test_cells_are_their_own_kind_not_a_plain_number():
    assert is_compatible("cells/kg", "10^6 cells/kg")
    assert not is_compatible("cells", "dimensionless")
    assert not is_compatible("nonsense unit", "cells")
