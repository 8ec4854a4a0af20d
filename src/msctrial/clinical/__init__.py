"""Clinical operations: subjects, screening, consent, randomisation, dosing, visits, safety."""
