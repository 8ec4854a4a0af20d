"""The analysis package: the statistics a trial statistician and a DSMB compute.

Each analysis is a pure function of a pandas DataFrame returning a frozen result with
``summary`` (a DataFrame), ``to_dict()`` (for JSON) and ``to_html()`` (for reports), as
lifelines' fitters do. The numbers come from statsmodels, lifelines and scipy; this package
only chooses the model, checks the input and names the result. The one exception is the MMRM
(``mmrm``), which no Python library fits; it is checked against SAS PROC MIXED.

    dataset     reading a CSV and checking its columns (the only module here that reads files)
    survival    Kaplan-Meier medians, log-rank test, Cox hazard ratio
    ancova      change from baseline adjusted for baseline and strata (OLS)
    binary      risk difference, risk ratio, odds ratio, Fisher exact, chi-square, CMH
    repeated    the MMRM over visits (unstructured, AR(1) or CS covariance, REML, Satterthwaite)
    mmrm        its fit, our own GLS/REML on numpy/scipy (Python has no MMRM package)
    ordinal     the proportional-odds model (the WHO scale at a day)
    endpoints   derived endpoints per subject from the stored visits
    descriptive baseline characteristics and adverse-event incidence tables
    trial       the service: loads the trial through the clinical services, arms only if allowed
    figures     SVG figures; report: the HTML report
"""

from msctrial.analysis.ancova import ancova
from msctrial.analysis.binary import compare_binary
from msctrial.analysis.endpoints import derive_endpoints
from msctrial.analysis.ordinal import proportional_odds
from msctrial.analysis.repeated import repeated_measures
from msctrial.analysis.report import trial_report
from msctrial.analysis.survival import compare_survival
from msctrial.analysis.trial import analyse_trial

__all__ = [
    "analyse_trial",
    "ancova",
    "compare_binary",
    "compare_survival",
    "derive_endpoints",
    "proportional_odds",
    "repeated_measures",
    "trial_report",
]
