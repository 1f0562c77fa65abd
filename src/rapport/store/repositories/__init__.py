"""Repositories: every SQL query of Rapport lives in one of these."""

from rapport.store.repositories.activity import ContactRepository, SubscriptionRepository
from rapport.store.repositories.customers import CustomerRepository, normalize_email
from rapport.store.repositories.merchants import MerchantRepository
from rapport.store.repositories.orders import OrderRepository
from rapport.store.repositories.profiles import ProfileRepository
from rapport.store.repositories.tickets import RecordedTicket, TicketRepository

__all__ = [
    "ContactRepository",
    "CustomerRepository",
    "MerchantRepository",
    "OrderRepository",
    "ProfileRepository",
    "RecordedTicket",
    "SubscriptionRepository",
    "TicketRepository",
    "normalize_email",
]
