"""What every package stands on: settings, the acting user, errors, the database, the audit trail.

Exported: the errors a caller catches (each names its ``field``) and the settings.
"""

from msctrial.core.actors import Actor
from msctrial.core.errors import (
    Conflict,
    IntegrityBroken,
    InvalidInput,
    MsctrialError,
    NotAuthenticated,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ReasonRequired,
    RuleViolation,
    TooManyAttempts,
)
from msctrial.core.settings import Settings, load_settings

__all__ = [
    "Actor",
    "Conflict",
    "IntegrityBroken",
    "InvalidInput",
    "MsctrialError",
    "NotAuthenticated",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "ReasonRequired",
    "RuleViolation",
    "Settings",
    "TooManyAttempts",
    "load_settings",
]
