"""Write a new Alembic migration for one package's tables.

    python scripts/new_migration.py BRANCH "what changed"

Each package (core, protocol, product, clinical, ...) owns one branch of migrations; a table
module may name its own branch with ``MIGRATION_BRANCH = "clinical_visits"``, and a table class
the branch that created it with ``__migration_branch__``. The script
builds a scratch SQLite database at the current heads, autogenerates the difference for the
named package's tables only, and writes it on that package's branch.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from msctrial.core.db import Base, import_all_tables
from msctrial.core.migrate import alembic_config


def package_of_tables() -> dict[str, str]:
    """Table name → migration branch: the package, or a table module's ``MIGRATION_BRANCH``."""
    import_all_tables()
    owners = {}
    for mapper in Base.registry.mappers:
        module = sys.modules[mapper.class_.__module__]
        branch = getattr(
            mapper.class_,
            "__migration_branch__",
            getattr(module, "MIGRATION_BRANCH", mapper.class_.__module__.split(".")[1]),
        )
        for table in mapper.tables:
            owners[table.name] = branch
    return owners


def main(package: str, message: str) -> None:
    owners = package_of_tables()
    if package not in set(owners.values()):
        sys.exit(f"no tables belong to package {package!r}; known: {sorted(set(owners.values()))}")
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        cfg = alembic_config(engine)
        script = ScriptDirectory.from_config(cfg)
        branch_exists = any(package in (rev.branch_labels or ()) for rev in script.walk_revisions())
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")

        def include(obj, name, type_, reflected, compare_to):  # noqa: ANN001
            if type_ == "table":
                return owners.get(name) == package
            table = getattr(obj, "table", None)
            return table is None or owners.get(table.name) == package

        cfg.attributes["include_object"] = include
        kwargs = {}
        if branch_exists:
            kwargs["head"] = f"{package}@head"
        else:
            kwargs.update(head="base", branch_label=package)
            if package != "core":
                kwargs["depends_on"] = "core"
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            written = command.revision(
                cfg,
                message=message,
                autogenerate=True,
                rev_id=f"{package}_{_next_number(script, package):04d}",
                **kwargs,
            )
    for rev in written if isinstance(written, list) else [written]:
        if rev is not None:
            _tidy(Path(rev.path))


def _tidy(path: Path) -> None:
    """Sort imports and format the new file, so `ruff check` stays clean after a migration."""
    import shutil
    import subprocess

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        return
    subprocess.run([ruff, "check", "--quiet", "--fix", "--select", "I", str(path)], check=False)
    subprocess.run([ruff, "format", "--quiet", str(path)], check=False)
    print(f"wrote {path}")


def _next_number(script: ScriptDirectory, package: str) -> int:
    numbers = [
        int(r.revision.rsplit("_", 1)[1])
        for r in script.walk_revisions()
        if r.revision.startswith(package + "_") and r.revision.rsplit("_", 1)[1].isdigit()
    ]
    return max(numbers, default=0) + 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
