"""Evaluating one rule safely: an expression that fails at run time simply does not match."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapport.policy.expressions import Expression


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a rule gave: a value, or why it could not be computed."""

    value: object = None
    error: str | None = None


def evaluate(expression: Expression, context: dict[str, Any]) -> Outcome:
    """Run `expression`; any evaluation failure becomes `Outcome(error=...)`, never an exception."""
    try:
        return Outcome(value=expression.evaluate(context))
    # CEL raises KeyError, TypeError, RuntimeError, IndexError, ZeroDivisionError, ... depending
    # on the mistake; a merchant's rule must never take the engine down, whatever it raises.
    except Exception as exc:
        return Outcome(error=describe_error(exc))


def matches(expression: Expression | None, context: dict[str, Any]) -> Outcome:
    """Whether a `when` holds: `Outcome(value=True/False)`, or an error (which means no match)."""
    if expression is None:
        return Outcome(value=True)
    outcome = evaluate(expression, context)
    if outcome.error is None and not isinstance(outcome.value, bool):
        return Outcome(error=f"gave {type(outcome.value).__name__}, not true or false")
    return outcome


def describe_error(exc: Exception) -> str:
    """A short, one-line reason for an evaluation failure."""
    if isinstance(exc, KeyError):
        return f"no such field {exc.args[0]!r}" if exc.args else "no such field"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    first_sentence = text.split(". ")[0]
    return first_sentence[:100]
