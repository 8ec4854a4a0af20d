"""Alembic migrations, one branch per package, applied with ``upgrade heads``.

Each feature package owns one branch (``branch_labels`` = the package name) that depends on
``core``; packages therefore add their tables without ever creating a second head on another
package's branch.
"""
