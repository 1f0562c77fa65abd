"""Subscription and loyalty facts derived from what Shopify exposes: tags, selling plans, metafields.

Shopify has no "is subscriber" flag that every shop fills: subscription apps tag customers and sell
through selling plans; loyalty apps tag customers or write metafields. The mapping is configurable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from rapport.domain.errors import InvalidInput


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

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> SignalRules:
        """Rules from a parsed config mapping; unknown keys are refused by name."""
        allowed = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise InvalidInput(
                f"unknown signal setting(s): {', '.join(unknown)}; known: {', '.join(sorted(allowed))}"
            )
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        return cls(**values)

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
            if any(f"{prefix}{tier}" in lowered for prefix in self.loyalty_tag_prefixes):
                return tier
        return None


def load_signal_rules(path: Path | None) -> SignalRules:
    """The rules in a YAML (or JSON) file; the defaults when `path` is None."""
    if path is None:
        return SignalRules()
    try:
        raw = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read signal rules: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: signal rules must be a mapping of setting: value")
    try:
        return SignalRules.from_mapping(raw)
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}") from None
