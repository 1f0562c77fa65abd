"""Expected failures, each with a stable code: the CLI prints one line, the API maps the code to a status."""

from __future__ import annotations


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
