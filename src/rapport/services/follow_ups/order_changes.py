"""Follow-ups when an order changes: an import, a Shopify sync or an orders webhook writes an order that a
resolved ticket's pending follow-ups are about.

- **Delivered.** An order whose fulfillment becomes `delivered` (it was not, in the store) has a new
  delivery date: its `relative_to: delivery` follow-ups still `scheduled` are re-timed by the same code
  that scheduled them (`engine.follow_up_timing.due_time`: the rule's `after`, the quiet hours in the
  customer's time zone). The store keeps no delivery date, so the delivery is the order's `updated_at`
  (the moment it became delivered, as `FollowUpRepository.anchors` reads it), or the write's `now` when
  the source gives none. A new time in the past is `now` (due at once, sent once). An order delivered
  again after a reshipment (delivered, then not, then delivered) moves them again.
- **Cancelled, or refunded in full.** An order that becomes cancelled (`cancelled_at` set) or fully
  refunded (`financial_status: refunded`, or refunds reaching its total) cancels all its pending
  follow-ups, with the reason in `cancelled_reason` (shown by `rapport follow-ups list`).

Only a change counts: an order already cancelled or delivered when the ticket was resolved was known
then, and the follow-ups planned with it stand (a survey on a cancellation request is still wanted).
A follow-up `sending`, `sent`, `dead` or `cancelled` is never touched; a `failed` one (already due and
tried) is cancelled by a cancellation but not re-timed.

**Design.** A row carries its rule's key (`default[0]:check_in`), not the rule: re-timing reads the
rule's `after` and `relative_to` from the policy in force: the merchant's newest stored version, else
the configured policy the writer is given (as `rapport.services.tenancy.Tenants` chooses). Without
either, rows are not re-timed — counted in `OrderFollowUps.not_retimed` — while
cancellations, which need no policy, still happen. A rule the policy no longer has (edited since) is
left as it was scheduled.

**Cost.** One query per written batch reads the pending follow-ups of the batch's orders with what the
store held of each order; it runs before the upsert (it needs the old state) in the same transaction, so
a batch that fails leaves the follow-ups as they were. Then one UPDATE per cancellation reason and one
per follow-up moved (few: only orders that just changed state). The bulk CSV path
(`IngestionWriter.bulk_orders`) skips this: it is for an initial load of a store's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from rapport.domain.follow_ups import FollowUpStatus
from rapport.domain.policy_version import StoredPolicy
from rapport.domain.records import OrderRecord
from rapport.engine.follow_up_timing import DELIVERY, Anchors, due_time
from rapport.policy.schema import Policy
from rapport.services.follow_ups.scheduling import customer_zone, rule_of
from rapport.services.follow_ups.store_port import FollowUpRepository, OrderFollowUp, follow_up_store
from rapport.services.policies import parse_stored

# Must agree with `rapport.store.repositories.follow_ups.DELIVERED` (what `anchors` reads as delivered).
DELIVERED = ("delivered",)
REFUNDED = "refunded"
ORDER_CANCELLED = "the order was cancelled"
ORDER_REFUNDED = "the order was refunded in full"


@dataclass(slots=True)
class OrderFollowUps:
    """What the orders' changes did to follow-ups."""

    moved: int = 0
    cancelled: int = 0
    not_retimed: int = 0  # scheduled follow-ups of delivered orders, not re-checked: no policy at hand


def follow_orders(
    uow: object,
    *,
    merchant_id: int,
    orders: Sequence[OrderRecord],
    now: datetime,
    policy: Policy | None = None,
) -> OrderFollowUps:
    """Re-time or cancel the pending follow-ups of `orders` (about to be written: call before the upsert,
    in its transaction). The last record of an order in the batch is the one written."""
    result = OrderFollowUps()
    store = follow_up_store(uow)
    if store is None or not orders:
        return result
    latest = {o.external_id: o for o in orders}
    pending = store.pending_for_orders(merchant_id=merchant_id, order_external_ids=list(latest))
    if not pending:
        return result
    ended: dict[str, list[int]] = {}
    delivered: list[tuple[OrderFollowUp, OrderRecord]] = []
    for row in pending:
        order = latest.get(row.order_external_id)
        if order is None:  # a collation that matched another spelling of the id: not this order
            continue
        reason = ending(row, order)
        if reason is not None:
            ended.setdefault(reason, []).append(row.id)
        elif row.status is FollowUpStatus.SCHEDULED and newly_delivered(row, order):
            delivered.append((row, order))
    for reason, ids in ended.items():
        result.cancelled += store.cancel_ids(
            merchant_id=merchant_id, follow_up_ids=ids, reason=reason, now=now
        )
    if delivered:
        rules = stored_policy(uow, merchant_id) or policy
        if rules is None:
            result.not_retimed += len(delivered)
        else:
            result.moved += _retime(store, rules, delivered, now)
    return result


def ending(row: OrderFollowUp, order: OrderRecord) -> str | None:
    """Why the order's change ends its follow-ups (cancelled, refunded in full), or None."""
    if order.cancelled_at is not None and row.cancelled_at is None:
        return ORDER_CANCELLED
    if _refunded(order) and row.financial_status.lower() != REFUNDED:
        return ORDER_REFUNDED
    return None


def newly_delivered(row: OrderFollowUp, order: OrderRecord) -> bool:
    """The order is delivered now and was not in the store: its delivery date is new."""
    return _delivered(order.fulfillment_status) and not _delivered(row.fulfillment_status)


def stored_policy(uow: object, merchant_id: int) -> Policy | None:
    """The merchant's newest stored policy version, or None (it runs from the policy file)."""
    policies = getattr(uow, "policies", None)
    stored = policies.current(merchant_id=merchant_id) if policies is not None else None
    return None if stored is None else _parsed(stored, merchant_id)


@lru_cache(maxsize=32)
def _parsed(stored: StoredPolicy, merchant_id: int) -> Policy:
    # Parsing a policy takes ~0.1 s: once per version and process, not once per batch or webhook.
    return parse_stored(stored, f"merchant {merchant_id}")


def _retime(
    store: FollowUpRepository,
    policy: Policy,
    delivered: Iterable[tuple[OrderFollowUp, OrderRecord]],
    now: datetime,
) -> int:
    moved = 0
    zone = customer_zone(policy)
    for row, order in delivered:
        rule = rule_of(policy, row.rule_key)
        if rule is None or rule.relative_to != DELIVERY or row.resolved_at is None:
            continue
        anchors = Anchors(resolved_at=row.resolved_at, delivered_at=order.updated_at or now)
        timing = due_time(rule, anchors, policy.quiet_hours, zone)
        due_at = max(timing.due_at, now)
        if (timing.anchor, due_at) == (row.anchor, row.due_at):
            continue
        moved += store.move(follow_up_id=row.id, anchor=timing.anchor, due_at=due_at, now=now)
    return moved


def _delivered(fulfillment_status: str) -> bool:
    return fulfillment_status.lower() in DELIVERED


def _refunded(order: OrderRecord) -> bool:
    if order.financial_status.lower() == REFUNDED:
        return True
    return order.total > 0 and order.refunded >= order.total
