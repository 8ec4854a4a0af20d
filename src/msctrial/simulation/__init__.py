"""The seeded trial simulator: simulated patients run through every real clinical service, for
the demo trial, training databases and power by simulation.
"""
