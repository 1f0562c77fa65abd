"""Subscription and loyalty facts derived from what a shop exposes: tags, selling plans, metafields.

Shopify has no "is subscriber" flag that every shop fills: subscription apps tag customers and sell
through selling plans; loyalty apps tag customers or write metafields. Which tags mean what is the
merchant's to say: the policy's `signals:` section (`rapport.policy.Signals`) builds these rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SignalRules:
    """Which tags and metafields mean what (tags compare case-insensitively)."""

    subscription_tags: tuple[str, ...] = (
        "subscription",
        "subscriber",
        "active_subscriber",
        "active subscriber",
    )
    inactive_subscription_tags: tuple[str, ...] = ("inactive_subscriber", "cancelled_subscriber")
    selling_plans_mean_subscription: bool = True
    loyalty_tiers: tuple[str, ...] = ("platinum", "gold", "silver", "bronze")  # best first
    loyalty_tag_prefixes: tuple[str, ...] = ("", "loyalty:", "loyalty-", "tier:")
    loyalty_metafield: str | None = "loyalty.tier"  # namespace.key

    def subscription_from_tags(self, tags: tuple[str, ...]) -> bool | None:
        """True/False when the tags say so, None when they are silent."""
        lowered = {t.lower() for t in tags}
        if lowered & {t.lower() for t in self.inactive_subscription_tags}:
            return False
        if lowered & {t.lower() for t in self.subscription_tags}:
            return True
        return None

    def loyalty_tier(self, tags: tuple[str, ...], metafields: tuple[tuple[str, str], ...] = ()) -> str | None:
        """The best tier named by a metafield or a tag such as `gold` or `loyalty:gold`."""
        if self.loyalty_metafield:
            for key, value in metafields:
                if key == self.loyalty_metafield and value.strip():
                    return value.strip().lower()
        lowered = {re.sub(r"\s+", " ", t.strip().lower()) for t in tags}
        for tier in self.loyalty_tiers:
            if any(f"{prefix}{tier.lower()}" in lowered for prefix in self.loyalty_tag_prefixes):
                return tier
        return None
