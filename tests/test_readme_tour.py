"""The README's two-minute tour works as written: every command of its code block, each in a `rapport`
process of its own on the files in examples/, in an empty directory with its own SQLite database.

The commands are read from README.md itself (not copied here), so the README cannot drift from what works.
The first runs through the installed script; the others each in a process of their own forked after the
CLI's imports (tests/forked_cli.py: the imports are most of a command's time, the behaviour is the same).
`rapport serve` (it runs until stopped) and `rapport shopify …` (it needs a shop) are left out; the import
and model lines of the next block, which also use examples/, are run too.

The support desk's block runs too, line by line in bash: its CLI lines as written, its `rapport serve ... &`
on a free loopback port, and its curl lines against that server (`localhost:8000` becomes the port; `$KEY`,
`$ANA` and `$ID` are what the block's own assignments printed; its `rapport` lines but `serve` find a
`rapport` that forks them after the CLI's imports). `rapport demo --serve` serves until stopped:
tests/demo/test_demo_desk.py runs it with the server call replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from forked_cli import ForkedRapport, Ran

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

pytestmark = pytest.mark.slow


def code_block_after(heading: str, *, after: str | None = None) -> str:
    """The first ```sh block after a Markdown heading of the README (and after the text `after`, if given)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    if after is not None:
        start = text.index(after, start)
    match = re.compile(r"```sh\n(.*?)```", re.S).search(text, start)
    assert match, f"no code block after '## {heading}'"
    return match.group(1)


def commands(block: str) -> list[str]:
    """The block's commands: continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", "", block)
    lines = [shlex.split(line, comments=True) for line in joined.splitlines()]
    return [shlex.join(words) for words in lines if words]


def expand(command: str, first_triage: list[str]) -> list[list[str]]:
    """One README line as the argument lists it stands for: `...` is the triage above, `[--json]` optional."""
    words = shlex.split(command)
    if "..." in words:
        at = words.index("...")
        words = words[:at] + first_triage + words[at + 1 :]
    if "[--json]" in words:
        plain = [w for w in words if w != "[--json]"]
        return [plain, [*plain, "--json"]]
    return [words]


def tour() -> list[list[str]]:
    """The argument lists to run, in the README's order."""
    lines = commands(code_block_after("A two-minute tour"))
    assert lines[0] == ". .venv/bin/activate"
    triages = [shlex.split(line) for line in lines if line.startswith("rapport triage --email")]
    assert triages, "the tour has no full `rapport triage --email ...` command"
    first_triage = triages[0][2:]
    sources = [
        line
        for line in commands(code_block_after("A two-minute tour", after="Where the knowledge comes from"))
        if line.startswith(("rapport import shopify-", "rapport model predict"))
    ]
    runs: list[list[str]] = []
    for line in [*lines[1:], *sources]:
        if line.startswith(("rapport serve", "rapport shopify")):
            continue
        runs.extend(expand(line, first_triage))
    return runs


def rapport_executable() -> list[str]:
    """The `rapport` script installed next to this Python (the venv's), else the same app through Python."""
    found = shutil.which("rapport", path=str(Path(sys.executable).parent))
    if found:
        return [found]
    return [
        sys.executable,
        "-c",
        "import sys; from rapport.cli.main import app; sys.argv[0] = 'rapport'; app()",
    ]


def json_output(stdout: str) -> dict[str, object]:
    value = json.loads(stdout)
    assert isinstance(value, dict)
    return value


def check_triage_json(out: str) -> None:
    decision = json_output(out)
    # what the README says the object holds
    readme_keys = {"segment", "queue", "priority", "first_response_due", "escalation_level"}
    readme_keys |= {"intent", "resolution", "tone", "follow_ups", "explanation"}
    assert readme_keys <= set(decision)
    assert (decision["segment"], decision["intent"]) == ("vip", "damaged_item")
    assert decision["resolution"]["offer"] == "replacement"  # type: ignore[index]


def check_draft_json(out: str) -> None:
    result = json_output(out)
    draft = result["draft"]
    assert isinstance(draft, dict)
    assert draft["guardrails"]["passed"] is True
    assert "Dana" in draft["body"]
    assert result["decision"]["resolution"]["offer"] == "replacement"  # type: ignore[index]


def contains(*needles: str) -> Callable[[str], None]:
    def check(out: str) -> None:
        missing = [n for n in needles if n not in out]
        assert not missing, f"missing {missing} in:\n{out}"

    return check


# What each command of the tour must print (matched on the command's start, most specific first).
EXPECTED: list[tuple[str, Callable[[str], None]]] = [
    ("rapport init", contains("database ready", "policy written: rapport.yaml")),
    ("rapport policy check rapport.yaml", contains("rapport.yaml: ok")),
    ("rapport merchant add globex", contains("merchant added: globex (USD, shop globex.myshopify.com)")),
    ("rapport import examples/store.jsonl", contains("customer: 33 inserted", "order: 86 inserted")),
    ("rapport profile dana.lee@example.com", contains("Customer: Dana Lee", "dana.lee@example.com", "#1085")),
    ("rapport triage --email dana.lee@example.com * --json", check_triage_json),
    (
        "rapport triage --email dana.lee@example.com",
        contains("Decision", "damaged_item", "vip", "replacement, express shipping"),
    ),
    ("rapport draft --email dana.lee@example.com * --json", check_draft_json),
    (
        "rapport draft --email dana.lee@example.com",
        contains("Draft by template", "guardrails passed", "Dana"),
    ),
    ("rapport draft check examples/drafts.jsonl", contains("3 drafts checked, 3 passed, 0 failed")),
    ("rapport import shopify-orders examples/orders_export.csv", contains("18 imported from 31 rows")),
    ("rapport import shopify-customers examples/customers_export.csv", contains("12 imported from 12 rows")),
    ("rapport model predict --data examples/backlog.csv", contains("wrote 36 predictions to intents.jsonl")),
    ("rapport key create --merchant default", contains("rk_")),
]


def expectation(args: list[str]) -> Callable[[str], None]:
    line = shlex.join(args)
    for pattern, check in EXPECTED:
        head, _, tail = pattern.partition(" * ")
        if line.startswith(head) and (not tail or line.endswith(tail)):
            return check
    raise AssertionError(f"the README tour has a command this test does not know: {line}")


def test_the_tour_is_read_from_the_readme() -> None:
    runs = [shlex.join(args) for args in tour()]
    assert runs[0] == "rapport init"
    assert "rapport import examples/store.jsonl" in runs
    assert any(r.startswith("rapport draft --email") and r.endswith("--json") for r in runs)
    assert not any(r.startswith("rapport serve") for r in runs)
    assert all("..." not in r for r in runs)


@pytest.fixture(scope="module")
def forked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkedRapport]:
    """One forking server for the module's tests: each command brings its own directory and environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    with ForkedRapport(cwd=tmp_path_factory.mktemp("forked"), env=env) as server:
        yield server


def test_the_readme_tour_runs_as_written(tmp_path: Path, forked: ForkedRapport) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": f"sqlite:///{tmp_path / 'rapport.db'}", "COLUMNS": "120", "NO_COLOR": "1"}
    first, *rest = tour()
    for args in [first, *rest]:
        check = expectation(args)
        if args is first:  # the installed script starts and runs as a user's shell runs it
            done: subprocess.CompletedProcess[str] | Ran = subprocess.run(
                [*rapport_executable(), *args[1:]],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        else:  # the same, in a process of its own forked after the CLI's imports (tests/forked_cli.py)
            done = forked.run(args[1:], cwd=tmp_path, env=env)
        shown = f"$ {shlex.join(args)}\n{done.stdout}{done.stderr}"
        assert done.returncode == 0, shown
        assert "Traceback" not in done.stderr, shown
        check(done.stdout)
    predictions = (tmp_path / "intents.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(predictions) == 36
    assert json.loads(predictions[0])["intent"] == "damaged_item"  # "My bowl set arrived chipped, ..."


def test_the_failing_drafts_example_is_caught_by_the_guardrails(
    tmp_path: Path, forked: ForkedRapport
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'rapport.db'}"
    args = ["draft", "check", str(ROOT / "examples" / "drafts_failing.jsonl")]
    done = subprocess.run(
        [*rapport_executable(), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    shown = done.stdout + done.stderr
    assert done.returncode == 1, shown
    assert ":1: unauthorized_promise:" in done.stdout, shown
    assert ":2: asks_known_order:" in done.stdout, shown
    assert "2 drafts checked, 0 passed, 2 failed" in done.stdout, shown
    # a forked command (how the tour runs all but its first) fails exactly as the script does
    again = forked.run(args, cwd=tmp_path, env=env)
    assert (again.returncode, again.stdout, again.stderr) == (done.returncode, done.stdout, done.stderr)


# -- The support desk: its CLI lines, then its curl lines against a real `rapport serve` -----------------

ASSIGNMENT = re.compile(r"^([A-Z_]+)=\$\((.*)\)$", re.S)
KEY = re.compile(r"^rk_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$")


def desk_lines() -> list[str]:
    """The desk block's commands as bash reads them: continuations joined, aligned `  # ...` comments and
    comment-only lines dropped (shlex would re-quote `$(...)` and pipes, so the lines stay as written)."""
    joined = re.sub(r"\\\n\s*", "", code_block_after("The support desk"))
    lines = [re.split(r"\s{2,}# ", line)[0].rstrip() for line in joined.splitlines()]
    return [line for line in lines if line and not line.lstrip().startswith("#")]


def answer(out: str) -> dict[str, Any]:
    value = json.loads(out)
    assert isinstance(value, dict), out
    return value


def created_in_priority(out: str) -> None:
    body = answer(out)
    assert body["outcome"] == "created", body
    ticket = body["ticket"]
    assert (ticket["queue"], ticket["segment"], ticket["status"]) == ("priority", "vip", "open")
    assert ticket["draft"]["guardrails"]["passed"] is True


def one_open_in_priority(out: str) -> None:
    queues = {q["name"]: q for q in answer(out)["queues"]}
    assert queues["priority"]["counts"]["open"] == 1
    assert {"priority", "standard", "senior"} <= set(queues)


def lists_dana(out: str) -> None:
    tickets = answer(out)["tickets"]
    assert [t["email"] for t in tickets] == ["dana.lee@example.com"]


def replied_with_a_grant(out: str) -> None:
    body = answer(out)
    assert body["grant"]["offer"] == "replacement", body
    assert body["grant"]["granted_by"] == "ana@acme.example"
    assert body["ticket"]["status"] == "claimed"


def resolved(out: str) -> None:
    body = answer(out)
    assert (body["status"], body["assignee"]) == ("resolved", "ana@acme.example"), body


def a_key(out: str) -> None:
    assert KEY.fullmatch(out.strip()), out


def a_ticket_id(out: str) -> None:
    assert out.strip().isdigit(), out


# What each line of the desk block must print (a regular expression on the line, first match wins).
DESK_EXPECTED: list[tuple[str, Callable[[str], None]]] = [
    (r"^rapport merchant add acme ", contains("merchant added: acme (USD, shop acme.myshopify.com)")),
    (r"^RAPPORT_MERCHANT=acme rapport import examples/store.jsonl$", contains("customer: 33 inserted")),
    (r"^KEY=\$\(rapport key create --merchant acme ", a_key),
    (
        r"\| rapport user add ana@acme.example ",
        contains("user added: ana@acme.example (agent) at merchant acme"),
    ),
    (r"^ANA=\$\(rapport key create --merchant acme --user ana@acme.example\)$", a_key),
    (r"^ID=\$\(curl .*/v1/queues/priority/claim ", a_ticket_id),
    (r"/v1/tickets -d ", created_in_priority),
    (r"/v1/queues$", one_open_in_priority),
    (r"/v1/queues/priority/tickets$", lists_dana),
    (r"/v1/tickets/\$ID/reply -d ", replied_with_a_grant),
    (r"/v1/tickets/\$ID/resolve$", resolved),
]


def desk_expectation(line: str) -> Callable[[str], None]:
    for pattern, check in DESK_EXPECTED:
        if re.search(pattern, line):
            return check
    raise AssertionError(f"the README's desk block has a line this test does not know: {line}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(line: str, *, cwd: Path, env: dict[str, str], port: int) -> Iterator[None]:
    """The block's `rapport serve ... &` line, on `port`, until the test ends."""
    command = line.removesuffix("&").strip().replace("--port 8000", f"--port {port}")
    log = (cwd / "serve.log").open("wb")
    process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=cwd, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not healthy(port):
            assert process.poll() is None, (cwd / "serve.log").read_text()
            assert time.monotonic() < deadline, "rapport serve did not answer /healthz within 60 s"
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def bash(command: str, *, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-c", f"set -eo pipefail; {command}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    shown = f"$ {command}\n{done.stdout}{done.stderr}"
    assert done.returncode == 0, shown
    assert "Traceback" not in done.stderr, shown
    return done.stdout


def test_the_desk_block_is_read_from_the_readme() -> None:
    lines = desk_lines()
    assert any(line.startswith("rapport serve --port 8000") and line.endswith("&") for line in lines)
    assert sum(line.startswith(("curl ", "ID=$(curl ")) for line in lines) >= 5
    for line in lines:
        if not line.startswith("rapport serve"):
            desk_expectation(line)  # every other line is known, and checked when it runs


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's desk block uses curl")
def test_the_readme_desk_runs_as_written(tmp_path: Path, forked: ForkedRapport) -> None:
    """After `rapport init` (the tour's first line), each line of the desk block in bash, in order: the
    CLI lines as they are, the curl lines against the block's own `rapport serve` on a free port."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    executable = rapport_executable()
    assert len(executable) == 1, "the desk block runs `rapport` by name: the venv's script is needed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {
        "RAPPORT_DATABASE_URL": f"sqlite:///{tmp_path / 'rapport.db'}",
        "PATH": f"{Path(executable[0]).parent}{os.pathsep}{env.get('PATH', '')}",
        "COLUMNS": "120",
        "NO_COLOR": "1",
    }
    bash("rapport init", cwd=tmp_path, env=env)  # the installed script, as are `rapport serve`'s lines
    port = free_port()
    with contextlib.ExitStack() as stack:
        for line in desk_lines():
            command = line.replace("localhost:8000", f"127.0.0.1:{port}")
            if line.startswith("rapport serve"):
                stack.enter_context(serving(command, cwd=tmp_path, env=env, port=port))
                continue
            check = desk_expectation(line)
            assigned = ASSIGNMENT.match(command)
            # the other CLI lines find a `rapport` that forks the command after the CLI's imports
            forking = {**env, "PATH": f"{forked.bin_dir}{os.pathsep}{env['PATH']}"}
            out = bash(assigned.group(2) if assigned else command, cwd=tmp_path, env=forking)
            check(out)
            if assigned:
                env[assigned.group(1)] = out.strip()
