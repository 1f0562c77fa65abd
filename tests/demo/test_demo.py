"""The demo builds its store and shows the same problem handled differently per customer."""

from __future__ import annotations

from pathlib import Path

from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import SHOWCASE, StoreGenerator


def test_the_same_seed_generates_the_same_store(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    StoreGenerator(seed=3, now=DEMO_NOW).write(a, 50)
    StoreGenerator(seed=3, now=DEMO_NOW).write(b, 50)
    assert a.read_bytes() == b.read_bytes()


def test_the_demo_runs_and_contrasts_vip_subscriber_and_first_time_buyer(
    demo_shown_at_80_columns: tuple[Path, str],
) -> None:
    _, stdout = demo_shown_at_80_columns  # it ran with exit code 0
    for segment in ("vip", "subscriber", "first_time"):
        assert segment in stdout
    assert SHOWCASE["claims"] in stdout
