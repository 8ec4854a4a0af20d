"""The command line: ``msctrial <package> <verb>``.

Exit codes are a contract: 0 ok, 1 a finding (a guidance deviation, a broken audit chain),
2 bad input. Errors print one plain line, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer
from sqlalchemy.exc import DBAPIError, IntegrityError

from msctrial.core.errors import MsctrialError
from msctrial.core.validation import text_problem

app = typer.Typer(
    name="msctrial",
    help="Clinical research on mesenchymal stem cell therapy for COVID-19 and ARDS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Command groups, one module each under msctrial.cli, each exposing ``app`` (a group) or
# ``register(app)`` (top-level commands).
GROUPS = [
    "db",
    "user",
    "site",
    "protocol",
    "product",
    "clinical",
    "registry",
    "audit",
    "design",
    "analysis",
    "monitor",
    "export",
]
TOP_LEVEL = ["serve", "demo", "report", "imports"]


def _optional(name: str):  # noqa: ANN202
    """A command module, or None while that package has no command line yet."""
    try:
        return importlib.import_module(f"msctrial.cli.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"msctrial.cli.{name}":
            raise
        return None


def _build() -> None:
    for name in GROUPS:
        module = _optional(name)
        if module is not None:
            app.add_typer(module.app, name=name)
    for name in TOP_LEVEL:
        importlib.import_module(f"msctrial.cli.{name}").register(app)


_build()


def database_problem(exc: DBAPIError) -> str:
    """One plain line for a database that cannot be reached or has no msctrial schema."""
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig else exc.__class__.__name__
    if "no such table" in detail or ("relation" in detail and "does not exist" in detail):
        return (
            f"the database has no msctrial tables ({detail}); "
            "run `msctrial db upgrade` or `msctrial demo` first"
        )
    if isinstance(exc, IntegrityError):
        return f"the database refused the change, nothing was written: {detail}"
    return f"cannot use the database: {detail}; check --db or MSCTRIAL_DATABASE_URL"


def _refused_argument(args: list[str]) -> str | None:
    """The text input policy (``core.validation.text_problem``) over the command line: the
    first argument it refuses, named by its option (or position), or None."""
    for i, arg in enumerate(args):
        problem = text_problem(arg)
        if problem is not None:
            name = args[i - 1] if i > 0 and args[i - 1].startswith("-") else f"argument {i + 1}"
            if arg.startswith("--") and "=" in arg:
                name = arg.split("=", 1)[0]
            return f"{name}: {problem}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (and exits with it when run as a program).

    Usage errors are the command-line parser's to print (with the usage line, exit 2); our own
    errors print one plain line and exit 2, whatever Typer's parser is built on.
    """
    args = sys.argv[1:] if argv is None else argv
    refused = _refused_argument(args)
    if refused is not None:
        print(f"error: {refused}", file=sys.stderr)
        code = 2
        if argv is None:
            sys.exit(code)
        return code
    try:
        app(args=argv, prog_name="msctrial", standalone_mode=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except MsctrialError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        code = 2
    except DBAPIError as exc:
        print(f"error: {database_problem(exc)}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    if argv is None:
        sys.exit(code)
    return code
