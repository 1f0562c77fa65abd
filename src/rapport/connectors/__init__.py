"""Adapters to the systems a merchant already runs (Shopify)."""
