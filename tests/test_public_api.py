"""The library's face: each package exports exactly the names below, and each one resolves.

As httpx does: a name added to or dropped from a package's ``__all__`` fails here, so the
public surface changes only on purpose (and this list is where a reviewer sees it change).
"""

from __future__ import annotations

import importlib
import inspect

import pytest

SURFACE = {
    "msctrial": ["__version__"],
    "msctrial.core": [
        "Actor",
        "Conflict",
        "IntegrityBroken",
        "InvalidInput",
        "MsctrialError",
        "NotAuthenticated",
        "NotFound",
        "OutOfRange",
        "PermissionDenied",
        "ReasonRequired",
        "RuleViolation",
        "Settings",
        "TooManyAttempts",
        "load_settings",
    ],
    "msctrial.protocol": [
        "Finding",
        "Protocol",
        "check_guidance",
        "dump_protocol",
        "get_protocol",
        "has_deviation",
        "list_trials",
        "load_protocol",
        "load_protocol_text",
        "only_trial",
        "save_protocol",
    ],
    "msctrial.product": [
        "available_units",
        "decision_for",
        "issue_units",
        "issued_units_for",
        "list_lots",
        "lot_detail",
        "recall_lot",
        "record_results",
        "record_unit_use",
        "register_lot",
        "reject_lot",
        "release_lot",
        "unit_problems",
        "void_issue",
    ],
    "msctrial.clinical": [
        "change_form",
        "classify_severity",
        "dispense_administration",
        "emergency_unblind",
        "enter_form",
        "plan_dispensing",
        "prescreen_patient",
        "randomise_subject",
        "record_consent",
        "record_infusion",
        "record_screen_failure",
        "report_ae",
        "screen_subject",
        "set_up_randomisation",
        "subject_detail",
        "subject_list",
        "submit_report",
        "verify_at_bedside",
        "void_dispensation",
        "void_form",
    ],
    "msctrial.registry": ["get_trial", "landscape", "list_trials", "load_records"],
    "msctrial.analysis": [
        "analyse_trial",
        "ancova",
        "compare_binary",
        "compare_survival",
        "derive_endpoints",
        "proportional_odds",
        "repeated_measures",
        "trial_report",
    ],
    "msctrial.analysis.mmrm": [
        "STRUCTURES",
        "Contrast",
        "Covariance",
        "MmrmFit",
        "contrast",
        "fit_mmrm",
        "satterthwaite_df",
        "structure_name",
    ],
    "msctrial.exchange": [
        "export_fhir",
        "export_odm",
        "export_redcap",
        "export_sdtm",
        "export_values",
        "read_dictionary",
        "read_odm",
    ],
    "msctrial.monitoring": [
        "analyze",
        "key_risk_indicators",
        "monitoring_plan",
        "quality_tolerance_limits",
        "trial_scorecard",
    ],
    "msctrial.simulation": [
        "SimulationConfig",
        "SimulationResult",
        "bulk_trial",
        "numbered_sites",
        "simulate_training_trial",
        "simulate_trial",
    ],
}


@pytest.mark.parametrize("package", sorted(SURFACE))
def test_a_package_exports_exactly_its_surface(package):
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(SURFACE[package])
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("package", sorted(SURFACE))
def test_every_exported_name_resolves_and_says_what_it_is(package):
    module = importlib.import_module(package)
    assert module.__all__
    values = {name: getattr(module, name) for name in module.__all__}
    undocumented = [n for n, v in values.items() if callable(v) and not inspect.getdoc(v)]
    assert undocumented == []


@pytest.mark.parametrize("package", sorted(SURFACE))
def test_nothing_public_is_left_out_of_all(package):
    """A name imported into the package's namespace is either exported or a subpackage."""
    module = importlib.import_module(package)
    stray = [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name not in module.__all__
    ]
    assert stray == []
