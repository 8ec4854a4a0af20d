"""The concealed allocation list (stratified permuted blocks), randomising a subject, breaking
the blind in an emergency, and the read side of the allocation that every other part uses.
"""
