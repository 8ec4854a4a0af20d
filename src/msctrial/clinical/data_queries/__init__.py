"""Data clarification queries: raised by an edit check or a monitor, answered by the site,
closed by the monitor; each step timestamped on the query's thread.
"""
