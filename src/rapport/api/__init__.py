"""HTTP API: the app factory, ticket routes, the Shopify webhook route, health."""

from rapport.api.app import app_from_environment, create_app

__all__ = ["app_from_environment", "create_app"]
