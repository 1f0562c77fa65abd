"""Checks that relate one part of a policy to another, run after the structure is valid.

Each check yields `(location, message)`; a location is a path of keys and indexes into the
YAML document, which the loader turns into a line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rapport.domain.decision import MONEY_OFFERS, OfferKind
from rapport.domain.ticket import Intent
from rapport.policy.expressions import Expression
from rapport.policy.schema import Policy, ResolutionRule
from rapport.policy.vocabulary import SIGNAL_KINDS

Location = tuple[str | int, ...]
Finding = tuple[Location, str]

INTENTS = frozenset(i.value for i in Intent)
SHIPPED_OFFERS = frozenset({OfferKind.REPLACEMENT, OfferKind.RESHIP, OfferKind.FREE_SHIPPING_UPGRADE})
RETURNABLE_OFFERS = frozenset(
    {
        OfferKind.REPLACEMENT,
        OfferKind.EXCHANGE,
        OfferKind.REFUND,
        OfferKind.PARTIAL_REFUND,
        OfferKind.RETURN_FOR_REFUND,
    }
)
# Money offers whose amount has no natural default (refunds default to the order total).
AMOUNT_REQUIRED = frozenset({OfferKind.PARTIAL_REFUND, OfferKind.STORE_CREDIT, OfferKind.WAIVE_FEE})


def cross_check(policy: Policy) -> list[Finding]:
    """Every inconsistency between sections, in document order."""
    return [
        *_check_segments(policy),
        *_check_queues(policy),
        *_check_segment_keys(policy),
        *_check_resolutions(policy),
        *_check_priority_and_escalation(policy),
    ]


def _is_catch_all(when: Expression | None) -> bool:
    return when is None or when.source.strip() == "true"


def _check_segments(policy: Policy) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, segment in enumerate(policy.segments):
        if segment.name in seen:
            yield ("segments", index, "name"), f"segment '{segment.name}' is defined twice"
        seen.add(segment.name)
    last = len(policy.segments) - 1
    if not _is_catch_all(policy.segments[last].when):
        yield (
            ("segments", last, "when"),
            'the last segment must match everyone (when: "true" or no when)',
        )


def _check_queues(policy: Policy) -> Iterator[Finding]:
    names = {s.name for s in policy.segments}
    routed: dict[str, str] = {}
    queue_names: set[str] = set()
    for q_index, queue in enumerate(policy.queues):
        if queue.name in queue_names:
            yield ("queues", q_index, "name"), f"queue '{queue.name}' is defined twice"
        queue_names.add(queue.name)
        for s_index, segment in enumerate(queue.segments):
            where: Location = ("queues", q_index, "segments", s_index)
            if segment not in names:
                yield where, f"unknown segment '{segment}'"
            elif segment in routed:
                yield where, f"segment '{segment}' is already routed by queue '{routed[segment]}'"
            else:
                routed[segment] = queue.name
    for index, defined in enumerate(policy.segments):
        if defined.name not in routed:
            yield ("segments", index, "name"), f"segment '{defined.name}' is not routed by any queue"


def _check_segment_keys(policy: Policy) -> Iterator[Finding]:
    names = {s.name for s in policy.segments} | {"default"}
    sections: dict[str, set[str]] = {
        "limits": set(policy.limits),
        "tone": set(policy.tone),
        "follow_ups": set(policy.follow_ups),
    }
    for section, keys in sections.items():
        for key in sorted(keys - names):
            yield (section, key), f"unknown segment '{key}'"
    if "default" not in policy.limits:
        yield ("limits",), "missing the required 'default' limits"


def _check_resolutions(policy: Policy) -> Iterator[Finding]:
    for intent, rules in policy.resolutions.items():
        if intent not in INTENTS:
            yield ("resolutions", intent), f"unknown intent '{intent}'"
            continue
        for index, rule in enumerate(rules):
            for field, message in _check_rule(rule):
                yield ("resolutions", intent, index, field), message
            if index > 0 and _is_catch_all(rules[index - 1].when):
                yield ("resolutions", intent, index), "unreachable: the rule before it always matches"


def _check_rule(rule: ResolutionRule) -> Iterator[tuple[str, str]]:
    kind = rule.offer
    if rule.amount is not None and kind not in MONEY_OFFERS:
        yield "amount", f"'{kind.value}' takes no amount (only {_names(MONEY_OFFERS)})"
    if rule.amount is None and kind in AMOUNT_REQUIRED:
        yield "offer", f"'{kind.value}' needs an amount"
    if rule.percent is not None and kind is not OfferKind.DISCOUNT_CODE:
        yield "percent", "only discount_code takes a percent"
    if rule.percent is None and kind is OfferKind.DISCOUNT_CODE:
        yield "offer", "'discount_code' needs a percent"
    if isinstance(rule.percent, Decimal) and rule.percent > 100:
        yield "percent", "a percent cannot exceed 100"
    if rule.shipping is not None and kind not in SHIPPED_OFFERS:
        yield "shipping", f"only {_names(SHIPPED_OFFERS)} take a shipping speed"
    if rule.requires_return is not None and kind not in RETURNABLE_OFFERS:
        yield "requires_return", f"only {_names(RETURNABLE_OFFERS)} can require a return"
    if kind is OfferKind.NONE and rule.reason is None:
        yield "offer", "'none' needs a reason the reply can state, e.g. \"outside the 30-day window\""


def _names(kinds: frozenset[OfferKind] | dict[OfferKind, str]) -> str:
    return ", ".join(sorted(k.value for k in kinds))


def _check_priority_and_escalation(policy: Policy) -> Iterator[Finding]:
    queue_names = {q.name for q in policy.queues}
    for name in policy.priority.queue_base:
        if name not in queue_names:
            yield ("priority", "queue_base", name), f"unknown queue '{name}'"
    for section, kinds in (("priority", policy.priority.signals), ("escalation", policy.escalation.signals)):
        for kind in kinds:
            if kind not in SIGNAL_KINDS:
                yield (section, "signals", kind), f"unknown signal '{kind}' (known: {_signals()})"


def _signals() -> str:
    return ", ".join(sorted(SIGNAL_KINDS))
