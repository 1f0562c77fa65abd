"""`rapport key create|revoke|list` and `rapport user add|list`: keys shown once and stored hashed,
passwords read from standard input."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from rapport.cli.main import app

PASSWORD = "correct horse battery"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder with its own database, the default policy and the merchant `default`."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'rapport.db'}")
    for name in ("RAPPORT_POLICY_PATH", "RAPPORT_MERCHANT", "RAPPORT_SHOPIFY_SHOP"):
        monkeypatch.delenv(name, raising=False)
    assert rapport("init").exit_code == 0
    return tmp_path


def rapport(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


def store_bytes(workdir: Path) -> bytes:
    """Everything the SQLite store holds on disk (the database and any journal beside it)."""
    return b"".join(path.read_bytes() for path in sorted(workdir.glob("rapport.db*")))


def test_key_create_prints_the_key_once_on_stdout_and_says_so_on_stderr(workdir: Path) -> None:
    created = rapport("key", "create", "--merchant", "default", "--label", "helpdesk")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("rk_")
    assert len(key) == 3 + 8 + 1 + 43
    assert created.stdout == f"{key}\n"
    assert "only time it is shown" in created.stderr
    listed = rapport("key", "list", "--merchant", "default")
    assert listed.stdout.startswith(f"{key[:11]}\tmachine\thelpdesk\t")
    assert key not in listed.stdout


def test_the_store_keeps_the_keys_hash_never_the_key(workdir: Path) -> None:
    key = rapport("key", "create", "--merchant", "default").stdout.strip()
    secret = key[12:]
    on_disk = store_bytes(workdir)
    assert key.encode() not in on_disk
    assert secret.encode() not in on_disk
    with sqlite3.connect(workdir / "rapport.db") as db:
        rows = db.execute("SELECT prefix, secret_hash FROM api_keys").fetchall()
    assert rows == [(key[:11], hashlib.sha256(key.encode()).hexdigest())]


def test_user_add_reads_the_password_from_stdin_and_stores_an_argon2_hash(workdir: Path) -> None:
    added = rapport(
        "user", "add", "Ana@Acme.test", "--merchant", "default", "--role", "senior", stdin=PASSWORD + "\n"
    )
    assert added.exit_code == 0, added.output
    assert added.stdout == "user added: ana@acme.test (senior) at merchant default\n"
    with sqlite3.connect(workdir / "rapport.db") as db:
        (stored,) = db.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$")
    assert PASSWORD.encode() not in store_bytes(workdir)
    assert rapport("user", "list", "--merchant", "default").stdout.startswith("ana@acme.test\tsenior\t")


@pytest.mark.parametrize(
    ("stdin", "message"), [("", "standard input"), ("short\n", "at least 10 characters")]
)
def test_user_add_refuses_an_empty_or_short_password_with_exit_2(
    workdir: Path, stdin: str, message: str
) -> None:
    refused = rapport("user", "add", "ana@acme.test", "--merchant", "default", "--role", "agent", stdin=stdin)
    assert refused.exit_code == 2
    assert message in refused.stderr
    assert rapport("user", "list", "--merchant", "default").stdout == ""


def test_user_add_with_an_unknown_role_is_exit_2(workdir: Path) -> None:
    refused = rapport(
        "user", "add", "ana@acme.test", "--merchant", "default", "--role", "boss", stdin=PASSWORD
    )
    assert refused.exit_code == 2
    assert refused.stderr == "error: role 'boss' is not one of agent|senior|admin\n"


def test_the_password_is_no_command_line_option(workdir: Path) -> None:
    refused = rapport(
        "user", "add", "ana@acme.test", "--merchant", "default", "--role", "agent", "--password", "x"
    )
    assert refused.exit_code == 2
    assert rapport("user", "list", "--merchant", "default").stdout == ""


def test_a_personal_key_names_its_user_and_an_unknown_user_is_exit_2(workdir: Path) -> None:
    rapport("user", "add", "ana@acme.test", "--merchant", "default", "--role", "agent", stdin=PASSWORD)
    created = rapport("key", "create", "--merchant", "default", "--user", "ana@acme.test")
    assert created.exit_code == 0
    assert "acting as ana@acme.test" in created.stderr
    unknown = rapport("key", "create", "--merchant", "default", "--user", "bo@acme.test")
    assert unknown.exit_code == 2
    assert "has no user bo@acme.test" in unknown.stderr


def test_key_revoke_marks_the_key_revoked_and_a_second_revoke_is_exit_2(workdir: Path) -> None:
    key = rapport("key", "create", "--merchant", "default").stdout.strip()
    assert rapport("key", "revoke", key[:11], "--merchant", "default").exit_code == 0
    assert "\trevoked " in rapport("key", "list", "--merchant", "default").stdout
    again = rapport("key", "revoke", key[:11], "--merchant", "default")
    assert again.exit_code == 2
    assert "no live key" in again.stderr


def test_a_key_cannot_be_revoked_through_another_merchant(workdir: Path) -> None:
    assert rapport("merchant", "add", "globex").exit_code == 0
    key = rapport("key", "create", "--merchant", "default").stdout.strip()
    assert rapport("key", "revoke", key[:11], "--merchant", "globex").exit_code == 2
    assert "\tlive" in rapport("key", "list", "--merchant", "default").stdout


def test_an_unknown_merchant_is_exit_2(workdir: Path) -> None:
    refused = rapport("key", "create", "--merchant", "nobody")
    assert refused.exit_code == 2
    assert "merchant 'nobody' does not exist" in refused.stderr
