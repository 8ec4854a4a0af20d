"""A mixed model for repeated measures, written as GLS/REML on numpy and scipy.

Python has no MMRM package (statsmodels' MixedLM fits random effects, not a structured
residual covariance), so this one fit is our own, proven against SAS PROC MIXED and R mmrm on
mmrm's ``fev_data`` in tests/analysis/test_mmrm_reference.py.

    covariance  the structures (unstructured, AR(1), heterogeneous AR(1), compound symmetry)
    fit         the REML likelihood, its optimisation and the observed information
    inference   contrasts with Satterthwaite degrees of freedom, t-tests and intervals
"""

from msctrial.analysis.mmrm.covariance import STRUCTURES, Covariance, structure_name
from msctrial.analysis.mmrm.fit import MmrmFit, fit_mmrm
from msctrial.analysis.mmrm.inference import Contrast, contrast, satterthwaite_df

__all__ = [
    "STRUCTURES",
    "Contrast",
    "Covariance",
    "MmrmFit",
    "contrast",
    "fit_mmrm",
    "satterthwaite_df",
    "structure_name",
]
