"""Exchange: the trial's data in the forms regulators, statisticians and hospitals read.

CDISC ODM 1.3.2 (``odm``), SDTM datasets with Define-XML 2.1 (``sdtm``, ``define``) and FHIR R4
(``fhir``) are pure mappings from ``model.TrialData``, which ``source`` reads through the
clinical read side as the exporting user may see it: site-scoped by their grants, and with no
arm, lot, product kind or dispensed volume for a blinded reader. Tidy CSV or Parquet tables of
every form value (``tidy``) are streamed from the same scoped query (``values``), in chunks.
Every export is recorded on the audit trail (``tables.ExportRecord``).

Exported: the services that write each file.
"""

from msctrial.exchange.service import export_fhir, export_odm, export_sdtm, export_values

__all__ = ["export_fhir", "export_odm", "export_sdtm", "export_values"]
