"""Adverse events: CTCAE grading and the SAE/SUSAR report clocks (pure), reporting and
correcting events, the post-infusion reaction check, and reading them as each role may.
"""
