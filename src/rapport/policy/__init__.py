"""The merchant policy: one YAML file of CEL rules, validated with file:line errors."""

from rapport.policy.durations import format_duration, parse_duration
from rapport.policy.errors import PolicyError, PolicyIssue
from rapport.policy.expressions import Expression, compile_expression
from rapport.policy.loading import (
    default_policy,
    default_policy_text,
    load_policy,
    parse_policy,
    policy_from_data,
)
from rapport.policy.schema import (
    Brand,
    Desk,
    Escalation,
    FollowUpRule,
    Limits,
    Policy,
    Priority,
    Queue,
    ResolutionRule,
    Segment,
    Signals,
    ToneRule,
)
from rapport.policy.vocabulary import FACTS, SIGNAL_KINDS, VARIABLES

__all__ = [
    "FACTS",
    "SIGNAL_KINDS",
    "VARIABLES",
    "Brand",
    "Desk",
    "Escalation",
    "Expression",
    "FollowUpRule",
    "Limits",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "Priority",
    "Queue",
    "ResolutionRule",
    "Segment",
    "Signals",
    "ToneRule",
    "compile_expression",
    "default_policy",
    "default_policy_text",
    "format_duration",
    "parse_duration",
    "load_policy",
    "parse_policy",
    "policy_from_data",
]
