"""The merchant: the tenant whose policy, currency and customers a use case works with."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapport.domain.errors import InvalidInput

SLUG_MAX = 100  # merchants.slug
SHOP_DOMAIN_MAX = 255  # merchants.shop_domain
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


@dataclass(frozen=True, slots=True)
class Merchant:
    """A merchant as stored; `currency` is the one its policy's limits and amounts are in;
    `shop_domain` is the Shopify shop whose webhooks belong to it (None: no shop connected)."""

    id: int
    slug: str
    currency: str
    shop_domain: str | None = None


def merchant_slug(value: str) -> str:
    """A merchant name as stored (what `RAPPORT_MERCHANT` names): letters, digits, `.`, `-`, `_`."""
    slug = value.strip()
    if not slug or len(slug) > SLUG_MAX or not _SLUG.fullmatch(slug):
        raise InvalidInput(
            f"merchant name {value[:120]!r} is not valid: use 1 to {SLUG_MAX} letters, digits, "
            "'.', '-' or '_', starting with a letter or digit"
        )
    return slug


def shop_domain(value: str) -> str:
    """A Shopify shop domain as stored and compared: lower case, without scheme or trailing slash
    (`https://Acme.myshopify.com/` is `acme.myshopify.com`)."""
    domain = value.strip().lower()
    for scheme in ("https://", "http://"):
        domain = domain.removeprefix(scheme)
    domain = domain.rstrip("/")
    if not domain or len(domain) > SHOP_DOMAIN_MAX or not _HOST.fullmatch(domain):
        raise InvalidInput(
            f"shop domain {value[:300]!r} is not a host name (expected e.g. acme.myshopify.com)"
        )
    return domain


def currency_code(value: str) -> str:
    """An ISO 4217 code as stored: three letters, upper case."""
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise InvalidInput(f"currency {value!r} is not an ISO 4217 code (three letters, e.g. EUR)")
    return code
