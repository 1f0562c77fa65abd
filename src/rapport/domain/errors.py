"""Expected failures, each with a stable code: the CLI prints one line, the API maps the code to a status."""

from __future__ import annotations

import pickle


class RapportError(Exception):
    """Base of every expected failure. `code` is stable and machine-readable."""

    code = "rapport_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownIntent(RapportError):
    code = "unknown_intent"


class UnknownOrder(RapportError):
    code = "unknown_order"


class InvalidInput(RapportError):
    code = "invalid_input"


class StoreUnavailable(RapportError):
    """The store cannot be reached or used right now (connection, lock, missing schema): try again later.

    Raised by `rapport.store` in place of the database driver's error; nothing was written."""

    code = "store_unavailable"


class RecordRefused(RapportError):
    """The store refused one of the records written (a constraint or a value out of range).

    Raised by `rapport.store`; the transaction is then unusable, so the caller rolls back and may
    retry the other records without it."""

    code = "record_refused"


class UnknownMerchant(RapportError):
    """`RAPPORT_MERCHANT` (or a name given) is no merchant in the store: merchants are created on purpose
    (`rapport init`, `rapport merchant add`), never by a typo."""

    code = "unknown_merchant"


class Unauthenticated(RapportError):
    """No valid API key or session came with the request (or a key was revoked)."""

    code = "unauthenticated"


class Forbidden(RapportError):
    """The caller is known but its role may not do this (an agent on an admin route, a claim above its
    level, a grant above its authority)."""

    code = "forbidden"


class NotFound(RapportError):
    """No such thing *for this merchant*: another merchant's ticket is as absent as one that never was."""

    code = "not_found"


class Conflict(RapportError):
    """The thing exists but is not in a state that allows this (resolving a resolved ticket, claiming an
    empty queue)."""

    code = "conflict"


def portable_error(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling (so a forked parser can hand it to its parent), else a RuntimeError
    with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any failure means: send the text instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
