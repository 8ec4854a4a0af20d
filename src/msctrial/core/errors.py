"""The one exception family of msctrial.

Every error a user can cause carries a stable ``code``, the HTTP status the API answers with,
a plain message saying what was wrong and what to do, and, where it applies, the ``field``
that was wrong. The API renders any of them as ``{"error": {...}}``; the CLI prints the
message and exits 2. Anything else escaping a service is a bug.

    MsctrialError                     500  internal
    ├── InvalidInput                  422  invalid_input      bad value, unit, date, YAML, key
    │   ├── ReasonRequired            422  reason_required    a change to existing data without a reason
    │   └── OutOfRange                422  out_of_range       a value outside its hard (plausible) range
    ├── NotAuthenticated              401  not_authenticated
    ├── PermissionDenied              403  permission_denied  role, site or blinding forbids it
    ├── NotFound                      404  not_found          unknown id (or one the user may not see)
    ├── Conflict                      409  conflict           the state forbids it (e.g. releasing a rejected lot)
    │   └── RuleViolation             409  rule_violation     a protocol or product rule refuses it
    ├── TooManyAttempts               429  too_many_attempts  login throttled
    └── IntegrityBroken               500  integrity_broken   the audit chain does not verify
"""

from __future__ import annotations

from typing import Any


class MsctrialError(Exception):
    code = "internal"
    status = 500

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body

    def __str__(self) -> str:
        return self.message


class InvalidInput(MsctrialError):
    code = "invalid_input"
    status = 422


class ReasonRequired(InvalidInput):
    code = "reason_required"


class OutOfRange(InvalidInput):
    code = "out_of_range"


class NotAuthenticated(MsctrialError):
    code = "not_authenticated"
    status = 401


class PermissionDenied(MsctrialError):
    code = "permission_denied"
    status = 403


class NotFound(MsctrialError):
    code = "not_found"
    status = 404


class Conflict(MsctrialError):
    code = "conflict"
    status = 409


class RuleViolation(Conflict):
    code = "rule_violation"


class TooManyAttempts(MsctrialError):
    code = "too_many_attempts"
    status = 429


class IntegrityBroken(MsctrialError):
    code = "integrity_broken"
    status = 500
