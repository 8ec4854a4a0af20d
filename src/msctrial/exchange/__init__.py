"""Exchange: the trial's data in the forms regulators, statisticians and hospitals read.

CDISC ODM 1.3.2 (``odm``), SDTM datasets with Define-XML 2.1 (``sdtm``, ``define``) and FHIR R4
(``fhir``) are pure mappings from ``model.TrialData``, which ``source`` reads through the
clinical read side as the exporting user may see it: site-scoped by their grants, and with no
arm, lot, product kind or dispensed volume for a blinded reader. Tidy CSV or Parquet tables of
every form value (``tidy``) are streamed from the same scoped query (``values``), in chunks.
REDCap: a data dictionary read into form definitions (``redcap_import``), and a REDCap
project's import files written (``redcap_export``). Every export is recorded on the audit trail
(``tables.ExportRecord``).

Another system's ODM metadata is read into form definitions too (``odm_import``, through the
hardened, schema-checking parser of ``odm_read``).

Exported: the services that write each file, and the REDCap dictionary and ODM readers.
"""

from msctrial.exchange.odm_import import read_odm
from msctrial.exchange.redcap_import import read_dictionary
from msctrial.exchange.sdtm_export import export_sdtm
from msctrial.exchange.service import (
    export_fhir,
    export_odm,
    export_redcap,
    export_values,
)

__all__ = [
    "export_fhir",
    "export_odm",
    "export_redcap",
    "export_sdtm",
    "export_values",
    "read_dictionary",
    "read_odm",
]
