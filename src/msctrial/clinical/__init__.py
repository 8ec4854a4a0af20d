"""Clinical operations: subjects, screening, consent, randomisation, dosing, visits, safety.

Exported: the services a patient's course goes through, in its order.
"""

from msctrial.clinical.casebook.record import subject_detail, subject_list
from msctrial.clinical.dosing.bedside import verify_at_bedside
from msctrial.clinical.dosing.dispensing import (
    dispense_administration,
    plan_dispensing,
    void_dispensation,
)
from msctrial.clinical.dosing.infusion import record_infusion
from msctrial.clinical.randomisation.service import randomise_subject, set_up_randomisation
from msctrial.clinical.randomisation.unblinding import emergency_unblind
from msctrial.clinical.safety.service import report_ae, submit_report
from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.screening import (
    prescreen_patient,
    record_screen_failure,
    screen_subject,
)
from msctrial.clinical.subjects.severity import classify_severity
from msctrial.clinical.visits.service import change_form, enter_form, void_form

__all__ = [
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
]
