"""The SMTP sender against a real SMTP server on loopback (aiosmtpd), with and without TLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from rapport.domain.follow_ups import DeliveryFailed
from rapport.mail.smtp_sender import SmtpSender, SmtpSettings

from .builders import a_follow_up

FROM = "support@acme.example"


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it accepts, or answers RCPT/DATA with a set reply."""

    received: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.recipients.append(list(envelope.rcpt_tos))
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    mailbox: Mailbox
    port: int


def serve(mailbox: Mailbox, **options: Any) -> Iterator[Server]:
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield Server(mailbox, port)
    finally:
        controller.stop()


def sender(port: int, *, tls: ssl.SSLContext | None = None, **settings: Any) -> SmtpSender:
    values: dict[str, Any] = {"host": "127.0.0.1", "port": port, "from_address": FROM, "security": "none"}
    return SmtpSender(SmtpSettings(**{**values, **settings}), tls_context=tls)


@pytest.fixture
def plain() -> Iterator[Server]:
    yield from serve(Mailbox())


def accept_ana(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"ana",
        b"correct horse",
    )
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


@pytest.fixture
def with_login() -> Iterator[Server]:
    yield from serve(Mailbox(), authenticator=accept_ana, auth_require_tls=False)


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("the TLS tests need the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


def test_the_server_receives_the_follow_up_for_the_customer(plain: Server) -> None:
    sender(plain.port).send(a_follow_up())
    (mail,) = plain.mailbox.received
    assert plain.mailbox.recipients == [["dana.lee@example.com"]]
    assert mail["To"] == "Dana Lee <dana.lee@example.com>"
    assert mail["From"] == FROM
    assert mail["Subject"] == "A personal note from Acme Home about your order #1042"
    assert mail.get_content().startswith("Hi Dana,")


def test_the_message_id_comes_from_the_key_so_a_repeat_can_be_dropped(plain: Server) -> None:
    sender(plain.port).send(a_follow_up())
    sender(plain.port).send(a_follow_up())
    ids = [mail["Message-ID"] for mail in plain.mailbox.received]
    assert ids == ["<rapport-follow-up-3-41@acme.example>"] * 2


def test_the_sender_logs_in_with_its_password(with_login: Server) -> None:
    sender(with_login.port, username="ana", password=SecretStr("correct horse")).send(a_follow_up())
    assert len(with_login.mailbox.received) == 1


def test_a_wrong_password_is_not_retryable(with_login: Server) -> None:
    with pytest.raises(DeliveryFailed, match="535") as failed:
        sender(with_login.port, username="ana", password=SecretStr("wrong")).send(a_follow_up())
    assert failed.value.retryable is False


def test_a_451_answer_is_retryable(plain: Server) -> None:
    plain.mailbox.data_reply = "451 4.3.0 Try again later"
    with pytest.raises(DeliveryFailed, match="451") as failed:
        sender(plain.port).send(a_follow_up())
    assert failed.value.retryable is True


def test_a_greylisted_recipient_is_retryable(plain: Server) -> None:
    plain.mailbox.rcpt_reply = "450 4.2.0 Greylisted, come back later"
    with pytest.raises(DeliveryFailed) as failed:
        sender(plain.port).send(a_follow_up())
    assert failed.value.retryable is True


def test_a_refused_recipient_is_not_retryable_and_names_the_address(plain: Server) -> None:
    plain.mailbox.rcpt_reply = "550 5.1.1 No such user"
    with pytest.raises(DeliveryFailed, match=r"refused dana\.lee@example\.com: 550") as failed:
        sender(plain.port).send(a_follow_up())
    assert failed.value.retryable is False
    assert plain.mailbox.received == []


def test_a_server_that_is_down_is_retryable() -> None:
    with pytest.raises(DeliveryFailed, match="ConnectionRefused") as failed:
        sender(free_port()).send(a_follow_up())
    assert failed.value.retryable is True


def test_a_server_that_never_greets_times_out_and_is_retryable() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(DeliveryFailed, match="[Tt]imeout|timed out") as failed:
            sender(port, timeout_seconds=0.3).send(a_follow_up())
    assert failed.value.retryable is True


def test_starttls_upgrades_the_connection_before_sending(certificate: Certificate) -> None:
    options = {"tls_context": certificate.server_context(), "require_starttls": True}
    for server in serve(Mailbox(), **options):
        sender(server.port, security="starttls", tls=certificate.client_context()).send(a_follow_up())
        assert len(server.mailbox.received) == 1


def test_starttls_with_an_untrusted_certificate_is_not_retryable(certificate: Certificate) -> None:
    options = {"tls_context": certificate.server_context(), "require_starttls": True}
    for server in serve(Mailbox(), **options):
        with pytest.raises(DeliveryFailed, match="not trusted") as failed:
            sender(server.port, security="starttls").send(a_follow_up())  # the system's CAs only
        assert failed.value.retryable is False


def test_starttls_asked_of_a_server_without_it_is_not_retryable(plain: Server) -> None:
    with pytest.raises(DeliveryFailed, match="RAPPORT_SMTP_SECURITY") as failed:
        sender(plain.port, security="starttls").send(a_follow_up())
    assert failed.value.retryable is False


def test_implicit_tls_sends_over_ssl_from_the_first_byte(certificate: Certificate) -> None:
    for server in serve(Mailbox(), ssl_context=certificate.server_context()):
        sender(server.port, security="ssl", tls=certificate.client_context()).send(a_follow_up())
        assert len(server.mailbox.received) == 1


def test_settings_without_a_host_or_sender_are_refused_at_once() -> None:
    with pytest.raises(ValueError, match="RAPPORT_SMTP_HOST"):
        SmtpSender(SmtpSettings(host="", port=25, from_address=FROM))
    with pytest.raises(ValueError, match="RAPPORT_SMTP_FROM"):
        SmtpSender(SmtpSettings(host="127.0.0.1", port=25, from_address=""))
