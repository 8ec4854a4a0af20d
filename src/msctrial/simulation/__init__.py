"""The seeded trial simulator: simulated patients run through every real clinical service, for
the demo trial, training databases and power by simulation; numbered sites with site faults for
trying out central monitoring, and a bulk writer of the same patients at monitoring scale.
"""

from msctrial.simulation.bulk import bulk_trial
from msctrial.simulation.config import SimulationConfig, SimulationResult
from msctrial.simulation.faults import numbered_sites
from msctrial.simulation.trial import simulate_training_trial, simulate_trial

__all__ = [
    "SimulationConfig",
    "SimulationResult",
    "bulk_trial",
    "numbered_sites",
    "simulate_training_trial",
    "simulate_trial",
]
