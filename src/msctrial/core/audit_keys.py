"""The audit keyring: the secrets that key the chain's links, held outside the database.

Each link of the trail is an HMAC-SHA256 under a key the database does not hold, so a writer
with only database access cannot recompute the chain after an edit. Each entry records the
id of the key it was signed with; rotating is adding a key with a new id, after which new
entries are signed with it and older ones still verify while their key stays in the ring.

Where the keys come from, in this order:

- ``MSCTRIAL_AUDIT_KEY=ID:SECRET`` signs (and verifies its own entries);
- ``MSCTRIAL_AUDIT_KEY_FILE`` names a keyring file, one ``ID:SECRET`` a line (``#`` comments);
  its last key signs when ``MSCTRIAL_AUDIT_KEY`` is unset, every key in it verifies;
- neither set (development, the demo, tests): the per-user keyring
  ``$XDG_STATE_HOME/msctrial/audit-keys`` (``~/.local/state/…``), created with mode 0600 on the
  first signed write. ``msctrial serve`` on PostgreSQL outside demo mode refuses to start
  without one of the two settings: a shared database needs one key its operators agree on.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from msctrial.core.errors import InvalidInput

KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
MIN_SECRET = 32  # characters; token_urlsafe(32) gives 43
MAX_KEYRING_BYTES = 100_000


def default_keyring_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "msctrial" / "audit-keys"


def parse_key(text: str, where: str) -> tuple[str, bytes]:
    """``ID:SECRET`` → (id, secret bytes), or InvalidInput naming where it came from."""
    key_id, sep, secret = text.strip().partition(":")
    if not sep or not KEY_ID.match(key_id):
        raise InvalidInput(
            f"{where}: an audit key is written ID:SECRET, the id of 1-32 letters, digits, "
            "'.', '_' or '-'",
            field=where,
        )
    if len(secret) < MIN_SECRET:
        raise InvalidInput(
            f"{where}: the secret of audit key {key_id!r} is shorter than {MIN_SECRET} "
            "characters; make one with `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`",
            field=where,
        )
    return key_id, secret.encode()


def read_keyring_file(path: Path) -> list[tuple[str, bytes]]:
    """The keys of a keyring file, oldest first."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_KEYRING_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(
            f"audit keyring {path} cannot be read ({exc.strerror or exc})",
            field="MSCTRIAL_AUDIT_KEY_FILE",
        ) from None
    if len(data) > MAX_KEYRING_BYTES:
        raise InvalidInput(f"audit keyring {path} is too large to be a keyring")
    keys = []
    for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            keys.append(parse_key(line, f"{path} line {n}"))
    return keys


def new_key_line(existing: list[str]) -> str:
    """A fresh ``ID:SECRET`` line whose id is not among ``existing``."""
    while True:
        key_id = f"k{secrets.token_hex(4)}"
        if key_id not in existing:
            return f"{key_id}:{secrets.token_urlsafe(32)}"


def add_key(path: Path) -> str:
    """Append a new key to the keyring file at ``path`` (created 0600 if absent); its id."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    ids = [k for k, _ in read_keyring_file(path)] if path.exists() else []
    line = new_key_line(ids)
    if not path.exists():
        _create_exclusively(path, line)
    else:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return line.split(":", 1)[0]


def _create_exclusively(path: Path, line: str) -> None:
    """Write the file whole under another name, then link it into place: a second process
    creating it at the same moment finds it complete or fails to link and reads ours."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-keys.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("# msctrial audit keyring: one ID:SECRET a line; the last signs\n")
            fh.write(line + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


@dataclass
class Keyring:
    """The keys that verify the trail, and the one that signs new entries."""

    env_key: tuple[str, bytes] | None = None
    file: Path | None = None
    configured_file: bool = False
    _file_keys: list[tuple[str, bytes]] | None = field(default=None, repr=False)

    @classmethod
    def from_values(cls, key: str | None, key_file: Path | str | None) -> Keyring:
        env_key = parse_key(key, "MSCTRIAL_AUDIT_KEY") if key else None
        if key_file:
            return cls(env_key, Path(key_file).expanduser(), configured_file=True)
        return cls(env_key, None if env_key else default_keyring_path())

    @classmethod
    def from_env(cls) -> Keyring:
        return cls.from_values(
            os.environ.get("MSCTRIAL_AUDIT_KEY") or None,
            os.environ.get("MSCTRIAL_AUDIT_KEY_FILE") or None,
        )

    @property
    def configured(self) -> bool:
        """Whether the keys were named by a setting (not the per-user development keyring)."""
        return self.env_key is not None or self.configured_file

    def _keys_in_file(self) -> list[tuple[str, bytes]]:
        if self._file_keys is None:
            if self.file is None or (not self.configured_file and not self.file.exists()):
                self._file_keys = []
            else:
                self._file_keys = read_keyring_file(self.file)
        return self._file_keys

    def get(self, key_id: str) -> bytes | None:
        if self.env_key and self.env_key[0] == key_id:
            return self.env_key[1]
        return dict(self._keys_in_file()).get(key_id)

    def ids(self) -> list[str]:
        found = [k for k, _ in self._keys_in_file()]
        return [*found, self.env_key[0]] if self.env_key else found

    def signing(self) -> tuple[str, bytes]:
        """The key new entries are signed with; the development keyring is made on first use."""
        if self.env_key:
            return self.env_key
        keys = self._keys_in_file()
        if not keys and self.file is not None and not self.configured_file:
            add_key(self.file)
            self._file_keys = None
            keys = self._keys_in_file()
        if not keys:
            raise InvalidInput(
                f"audit keyring {self.file} holds no key; add one with `msctrial audit rotate-key`",
                field="MSCTRIAL_AUDIT_KEY_FILE",
            )
        return keys[-1]

    def where(self) -> str:
        """Where these keys come from, for messages."""
        parts = ["MSCTRIAL_AUDIT_KEY"] if self.env_key else []
        if self.file is not None:
            parts.append(str(self.file))
        return " and ".join(parts)


def mac(secret: bytes, text: bytes) -> str:
    return hmac.new(secret, text, hashlib.sha256).hexdigest()
