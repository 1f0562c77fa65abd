"""Expected failures, each with a stable code: the CLI prints one line, the API answers 4xx JSON."""

from __future__ import annotations


class RapportError(Exception):
    """Base of every expected failure. `code` is stable and machine-readable."""

    code = "rapport_error"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownIntent(RapportError):
    code = "unknown_intent"
    http_status = 422


class UnknownOrder(RapportError):
    code = "unknown_order"
    http_status = 404


class InvalidInput(RapportError):
    code = "invalid_input"
    http_status = 422
