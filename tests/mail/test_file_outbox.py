"""The file outbox writes one .eml per follow-up, atomically, and never two for the same key."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from rapport.domain.follow_ups import DeliveryFailed
from rapport.mail.file_outbox import FileOutbox, file_name

from .builders import a_follow_up


def outbox(directory: Path) -> FileOutbox:
    return FileOutbox(directory, from_address="support@acme.example", from_name="Acme Home")


def test_a_follow_up_becomes_one_eml_named_by_its_key(tmp_path: Path) -> None:
    outbox(tmp_path / "outbox").send(a_follow_up())
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["rapport-follow-up-3-41.eml"]


def test_the_file_is_the_e_mail_a_client_opens(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    box.send(a_follow_up())
    mail = message_from_bytes(box.path_for("rapport-follow-up-3-41").read_bytes(), policy=policy.default)
    assert mail["To"] == "Dana Lee <dana.lee@example.com>"
    assert mail["From"] == "Acme Home <support@acme.example>"
    assert mail["Subject"] == "A personal note from Acme Home about your order #1042"
    assert mail["Message-ID"] == "<rapport-follow-up-3-41@acme.example>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content().startswith("Hi Dana,")


def test_the_same_key_twice_overwrites_instead_of_duplicating(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    box.send(a_follow_up(subject="First try"))
    box.send(a_follow_up(subject="Second try"))
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    assert b"Subject: Second try" in files[0].read_bytes()


def test_two_follow_ups_are_two_files(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    box.send(a_follow_up())
    box.send(a_follow_up(key="rapport-follow-up-3-42", ticket_id=42))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "rapport-follow-up-3-41.eml",
        "rapport-follow-up-3-42.eml",
    ]


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    outbox(tmp_path).send(a_follow_up())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_key_that_is_no_safe_file_name_still_gets_its_own_file() -> None:
    assert file_name("../../etc/passwd") != file_name("etc-passwd")
    assert "/" not in file_name("../../etc/passwd")
    assert file_name("../../etc/passwd").endswith(".eml")


def test_a_directory_that_cannot_be_written_is_a_retryable_failure(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the outbox should be")
    with pytest.raises(DeliveryFailed, match="cannot write") as failed:
        outbox(blocked).send(a_follow_up())
    assert failed.value.retryable is True


def test_a_subject_with_a_line_break_is_refused_for_good(tmp_path: Path) -> None:
    with pytest.raises(DeliveryFailed, match="line break") as failed:
        outbox(tmp_path).send(a_follow_up(subject="Hello\nBcc: everyone@example.com"))
    assert failed.value.retryable is False
