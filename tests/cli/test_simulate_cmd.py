"""`rapport simulate` end to end: the side-by-side tables, bad lines, exit codes and the HTML report."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli.main import app

EXAMPLES = Path(__file__).parents[2] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the example history and candidate policy, and no configured policy file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'rapport.db'}")
    monkeypatch.delenv("RAPPORT_POLICY_PATH", raising=False)
    for name in ("ticket_history.jsonl", "candidate_policy.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def simulate(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["simulate", "--policy", "candidate_policy.yaml", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_example_change_prints_decisions_money_and_response_times_side_by_side(
    workdir: Path, runner: CliRunner
) -> None:
    code, out, _ = simulate(runner, "--tickets", "ticket_history.jsonl", "--agents", "priority=1,standard=1")
    assert code == 0, out
    for title in (
        "Decisions by segment",
        "Money offered by segment",
        "Offer kinds that change",
        "Predicted first-response times by queue",
        "Predicted first-response times by segment",
    ):
        assert title in out
    assert "apology_with_tracking" in out
    assert "+$70.00" in out  # the loyal late-delivery credits
    assert "1h → 30m" in out  # the priority queue's new target


def test_without_agents_the_staffing_used_is_said(workdir: Path, runner: CliRunner) -> None:
    code, out, _ = simulate(runner, "--tickets", "ticket_history.jsonl")
    assert code == 0
    assert "Agents not given for priority=1, standard=1" in " ".join(out.split())


def test_bad_history_lines_are_reported_with_file_and_line_and_exit_1(
    workdir: Path, runner: CliRunner
) -> None:
    history = workdir / "ticket_history.jsonl"
    lines = history.read_text().splitlines()
    broken = json.loads(lines[1])
    broken["intent"] = "complaint"
    lines[1] = json.dumps(broken)
    history.write_text("\n".join(lines) + "\n")
    code, out, err = simulate(runner, "--tickets", "ticket_history.jsonl")
    assert code == 1
    assert re.search(r"^ticket_history\.jsonl:2: intent: 'complaint' is not one of", err, re.MULTILINE)
    assert f"{len(lines) - 1} tickets" in out


def test_an_invalid_candidate_policy_is_an_input_error_naming_file_line_and_field(
    workdir: Path, runner: CliRunner
) -> None:
    policy = workdir / "candidate_policy.yaml"
    policy.write_text(policy.read_text().replace("first_response: 30m", "first_response: soon"))
    code, _, err = simulate(runner, "--tickets", "ticket_history.jsonl")
    assert code == 2
    assert re.search(r"candidate_policy\.yaml:23: queues\[0\]\.first_response: expected a duration", err)


def test_a_missing_history_is_an_input_error(workdir: Path, runner: CliRunner) -> None:
    code, _, err = simulate(runner, "--tickets", "nowhere.jsonl")
    assert code == 2
    assert "cannot read the ticket history" in err


def test_the_history_is_required(workdir: Path, runner: CliRunner) -> None:
    code, _, err = simulate(runner)
    assert code == 2
    assert "--tickets" in err


@pytest.mark.parametrize("agents", ["priority", "priority=many", "priority=0", "desk=2"])
def test_a_bad_agents_option_is_a_usage_error(workdir: Path, runner: CliRunner, agents: str) -> None:
    code, _, err = simulate(runner, "--tickets", "ticket_history.jsonl", "--agents", agents)
    assert code == 2
    assert err.startswith("error: --agents:")


def test_the_same_seed_prints_the_same_report(workdir: Path, runner: CliRunner) -> None:
    first = simulate(runner, "--tickets", "ticket_history.jsonl", "--seed", "5")
    assert simulate(runner, "--tickets", "ticket_history.jsonl", "--seed", "5") == first


def test_html_writes_a_self_contained_page_with_png_charts(workdir: Path, runner: CliRunner) -> None:
    code, out, _ = simulate(runner, "--tickets", "ticket_history.jsonl", "--html", "report.html")
    assert code == 0, out
    page = (workdir / "report.html").read_text()
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert len(images) >= 3
    assert all(base64.b64decode(image).startswith(PNG_SIGNATURE) for image in images)
    assert "Money offered by segment" in page
    assert "http://" not in page
    assert "https://" not in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from-store"], "--from-store needs --since"),
        (
            ["--tickets", "ticket_history.jsonl", "--from-store", "--since", "2026-11-01"],
            "--tickets FILE.jsonl or",
        ),
        (["--tickets", "ticket_history.jsonl", "--since", "2026-11-01"], "--since goes with --from-store"),
    ],
)
def test_the_history_comes_from_exactly_one_place(
    workdir: Path, runner: CliRunner, args: list[str], message: str
) -> None:
    code, _, err = simulate(runner, *args)
    assert code == 2
    assert message in err


def test_a_bad_since_date_is_an_input_error(workdir: Path, runner: CliRunner) -> None:
    code, _, err = simulate(runner, "--from-store", "--since", "last tuesday")
    assert code == 2
    assert "--since: 'last tuesday' is not an ISO 8601 date-time" in err


def test_segment_sizes_count_the_whole_store_under_both_policies(workdir: Path, runner: CliRunner) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    imported = runner.invoke(app, ["import", str(Path(__file__).parent / "data" / "store.jsonl")])
    assert imported.exit_code == 0, imported.output
    everyone_vip = (
        (workdir / "candidate_policy.yaml")
        .read_text()
        .replace('"customer.total_spent >= 2000.0 || customer.orders_count >= 10"', '"customer.is_known"')
    )
    (workdir / "everyone_vip.yaml").write_text(everyone_vip)
    result = runner.invoke(
        app,
        ["simulate", "--policy", "everyone_vip.yaml", "--tickets", "ticket_history.jsonl", "--segment-sizes"],
    )
    assert result.exit_code == 0, result.output
    sizes = result.stdout.split("Customers per segment in the store now")[1]
    rows = {}
    for line in sizes.splitlines():
        if line.startswith("│"):
            name, *counts = (cell.strip() for cell in line.strip("│").split("│"))
            rows[name] = counts
    # Dana was a VIP already; Lena (a first order) and Sam (a subscriber) become VIPs too.
    assert rows["vip"] == ["1", "3", "+2"]
    assert rows["subscriber"] == ["1", "0", "-1"]
    assert rows["first_time"] == ["1", "0", "-1"]


def test_segment_sizes_need_no_policy_file_when_the_current_policy_is_the_shipped_one(
    workdir: Path, runner: CliRunner
) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    imported = runner.invoke(app, ["import", str(Path(__file__).parent / "data" / "store.jsonl")])
    assert imported.exit_code == 0, imported.output
    (workdir / "rapport.yaml").unlink()
    args = ["simulate", "--policy", "candidate_policy.yaml", "--tickets", "ticket_history.jsonl"]
    result = runner.invoke(app, [*args, "--segment-sizes"])
    assert result.exit_code == 0, result.output
    assert "the shipped default policy" in result.stdout
    assert "Customers per segment in the store now" in result.stdout
