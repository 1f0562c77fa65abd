"""Repositories: every SQL query of Rapport lives in one of these."""

from rapport.store.repositories.access import ApiKeyRepository, SessionRepository, UserRepository
from rapport.store.repositories.activity import ContactRepository, SubscriptionRepository
from rapport.store.repositories.bulk_orders import BulkOrder, BulkValues, OrderBulkRepository
from rapport.store.repositories.customers import CustomerRepository, normalize_email
from rapport.store.repositories.grants import GrantRepository
from rapport.store.repositories.merchants import MerchantRepository
from rapport.store.repositories.orders import OrderRepository
from rapport.store.repositories.policies import PolicyVersionRepository
from rapport.store.repositories.profiles import ProfileRepository
from rapport.store.repositories.shopify import ShopifyRepository
from rapport.store.repositories.tickets import RecordedTicket, TicketRepository

__all__ = [
    "ApiKeyRepository",
    "SessionRepository",
    "UserRepository",
    "BulkOrder",
    "BulkValues",
    "ContactRepository",
    "CustomerRepository",
    "GrantRepository",
    "MerchantRepository",
    "OrderBulkRepository",
    "OrderRepository",
    "PolicyVersionRepository",
    "ProfileRepository",
    "RecordedTicket",
    "ShopifyRepository",
    "SubscriptionRepository",
    "TicketRepository",
    "normalize_email",
]
