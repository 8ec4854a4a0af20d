"""The seeded trial simulator: simulated patients run through every real clinical service, for
the demo trial, training databases and power by simulation.
"""

from msctrial.simulation.config import SimulationConfig, SimulationResult
from msctrial.simulation.trial import simulate_training_trial, simulate_trial

__all__ = ["SimulationConfig", "SimulationResult", "simulate_training_trial", "simulate_trial"]
