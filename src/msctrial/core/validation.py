"""Turning untrusted input into errors a user can act on: one field-path style for every door.

Protocols, rulesets, specifications, lot sheets, JSON bodies and form posts are all checked by
pydantic models; ``explain`` turns any pydantic ``ValidationError`` into one ``InvalidInput``
that names every bad field as a path (``arms[0].dosing.dose``, ``tests[2].criterion.type``)
and says what is allowed there. ``parse_yaml`` and ``read_text`` refuse what would exhaust
the process (a huge or endless file, thousands of nesting levels) or silently lose data (a key
given twice), before any model sees it.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Annotated, Any

import orjson
import yaml
from pydantic import BaseModel, Field, ValidationError

from msctrial.core.errors import InvalidInput

# A protocol, ruleset or lot sheet is a few kB; 1 MB is a generous ceiling for a hand-written
# file and keeps a wrong file (an export, /dev/zero) from being read into memory.
MAX_BYTES = 1_000_000
# Hand-written YAML is a handful of levels deep; deeper input is an attack or a generated file.
MAX_DEPTH = 64


def read_text(path: str | Path, what: str = "file", max_bytes: int = MAX_BYTES) -> str:
    """A UTF-8 text file, read with a cap instead of trusting the size the file system reports."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InvalidInput(f"{what}: {p} does not exist", field=what) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise InvalidInput(
            f"{what}: {p} cannot be read ({exc.__class__.__name__})", field=what
        ) from None
    if len(data) > max_bytes:
        raise InvalidInput(
            f"{what}: {p} is larger than {max_bytes // 1000} kB; is this the right file?",
            field=what,
        )
    if b"\x00" in data:
        raise InvalidInput(f"{what}: {p} is not a UTF-8 text file (it holds NUL bytes)", field=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{what}: {p} is not a UTF-8 text file", field=what) from None


# libyaml's C parser where PyYAML was built with it (its wheels are): the same safe constructor
# on a parser about ten times faster than the pure-Python one (a lot page read its
# specification six times, 0.9 s at trial scale).
_SafeBase: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class _StrictLoader(_SafeBase):
    """PyYAML's safe loader, refusing a mapping key given twice (it would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key!r} is given twice (first at line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


# No measurement, count or code in a hand-written file has more digits; Python refuses to read
# integers past 4,300 digits (CVE-2020-10735) and would raise ValueError mid-parse.
MAX_INT_DIGITS = 100

# The largest record id either backend stores: SQLAlchemy's Integer is a 32-bit INTEGER on
# PostgreSQL (and SQLite refuses an int beyond 64 bits), so an id above this names no record.
MAX_RECORD_ID = 2**31 - 1
# A request body's reference to a stored record by id.
RecordRef = Annotated[int, Field(ge=1, le=MAX_RECORD_ID)]


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    digits = sum(ch.isdigit() for ch in str(node.value))
    if digits > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a number of {digits:,} digits; no value here has more than {MAX_INT_DIGITS}",
            node.start_mark,
        )
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _check_depth(text: str, what: str) -> None:
    """Walk the event stream (iteratively, unlike the composer) and refuse deep nesting."""
    depth = 0
    for event in yaml.parse(text, Loader=_SafeBase):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise InvalidInput(
                    f"{what}: nested more than {MAX_DEPTH} levels deep at line {line}; "
                    "this is not a hand-written file",
                    field=f"line {line}",
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse_yaml(text: str, what: str = "file") -> Any:
    """Parse YAML safely; a syntax error or a repeated key names the line and column."""
    if len(text.encode()) > MAX_BYTES:
        raise InvalidInput(f"{what}: larger than {MAX_BYTES // 1000} kB; is this the right file?")
    try:
        _check_depth(text, what)
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        # libyaml marks a problem met at the end of the text on the line after the last one.
        line = min(mark.line + 1, text.count("\n") + 1) if mark else 0
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own limit, met first
            raise InvalidInput(
                f"{what}: nested more than {MAX_DEPTH} levels deep at line {line}; "
                "this is not a hand-written file",
                field=f"line {line}",
            ) from None
        where = f" at line {line}, column {mark.column + 1}" if mark else ""
        raise InvalidInput(
            f"{what}: malformed YAML{where}: {exc.problem}; check indentation and quoting",
            field=f"line {line}" if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{what}: malformed YAML: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a scalar PyYAML cannot build
        raise InvalidInput(f"{what}: malformed YAML: {exc}") from None


def parse_json(text: str, what: str = "input") -> Any:
    """Parse JSON; nesting beyond a sane depth or an absurdly long number is an error, not a crash.

    orjson parses iteratively enough to refuse deep nesting itself (it stops at 1,024 levels)
    and refuses integers beyond 64 bits, where the standard library would raise RecursionError
    or ValueError (Python caps int conversion at 4,300 digits).
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{what}: not valid JSON ({exc})", field=what) from None


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('arms', 0, 'dosing', 'dose') → 'arms[0].dosing.dose', as every message names fields."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "model-")) or part in ("body", "form"):
            continue  # pydantic's validator steps; FastAPI's request part
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the keys at ``loc`` (list indices stepped through)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The model inside ``Foo | None``, ``list[Foo]`` and the like, else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


# A model validator that knows which field is wrong starts its message with it: "unit: ...".
_NAMED = re.compile(r"^([a-z_][a-z0-9_]*): ")


def problems_of(
    errors: list[Any],
    model: type[BaseModel] | None = None,
    prefix: str = "",
    *,
    named_fields: bool = False,
) -> list[tuple[str, str]]:
    """(field path, message) for each pydantic error, in the words a user can act on.

    With ``named_fields``, a model validator's message that starts with a field name
    ("unit: not a unit of ...") points the path at that field.
    """
    out = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        path = field_path(loc)
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        kind = err.get("type")
        if kind == "extra_forbidden":
            holder = _model_at(model, loc[:-1]) if model else None
            allowed = ", ".join(holder.model_fields) if holder else ""
            msg = "unknown key" + (
                f"; allowed here: {allowed}" if allowed else "; check its spelling"
            )
        elif kind == "string_type" and isinstance(err.get("input"), int | float):
            msg += ' (put the value in quotes, e.g. "1.0")'
        elif kind == "missing":
            msg = "required; this field must be given"
        elif named_fields and kind == "value_error" and (named := _NAMED.match(msg)):
            path = f"{path}.{named.group(1)}" if path else named.group(1)
            msg = msg[named.end() :]
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        out.append((path, msg))
    return out


def explain(
    exc: ValidationError,
    model: type[BaseModel] | None = None,
    prefix: str = "",
    *,
    named_fields: bool = False,
) -> InvalidInput:
    """One InvalidInput naming every bad field and what it allows.

    An unknown key lists the keys allowed at that place (when ``model`` is given), which is
    what fixes a misspelling.
    """
    problems = problems_of(exc.errors(), model, prefix, named_fields=named_fields)
    text = "; ".join(f"{path or '(the whole input)'}: {msg}" for path, msg in problems)
    return InvalidInput(
        text,
        field=problems[0][0] if problems else (prefix or None),
        problems=[{"field": f, "message": m} for f, m in problems],
    )


# --- the text input policy: one rule for every text a user sends -----------------------------

_BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def text_problem(value: str) -> str | None:
    """Why ``value`` is refused as text, or None: NUL, lone surrogates, control characters
    other than tab and newline (CR LF included), and bidirectional overrides. The same rule on
    SQLite and PostgreSQL (which cannot store NUL), for the API, the pages and the CLI."""
    for i, ch in enumerate(value):
        code = ord(ch)
        if ch == "\x00":
            return f"contains a NUL character at position {i}"
        if 0xD800 <= code <= 0xDFFF:
            return f"contains a lone surrogate (U+{code:04X}) at position {i}: not valid text"
        if ch in _BIDI_OVERRIDES:
            return f"contains a bidirectional override (U+{code:04X}) at position {i}"
        if (code < 0x20 or 0x7F <= code <= 0x9F) and ch not in _ALLOWED_CONTROLS:
            return f"contains a control character (U+{code:04X}) at position {i}"
    return None


def find_text_problem(value: Any, path: tuple[Any, ...] = ()) -> tuple[str, str] | None:
    """The first (field path, problem) in a JSON-like value (keys too), or None."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (field_path(path), problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            key_problem = text_problem(str(key))
            if key_problem:
                return (field_path(path) or "request", f"a key {key_problem}")
            found = find_text_problem(item, (*path, str(key)))
            if found:
                return found
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = find_text_problem(item, (*path, i))
            if found:
                return found
    return None
