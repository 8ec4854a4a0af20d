"""Dosing arithmetic at the bench: cells for a patient, bags to thaw, calendar dates."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.core.errors import InvalidInput
from msctrial.protocol.dosing import (
    administration_dates,
    administration_windows,
    dose_per_kg,
    total_cells,
    units_for_concentration,
    units_needed,
)
from msctrial.protocol.model import Dose, Schedule


@pytest.mark.parametrize(
    ("dose", "weight", "cells"),
    [
        ("1e6 cells/kg", 70, 7.0e7),
        ("2e6 cells/kg", 62.5, 1.25e8),
        ("5e6 cells/kg", 20, 1.0e8),
        ("4e7 cells", None, 4.0e7),  # a fixed dose ignores the weight
        ("4e7 cells", 90, 4.0e7),
    ],
)
def test_total_cells_for_a_body_weight(dose, weight, cells):
    assert total_cells(Dose.model_validate(dose), weight) == pytest.approx(cells)


@pytest.mark.parametrize("weight", [19.9, 0, -70, 301, 154_000])
def test_an_implausible_weight_is_refused_naming_the_range(weight):
    with pytest.raises(InvalidInput, match=r"give the body weight in kg \(20-300\)") as err:
        total_cells(Dose.model_validate("1e6 cells/kg"), weight)
    assert err.value.field == "weight_kg"


def test_a_per_kg_dose_needs_the_weight():
    with pytest.raises(InvalidInput, match="needs the body weight"):
        total_cells(Dose.model_validate("1e6 cells/kg"))


def test_a_dose_that_is_not_cells_cannot_be_counted():
    with pytest.raises(InvalidInput, match="not a cell dose") as err:
        total_cells(Dose.model_validate("2e9 particles"), 70)
    assert err.value.field == "dose.unit"


def test_dose_per_kg_of_a_fixed_dose():
    assert dose_per_kg(9.9e7, 99) == pytest.approx(1.0e6)


@pytest.mark.parametrize(
    ("cells", "per_unit", "volume", "units", "supplied", "volume_needed"),
    [
        (7.0e7, 3.3e7, 50, 3, 9.9e7, 7.0e7 / 3.3e7 * 50),  # NCT04269525's 50 mL bags
        (9.9e7, 3.3e7, 50, 3, 9.9e7, 150.0),  # exactly three bags, despite rounding
        (1.0e8, 1.0e8, 100, 1, 1.0e8, 100.0),
        (1.0e8 + 1, 1.0e8, 100, 2, 2.0e8, (1.0e8 + 1) / 1.0e6),
        (1.0, 1.0e8, None, 1, 1.0e8, 0.0),  # a volume is optional
    ],
)
def test_bags_needed_are_whole_bags_supplying_at_least_the_dose(
    cells, per_unit, volume, units, supplied, volume_needed
):
    prep = units_needed(cells, per_unit, volume)
    assert prep.units == units
    assert prep.cells_supplied == pytest.approx(supplied)
    assert prep.cells_supplied >= cells * (1 - 1e-9)
    assert prep.volume_ml == pytest.approx(volume_needed)


def test_bags_for_a_concentration_and_bag_volume():
    # 1.5 x 10^6 cells/mL in 20 mL vials is 3 x 10^7 cells a vial; 70 kg at 1 x 10^6/kg.
    prep = units_for_concentration(7.0e7, 1.5e6, 20)
    assert prep.units == 3
    assert prep.volume_ml == pytest.approx(7.0e7 / 1.5e6)
    assert prep.volume_supplied_ml == pytest.approx(60)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: units_needed(0, 1e7), "cells"),
        (lambda: units_needed(1e7, -1), "cells_per_unit"),
        (lambda: units_needed(1e7, 1e7, 0), "volume_per_unit_ml"),
        (lambda: units_for_concentration(1e7, 0, 20), "concentration_per_ml"),
    ],
)
def test_zero_or_negative_quantities_are_refused_by_name(call, field):
    with pytest.raises(InvalidInput, match="must be more than zero") as err:
        call()
    assert err.value.field == field


def test_administration_dates_count_from_day_0():
    schedule = Schedule(days=[0, 3, 6], optional_days=[9], window_days=1)
    day0 = dt.date(2020, 2, 27)
    assert administration_dates(schedule, day0) == [
        dt.date(2020, 2, 27),
        dt.date(2020, 3, 1),  # 2020 is a leap year
        dt.date(2020, 3, 4),
    ]
    assert administration_dates(schedule, day0, include_optional=True)[-1] == dt.date(2020, 3, 7)
    assert administration_windows(schedule, day0)[1] == (
        dt.date(2020, 2, 29),
        dt.date(2020, 3, 1),
        dt.date(2020, 3, 2),
    )


def test_administration_dates_of_an_every_n_days_schedule():
    schedule = Schedule(every_days=4, times=4, start_day=1)
    assert administration_dates(schedule, dt.date(2020, 5, 1)) == [
        dt.date(2020, 5, 2),
        dt.date(2020, 5, 6),
        dt.date(2020, 5, 10),
        dt.date(2020, 5, 14),
    ]
