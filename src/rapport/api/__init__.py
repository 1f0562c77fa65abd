"""HTTP API: the app factory, the Shopify webhook route, health."""

from rapport.api.app import create_app

__all__ = ["create_app"]
