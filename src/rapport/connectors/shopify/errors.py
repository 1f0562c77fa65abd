"""Expected Shopify failures, each with a stable code (see rapport.domain.errors)."""

from __future__ import annotations

from rapport.domain.errors import RapportError


class ShopifyError(RapportError):
    """Shopify could not be used as asked; the message says what to check."""

    code = "shopify_error"


class ShopifyNotConfigured(ShopifyError):
    code = "shopify_not_configured"


class ShopifyUnauthorized(ShopifyError):
    """401: the access token is wrong or revoked."""

    code = "shopify_unauthorized"


class ShopifyForbidden(ShopifyError):
    """403 or ACCESS_DENIED: the app lacks an access scope."""

    code = "shopify_forbidden"


class ShopifyShopNotFound(ShopifyError):
    """404: no such shop or API version at that address."""

    code = "shopify_shop_not_found"


class ShopifyUnavailable(ShopifyError):
    """Network errors, 5xx or throttling persisted beyond the retry budget."""

    code = "shopify_unavailable"


class ShopifyQueryError(ShopifyError):
    """The GraphQL query itself was refused (a bug or an API-version mismatch)."""

    code = "shopify_query_error"


class BulkOperationFailed(ShopifyError):
    code = "shopify_bulk_operation_failed"


class WebhookUnauthorized(RapportError):
    """The delivery's HMAC is missing or wrong: it did not come from Shopify."""

    code = "webhook_unauthorized"


class WebhookRejected(RapportError):
    """The delivery is authentic but unusable (missing headers, malformed JSON)."""

    code = "webhook_rejected"
