"""The workspace in a real browser: Debian's chromium driven by Playwright, against a real uvicorn server
on a loopback port over a seeded SQLite store. One browser and one server for the module.

Skips (with the reason) when chromium or Playwright is missing; `.ci/run` installs chromium. With
RAPPORT_SCREENSHOTS=DIR the main pages are saved there as PNGs (`tools/screenshots.py` does this).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from .conftest import workspace_app
from .workspace_seed import ADMIN, AGENT, PASSWORD, SENIOR, copy_of

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}  # a laptop screen

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (the dev extra)")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)", allow_module_level=True)

Browser = sync_api.Browser
Page = sync_api.Page
expect = sync_api.expect


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API and workspace on a loopback port, in a thread, over a copy of the seeded store."""
    workspace = copy_of(seeded, tmp_path_factory.mktemp("browser"))
    port = free_port()
    config = uvicorn.Config(workspace_app(workspace), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield launched
        launched.close()


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    directory = os.environ.get("RAPPORT_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=full_page)


def logged_in(browser: Browser, server: str, email: str, *, screenshot: bool = False) -> Page:
    """A fresh browser context (its own cookies) logged in as `email`, on the queue board."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server}/queues")
    expect(page).to_have_url(f"{server}/login?next=/queues")
    page.get_by_label("Merchant").fill("acme")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    if screenshot:
        shoot(page, "login")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server}/queues")
    return page


def open_ticket_of(page: Page, server: str, queue: str, customer: str) -> None:
    page.goto(f"{server}/queues/{queue}")
    page.get_by_role("row").filter(has_text=customer).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ticket")


def test_an_agent_logs_in_and_sees_the_queue_board(browser: Browser, server: str) -> None:
    page = logged_in(browser, server, AGENT, screenshot=True)
    priority = page.locator('[data-queue="priority"]')
    expect(priority).to_contain_text("Sam Okafor")
    expect(priority).to_contain_text("Dana Lee")
    expect(priority.locator(".badge.vip").first).to_be_visible()
    expect(priority).to_contain_text("1h 00m left")  # the priority queue's first-response target
    expect(page.locator('[data-queue="standard"]')).to_contain_text("Lena Fischer")
    expect(page.locator('[data-queue="senior"]')).to_have_count(0)  # not for agents
    expect(page.get_by_role("button", name="Claim the next ticket of priority")).to_be_visible()
    shoot(page, "queue-board")
    page.context.close()


def test_an_agent_claims_edits_and_sends_a_reply_with_a_changed_amount(browser: Browser, server: str) -> None:
    page = logged_in(browser, server, AGENT)
    open_ticket_of(page, server, "priority", "Sam Okafor")
    page.get_by_role("button", name="Claim this ticket").click()
    expect(page.get_by_role("status")).to_have_text("The ticket is yours.")
    expect(page.locator("#guardrails")).to_contain_text("Guardrails passed")
    expect(page.locator("[data-offer]")).to_contain_text("store credit")
    shoot(page, "ticket", full_page=True)  # the card, the decision, the draft and its buttons
    body = page.get_by_label("Reply to the customer")
    # The text must state what is granted with it: the amount changes in both.
    edited = body.input_value().replace("Warm regards", "Sorry again for the wait.\n\nWarm regards")
    assert "20.00" in edited
    body.fill(edited.replace("20.00", "15.00"))
    page.get_by_label("Amount (USD)").fill("15")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_have_text("Reply sent.")
    conversation = page.get_by_role("article", name="agent message")
    expect(conversation).to_contain_text("Sorry again for the wait.")
    expect(conversation).to_contain_text("edited")
    expect(page.locator("section", has_text="Granted by the desk")).to_contain_text("15.00 USD")
    page.context.close()


def test_an_escalated_ticket_reaches_the_senior_queue_and_a_senior_claims_it(
    browser: Browser, server: str
) -> None:
    agent = logged_in(browser, server, AGENT)
    open_ticket_of(agent, server, "standard", "Maya Moreau")
    agent.get_by_role("button", name="Claim this ticket").click()
    agent.get_by_label("Why escalate").fill("The customer asks for a colour we no longer stock")
    agent.get_by_role("button", name="Escalate").click()
    expect(agent.get_by_role("status")).to_contain_text("Escalated")
    expect(agent.locator("[data-status]")).to_have_text("escalated")
    expect(agent.get_by_role("button", name="Claim this ticket")).to_have_count(0)  # a senior's now
    agent.context.close()

    senior = logged_in(browser, server, SENIOR)
    queue = senior.locator('[data-queue="senior"]')
    expect(queue).to_contain_text("Maya Moreau")
    queue.get_by_role("button", name="Claim the next ticket of senior").click()
    expect(senior.get_by_role("heading", level=1)).to_contain_text("Wrong colour")
    expect(senior.get_by_text(f"held by {SENIOR}")).to_be_visible()
    expect(senior.locator("#history")).to_contain_text("The customer asks for a colour we no longer stock")
    senior.context.close()


def test_an_admin_edits_the_policy_and_an_agent_is_refused(browser: Browser, server: str) -> None:
    admin = logged_in(browser, server, ADMIN)
    admin.get_by_role("link", name="Policy").click()
    expect(admin.locator('[data-segment-count="vip"]')).to_be_visible()  # loaded by htmx
    editor = admin.get_by_label("Policy (YAML)")
    editor.fill(editor.input_value().replace("max_refund: 100", "max_refund: lots"))
    admin.get_by_role("button", name="Validate and save").click()
    expect(admin.locator("#policy-issues")).to_contain_text("limits.default.max_refund")
    editor = admin.get_by_label("Policy (YAML)")
    editor.fill(editor.input_value().replace("max_refund: lots", "max_refund: 120"))
    admin.get_by_label("What changed").fill("default refunds up to 120")
    admin.get_by_role("button", name="Validate and save").click()
    expect(admin.get_by_role("status")).to_have_text("Saved: version 1 is now in force.")
    expect(admin.locator("#versions")).to_contain_text("default refunds up to 120")
    expect(admin.locator('[data-segment-count="vip"]')).to_have_text(re.compile(r"^[1-9]\d*$"))
    shoot(admin, "policy")
    admin.context.close()

    agent = logged_in(browser, server, AGENT)
    agent.goto(f"{server}/policy")
    expect(agent.get_by_role("heading", name="The policy (read-only)")).to_be_visible()
    expect(agent.get_by_role("button", name="Validate and save")).to_have_count(0)
    # The form is not there for an agent; a POST crafted in their session (CSRF token and all) is refused.
    status = agent.evaluate(
        """async () => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
            const answer = await fetch('/policy', {method: 'POST', headers: {'X-CSRF-Token': token,
                'Content-Type': 'application/x-www-form-urlencoded'}, body: 'source=currency%3A%20USD'});
            return [answer.status, await answer.text()];
        }"""
    )
    assert status[0] == 403
    assert "only an admin may change the policy" in status[1]
    agent.context.close()
