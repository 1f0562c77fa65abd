"""Checks that relate one part of a policy to another, run after the structure is valid.

Each check yields `(location, message)`; a location is a path of keys and indexes into the
YAML document, which the loader turns into a line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from rapport.domain.decision import MONEY_OFFERS, OfferKind
from rapport.domain.desk import RESERVED_QUEUE_NAMES
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
# Money offers whose amount has no natural default (refunds default to the order total, a waived fee to
# the amount the customer mentions: ticket.amount_mentioned).
AMOUNT_REQUIRED = frozenset({OfferKind.PARTIAL_REFUND, OfferKind.STORE_CREDIT})


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
        if queue.name in RESERVED_QUEUE_NAMES:
            reserved = ", ".join(sorted(RESERVED_QUEUE_NAMES))
            yield (
                ("queues", q_index, "name"),
                (f"queue name '{queue.name}' is reserved for escalated tickets ({reserved}): choose another"),
            )
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


# -- Warnings: a valid policy that promises what its limits never allow ------------------------------

GOODWILL_OFFERS = frozenset({OfferKind.STORE_CREDIT, OfferKind.WAIVE_FEE})
_SEGMENT_IS = re.compile(r"""^segment\s*==\s*(?P<q>['"])(?P<name>[a-z][a-z0-9_]*)(?P=q)$""")
_IS_SEGMENT = re.compile(r"""^(?P<q>['"])(?P<name>[a-z][a-z0-9_]*)(?P=q)\s*==\s*segment$""")
_SEGMENT_IN = re.compile(r"""^segment\s+in\s*\[(?P<names>[^\]]*)\]$""")
_SEGMENT_NOT = re.compile(r"""^segment\s*!=\s*(?P<q>['"])(?P<name>[a-z][a-z0-9_]*)(?P=q)$""")
_QUOTED_NAME = re.compile(r"""^\s*(?P<q>['"])(?P<name>[a-z][a-z0-9_]*)(?P=q)\s*$""")


def limit_warnings(policy: Policy) -> list[Finding]:
    """Offers the limits can never allow, in document order: a money offer or discount that always
    escalates (a limit of 0 in every segment that can reach the rule), or a fixed amount or percent that
    is always cut down (above the limit in every such segment). The policy is valid; it misleads."""
    reachable = _reachable_segments(policy)
    findings: list[Finding] = []
    for intent, rules in policy.resolutions.items():
        remaining = list(reachable)
        for index, rule in enumerate(rules):
            constraint = _segment_constraint(rule.when)
            reach = [s for s in remaining if constraint.may_hold_for(s)]
            if reach:
                for field, message in _limit_findings(policy, rule, reach):
                    findings.append((("resolutions", intent, index, field), message))
            if constraint.unconditional:  # these segments always stop at this rule
                remaining = [s for s in remaining if s not in reach]
    return findings


def _reachable_segments(policy: Policy) -> list[str]:
    """The segments a customer can fall in: those up to the first that matches everyone."""
    names: list[str] = []
    for segment in policy.segments:
        names.append(segment.name)
        if _is_catch_all(segment.when):
            break
    return names


@dataclass(frozen=True, slots=True)
class _Constraint:
    """What a rule's `when` says about the segment: the segments it may hold for (`allowed`, None for
    any, minus `excluded`), and whether it holds for them whatever else is true (`unconditional`: it
    reads nothing but the segment)."""

    allowed: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()
    unconditional: bool = False

    def may_hold_for(self, segment: str) -> bool:
        return (self.allowed is None or segment in self.allowed) and segment not in self.excluded


def _segment_constraint(when: Expression | None) -> _Constraint:
    """Read `segment == 'x'`, `segment in [...]` and `segment != 'x'` among the top-level `&&` terms of
    a rule; anything else (an `||`, a ternary, a negation) is taken as "may hold for any segment", so a
    warning is only ever given when the limits really leave the offer no way through."""
    if when is None or _is_catch_all(when):
        return _Constraint(unconditional=True)
    terms = _top_level_conjuncts(when.source)
    if terms is None:
        return _Constraint()
    allowed: frozenset[str] | None = None
    excluded: set[str] = set()
    unconditional = True
    for term in terms:
        names = _segment_names(term)
        not_match = _SEGMENT_NOT.match(term)
        if names is not None:
            allowed = names if allowed is None else allowed & names
        elif not_match is not None:
            excluded.add(not_match.group("name"))
        elif term != "true":
            unconditional = False
    return _Constraint(allowed, frozenset(excluded), unconditional)


def _segment_names(term: str) -> frozenset[str] | None:
    for pattern in (_SEGMENT_IS, _IS_SEGMENT):
        match = pattern.match(term)
        if match is not None:
            return frozenset({match.group("name")})
    match = _SEGMENT_IN.match(term)
    if match is None:
        return None
    names: set[str] = set()
    for item in match.group("names").split(","):
        quoted = _QUOTED_NAME.match(item)
        if quoted is None:
            return None
        names.add(quoted.group("name"))
    return frozenset(names)


def _top_level_conjuncts(source: str) -> list[str] | None:
    """The terms of `a && b && c` outside brackets and strings, without enclosing parentheses;
    None when the expression is not a plain conjunction (a top-level `||` or `?`)."""
    text = source.strip()
    while _wrapped_in_parentheses(text):
        text = text[1:-1].strip()
    terms: list[str] = []
    start = 0
    for i, depth in _outside_strings(text):
        if depth == 0 and (text.startswith("||", i) or text[i] == "?"):
            return None
        if depth == 0 and text.startswith("&&", i):
            terms.append(text[start:i].strip())
            start = i + 2
    terms.append(text[start:].strip())
    return terms


def _wrapped_in_parentheses(text: str) -> bool:
    """True for `( ... )` where the first parenthesis closes at the last character."""
    if not text.startswith("("):
        return False
    closes = [i for i, depth in _outside_strings(text) if depth == 0 and text[i] == ")"]
    return bool(closes) and closes[0] == len(text) - 1


def _outside_strings(text: str) -> Iterator[tuple[int, int]]:
    """(index, bracket depth) of each character outside string literals; a bracket has the depth of
    the text around it, so an opening bracket and its closing one share a depth."""
    depth, i, quote = 0, 0, ""
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        else:
            if char in ")]}":
                depth -= 1
            yield i, depth
            if char in "([{":
                depth += 1
        i += 1


def _limit_findings(policy: Policy, rule: ResolutionRule, reach: list[str]) -> Iterator[tuple[str, str]]:
    kind = rule.offer
    if kind in MONEY_OFFERS:
        caps = [MONEY_OFFERS[kind], "credit_budget_90d" if kind in GOODWILL_OFFERS else "refund_budget_90d"]
        value, field = rule.amount, "amount"
    elif kind is OfferKind.DISCOUNT_CODE:
        caps, value, field = ["max_discount_percent"], rule.percent, "percent"
    else:
        return
    ceilings = [(segment, *_ceiling(policy, segment, caps)) for segment in reach]
    if all(amount == 0 for _, amount, _ in ceilings):
        which = ", ".join(f"{segment} by {name}" for segment, _, name in ceilings)
        yield (
            field if value is not None else "offer",
            f"{kind.value} can never be granted: every segment that can reach this rule has a limit of 0 "
            f"({which}); it always escalates",
        )
    elif isinstance(value, Decimal) and all(value > amount for _, amount, _ in ceilings):

        def shown(amount: Decimal) -> str:
            return f"{amount.normalize():f}%" if field == "percent" else f"{amount:.2f} {policy.currency}"

        which = ", ".join(f"{segment}: {shown(amount)} by {name}" for segment, amount, name in ceilings)
        yield (
            field,
            f"{kind.value} {shown(value)} is never granted in full: it is above the limit of every segment "
            f"that can reach this rule ({which})",
        )


def _ceiling(policy: Policy, segment: str, caps: list[str]) -> tuple[Decimal, str]:
    """The lowest of `caps` in the segment's limits, and the limit's name (`limits.key.field`)."""
    key, limits = policy.limits_for(segment)
    found = [(value, f"limits.{key}.{cap}") for cap in caps if (value := getattr(limits, cap)) is not None]
    return min(found, key=lambda pair: pair[0])
