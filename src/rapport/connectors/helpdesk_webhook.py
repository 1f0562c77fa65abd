"""Follow-ups delivered to the merchant's help desk: an HTTPS POST of a signed JSON body (httpx).

The receiver checks two headers, as Rapport checks Shopify's webhooks (`connectors/shopify/webhooks`):
`X-Rapport-Timestamp` (Unix seconds) and `X-Rapport-Signature`, the base64 of HMAC-SHA256 over
`{timestamp}.{raw body}` keyed with the shared secret. The timestamp is inside the signature, so an
old delivery replayed later is refused by a receiver that bounds its age (`verify_signature`).
`X-Rapport-Key` is the follow-up's stable key: the same follow-up delivered twice carries the same
key, and a receiver drops the repeat.

A 2xx is delivered; a 5xx, a 408 or 429 (the receiver asks to come back), a timeout or a connection
failure is retryable; any other answer (4xx: the URL or the secret is wrong, the body refused; a
redirect, which is not followed) is not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from rapport.domain.follow_ups import DeliveryFailed, OutboundMessage

SIGNATURE = "X-Rapport-Signature"
TIMESTAMP = "X-Rapport-Timestamp"
KEY = "X-Rapport-Key"
_RETRYABLE_4XX = frozenset({408, 429})


def signature(body: bytes, timestamp: int, secret: str) -> str:
    """base64(HMAC-SHA256(secret, f"{timestamp}." + body))."""
    signed = f"{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def verify_signature(
    body: bytes,
    headers: Mapping[str, str],
    secret: SecretStr | str,
    *,
    now: datetime,
    tolerance_seconds: int = 300,
) -> bool:
    """The receiver's check: signed with `secret` (constant-time) and no older than the tolerance."""
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    lowered = {name.lower(): value for name, value in headers.items()}
    sent, stamp = lowered.get(SIGNATURE.lower(), ""), lowered.get(TIMESTAMP.lower(), "")
    if not (key and sent and stamp.isdigit()):
        return False
    if abs(now.timestamp() - int(stamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature(body, int(stamp), key).encode(), sent.strip().encode())


def payload(message: OutboundMessage) -> bytes:
    """The JSON body: every field of the follow-up, keys sorted, UTF-8."""
    document = {
        "key": message.key,
        "merchant_id": message.merchant_id,
        "ticket_id": message.ticket_id,
        "kind": message.kind,
        "channel": message.channel,
        "to": {"address": message.to_address, "name": message.to_name},
        "subject": message.subject,
        "body": message.body,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class HelpdeskWebhook:
    """POSTs each follow-up to `url`, signed with `secret`."""

    def __init__(
        self,
        url: str,
        secret: SecretStr,
        *,
        timeout_seconds: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the help desk webhook needs an http(s) URL (RAPPORT_HELPDESK_WEBHOOK_URL)")
        if not secret.get_secret_value():
            raise ValueError("the help desk webhook needs a secret (RAPPORT_HELPDESK_WEBHOOK_SECRET)")
        self.url = url
        self.secret = secret
        self.timeout_seconds = timeout_seconds
        self.transport = transport

    def send(self, message: OutboundMessage, *, now: datetime | None = None) -> None:
        """Deliver the follow-up, or raise `DeliveryFailed` saying whether to retry."""
        body = payload(message)
        stamp = int((now or datetime.now(UTC)).timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP: str(stamp),
            SIGNATURE: signature(body, stamp, self.secret.get_secret_value()),
            KEY: message.key,
        }
        try:
            with httpx.Client(timeout=self.timeout_seconds, transport=self.transport) as client:
                response = client.post(self.url, content=body, headers=headers)
        except httpx.TransportError as exc:  # timeouts, refused or dropped connections, TLS failures
            raise DeliveryFailed(f"{self.url}: {type(exc).__name__}: {exc}", retryable=True) from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        retryable = status >= 500 or status in _RETRYABLE_4XX
        answer = response.text[:200].strip()
        raise DeliveryFailed(f"{self.url} answered {status} {answer}".strip(), retryable=retryable)
