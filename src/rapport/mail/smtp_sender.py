"""Follow-ups by e-mail over SMTP (smtplib): STARTTLS, implicit TLS or plain, an optional login.

One connection per message: follow-ups trickle out over days, and a worker that holds no
connection has nothing to time out between them. How a failure is classed:

- a 4xx reply (greylisting, a full mailbox, "try again later"), a timeout, a refused or dropped
  connection: retryable;
- a 5xx reply (an unknown recipient, a rejected sender, a failed login), a server without STARTTLS
  when it was asked for, a certificate that does not verify: not retryable (the same attempt would
  fail the same way; an admin must fix the address or the settings).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from rapport.domain.follow_ups import DeliveryFailed, OutboundMessage
from rapport.mail.outgoing import email_message

Security = Literal["starttls", "ssl", "none"]


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to hand mail over; the password stays a SecretStr until `login`."""

    host: str
    port: int
    from_address: str
    security: Security = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    from_name: str = ""
    timeout_seconds: float = 10.0


class SmtpSender:
    """Sends each follow-up as one e-mail; its Message-ID is derived from the message's key."""

    def __init__(self, settings: SmtpSettings, *, tls_context: ssl.SSLContext | None = None) -> None:
        if not settings.host:
            raise ValueError("SMTP delivery needs a host (RAPPORT_SMTP_HOST)")
        if not settings.from_address:
            raise ValueError("SMTP delivery needs a From address (RAPPORT_SMTP_FROM)")
        self.settings = settings
        self.tls_context = tls_context or ssl.create_default_context()

    def send(self, message: OutboundMessage) -> None:
        """Hand the message to the server, or raise `DeliveryFailed` saying whether to retry."""
        s = self.settings
        mail = email_message(message, from_address=s.from_address, from_name=s.from_name)
        where = f"{s.host}:{s.port}"
        try:
            with self._connect() as smtp:
                if s.security == "starttls":
                    smtp.starttls(context=self.tls_context)
                if s.username:
                    smtp.login(s.username, s.password.get_secret_value())
                smtp.send_message(mail, from_addr=s.from_address, to_addrs=[message.to_address])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (550, b""))
            raise _refused(f"{where} refused {message.to_address}", code, reply) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, login failed ...
            raise _refused(f"{where} answered", exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryFailed(f"{where}: {exc} (check RAPPORT_SMTP_SECURITY)", retryable=False) from exc
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryFailed(
                f"{where}: TLS certificate not trusted: {exc.verify_message}", retryable=False
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:  # timeouts, refused or dropped connections
            raise DeliveryFailed(f"{where}: {type(exc).__name__}: {exc}", retryable=True) from exc

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=self.tls_context)
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)


def _refused(what: str, code: int, reply: bytes | str) -> DeliveryFailed:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return DeliveryFailed(f"{what}: {code} {text}".strip(), retryable=400 <= code < 500)
