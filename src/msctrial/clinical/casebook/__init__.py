"""The read side across a subject's whole record: the casebook (visits × forms, AEs, queries),
the subject's case file, the trial's visit matrix, overdue visits and CSV listings.
"""
