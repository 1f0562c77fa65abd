"""Money in two currencies: the policy's (limits, budgets, rule amounts) and the order's (the offer).

`currency_rates` in the policy says what one unit of another currency is worth in the policy's
currency (`EUR: 1.08` in a USD policy: 1 EUR = 1.08 USD). The engine works in the policy's currency
and converts the granted amount into the order's at the end, rounding down to the order currency's
smallest unit, so the converted offer is never worth more than the policy allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from rapport.policy.schema import Policy

CENT = Decimal("0.01")
ONE = Decimal(1)
# ISO 4217 currencies without a minor unit: an amount in them is a whole number.
_WHOLE_UNIT_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)


@dataclass(frozen=True, slots=True)
class OrderMoney:
    """The ticket's order as the limits see it: its value in its own currency and its rate.

    `rate` is what one unit of `currency` is worth in the policy's currency (1 when they are the
    same), None when the policy has no rate for it.
    """

    total: Decimal
    currency: str
    rate: Decimal | None

    @property
    def total_in_policy_currency(self) -> Decimal | None:
        """The order's value in the policy's currency (None without a rate)."""
        return None if self.rate is None else self.total * self.rate


def order_money(policy: Policy, total: Decimal, currency: str) -> OrderMoney:
    """The order's value with the rate the policy gives its currency."""
    rate = ONE if currency == policy.currency else policy.currency_rates.get(currency)
    return OrderMoney(total=total, currency=currency, rate=rate)


def smallest_unit(currency: str) -> Decimal:
    """0.01 for most currencies, 1 for those without a minor unit (JPY, KRW, ...)."""
    return ONE if currency in _WHOLE_UNIT_CURRENCIES else CENT


def round_down(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded down to the currency's smallest unit."""
    return amount.quantize(smallest_unit(currency), rounding=ROUND_DOWN)


def convert_down(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """`amount` (policy currency) in `currency` at `rate`, rounded down: the result times `rate` is
    never more than `amount`, even where the division itself had to round."""
    unit = smallest_unit(currency)
    converted = (amount / rate).quantize(unit, rounding=ROUND_DOWN)
    while converted > 0 and converted * rate > amount:
        converted -= unit
    return converted


def money(amount: Decimal, currency: str) -> str:
    """2450 USD -> "2,450.00 USD"; 9000 JPY -> "9,000 JPY"."""
    places = 0 if smallest_unit(currency) == ONE else 2
    return f"{amount:,.{places}f} {currency}"
