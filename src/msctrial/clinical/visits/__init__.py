"""Follow-up visits: windows from day 0, the case report forms (``forms.yaml``), edit checks
and derived values (pure), form entries and the visit service.
"""
