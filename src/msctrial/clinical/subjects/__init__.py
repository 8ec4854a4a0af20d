"""The subject's record: screening (severity and eligibility, pure), consent, leaving the study.

Site isolation (``access``) lives here too: every other clinical subpackage reads subjects
through ``access.get_subject`` and ``access.list_subjects``.
"""
