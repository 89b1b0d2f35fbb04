"""custom_fields formulas are arithmetic only; anything that could run code is refused with 400."""

from __future__ import annotations

import pytest

from exports.errors import InvalidFormula
from exports.formulas import compile_formula

NAMES = ["power_w", "voltage", "energy_kwh"]


@pytest.mark.parametrize(
    "formula",
    [
        "__import__('os').system('id')",
        "power_w.__class__",
        "abs(power_w)",
        "power_w ** 2",
        "[power_w]",
        "lambda: 1",
        "power_w if voltage else 0",
        "'text'",
        "True",
        "rated_power * 2",
        "SUM(energy_kwh)",
        "power_w; 1",
        "",
        "1" * 300,
    ],
)
def test_it_refuses_anything_but_arithmetic(formula):
    with pytest.raises(InvalidFormula):
        compile_formula(formula, NAMES)


def test_it_computes_arithmetic_over_metric_names():
    f = compile_formula("(power_w - 10) * -2 / voltage + 1.5", NAMES)
    assert f({"power_w": 30.0, "voltage": 4.0}) == pytest.approx(-8.5)


def test_missing_values_and_division_by_zero_give_empty_cells():
    assert compile_formula("power_w / voltage", NAMES)({"power_w": 1.0, "voltage": 0.0}) is None
    assert compile_formula("power_w + 1", NAMES)({"power_w": None}) is None


@pytest.mark.django_db
def test_the_api_answers_400_for_a_formula_with_a_call(operator_api):
    body = {
        "export_type": "device_data",
        "custom_fields": [{"name": "x", "formula": "__import__('os')"}],
    }
    response = operator_api.post("/api/exports/create", body, format="json")
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_FORMULA"
