"""A file outbox: each follow-up becomes one `.eml` file in a directory (the demo's and a trial's
default delivery: nothing leaves the machine, and any mail client opens the files).

A file is written whole or not at all (a temporary file in the same directory, flushed to disk, then
renamed over the name), and its name comes from the message's key: the same follow-up delivered
twice overwrites its file instead of making a second one.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from rapport.domain.follow_ups import DeliveryFailed, OutboundMessage
from rapport.mail.outgoing import email_message

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")


def file_name(key: str) -> str:
    """`<key>.eml`; a key with other characters gets a hash, so that two keys never share a file."""
    if _SAFE_NAME.match(key):
        return f"{key}.eml"
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip(".-")[:100] or "message"
    return f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.eml"


class FileOutbox:
    """Delivers a follow-up by writing it to `directory` (created on first use)."""

    def __init__(self, directory: Path, *, from_address: str, from_name: str = "") -> None:
        self.directory = directory
        self.from_address = from_address
        self.from_name = from_name

    def path_for(self, key: str) -> Path:
        return self.directory / file_name(key)

    def send(self, message: OutboundMessage) -> None:
        """Write the message's `.eml` atomically; a directory that cannot be written is retryable."""
        mail = email_message(message, from_address=self.from_address, from_name=self.from_name)
        target = self.path_for(message.key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
            try:
                with os.fdopen(descriptor, "wb") as out:
                    out.write(mail.as_bytes())
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, target)
                _sync_directory(self.directory)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # A full disk or a missing permission may be fixed by an admin: worth retrying later.
            raise DeliveryFailed(f"cannot write {target}: {exc.strerror or exc}", retryable=True) from exc


def _sync_directory(directory: Path) -> None:
    """Make the rename durable too (POSIX: the directory entry is data of the directory)."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
