"""Exchange: the trial's data in the forms regulators, statisticians and hospitals read.

CDISC ODM 1.3.2 (``odm``), SDTM datasets with Define-XML 2.1 (``sdtm``, ``define``) and FHIR R4
(``fhir``). Each format is a pure mapping from ``model.TrialData``, which ``source`` reads
through the clinical read side as the exporting user may see it: site-scoped by their grants,
and with no arm, lot, product kind or dispensed volume for a blinded reader.

Exported: the services that write each file.
"""

from msctrial.exchange.service import export_fhir, export_odm, export_sdtm

__all__ = ["export_fhir", "export_odm", "export_sdtm"]
