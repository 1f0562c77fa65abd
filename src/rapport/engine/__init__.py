"""The pure decision engine: ticket + customer + policy + now -> Decision, with explanations."""

from rapport.engine.deciding import decide
from rapport.engine.facts import build_facts, granted_last_90d
from rapport.engine.limits import remaining_budget

__all__ = ["build_facts", "decide", "granted_last_90d", "remaining_budget"]
