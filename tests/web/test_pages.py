"""The workspace's routes without a browser: sessions, CSRF, roles, error pages, the policy editor."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from rapport.policy import default_policy_text

from .conftest import csrf_of
from .workspace_seed import ADMIN, AGENT


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: TestClient) -> None:
    response = client.get("/policy")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/policy"


def test_an_anonymous_htmx_request_is_redirected_by_header(client: TestClient) -> None:
    response = client.get("/policy", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/login?next=/policy"


def test_logging_in_sets_an_httponly_lax_session_cookie(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "merchant": "acme",
            "email": AGENT,
            "password": "correct horse battery",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "rapport_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; https sets it


def test_a_wrong_password_shows_the_login_page_again_with_the_reason(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"merchant": "acme", "email": AGENT, "password": "nope", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 401
    assert "wrong merchant, e-mail or password" in response.text
    assert "rapport_session" not in response.headers.get("set-cookie", "")


def test_a_login_without_its_form_token_is_refused(client: TestClient) -> None:
    response = client.post(
        "/login", data={"merchant": "acme", "email": AGENT, "password": "correct horse battery"}
    )
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.text


def test_a_post_without_the_csrf_token_gets_a_403_page(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    log_in(ADMIN)
    response = client.post("/policy", data={"source": default_policy_text()})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "security token is missing" in response.text
    assert "Traceback" not in response.text


def test_a_post_with_a_wrong_csrf_header_gets_a_403_page(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    log_in(ADMIN)
    response = client.post("/policy", data={"source": "x"}, headers={"X-CSRF-Token": "forged"})
    assert response.status_code == 403


def test_an_agent_sees_the_policy_read_only(client: TestClient, log_in: Callable[[str], str]) -> None:
    log_in(AGENT)
    page = client.get("/policy")
    assert page.status_code == 200
    assert "The policy (read-only)" in page.text
    assert 'action="/policy"' not in page.text


def test_an_agent_posting_the_policy_gets_403_and_nothing_is_saved(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    csrf = log_in(AGENT)
    response = client.post("/policy", data={"source": default_policy_text(), "csrf_token": csrf})
    assert response.status_code == 403
    assert "only an admin may change the policy" in response.text
    assert client.post("/policy/versions/1/restore", data={"csrf_token": csrf}).status_code == 403
    assert "No version saved yet" in client.get("/policy").text


def test_an_admin_saves_a_policy_and_it_is_in_force(client: TestClient, log_in: Callable[[str], str]) -> None:
    csrf = log_in(ADMIN)
    changed = default_policy_text().replace("max_refund: 500", "max_refund: 450")
    response = client.post("/policy", data={"source": changed, "csrf_token": csrf, "note": "vip refunds"})
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Saved: version 1 is now in force." in page.text
    assert "450.00" in page.text  # the vip limits table
    assert "vip refunds" in page.text


def test_an_invalid_policy_is_shown_with_its_line_and_field(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    csrf = log_in(ADMIN)
    broken = default_policy_text().replace("max_refund: 500", "max_refund: lots")
    response = client.post("/policy", data={"source": broken, "csrf_token": csrf})
    assert response.status_code == 422
    line = next(n for n, text in enumerate(broken.splitlines(), start=1) if "lots" in text)
    assert f"line {line}, <code>limits.vip.max_refund</code>" in response.text
    assert "max_refund: lots" in response.text  # the text is kept for the admin to fix
    assert "No version saved yet" in response.text


def test_an_admin_restores_an_earlier_version(client: TestClient, log_in: Callable[[str], str]) -> None:
    csrf = log_in(ADMIN)
    first = default_policy_text()
    client.post("/policy", data={"source": first, "csrf_token": csrf})
    client.post(
        "/policy", data={"source": first.replace("max_refund: 500", "max_refund: 450"), "csrf_token": csrf}
    )
    response = client.post("/policy/versions/1/restore", data={"csrf_token": csrf})
    assert response.headers["location"] == "/policy?saved=3"
    page = client.get("/policy").text
    assert "restored version 1" in page
    assert "500.00" in page


def test_segment_counts_cover_every_customer(client: TestClient, log_in: Callable[[str], str]) -> None:
    log_in(AGENT)
    assert 'hx-get="/policy/segments"' in client.get("/policy").text
    page = client.get("/policy/segments", headers={"HX-Request": "true"}).text
    assert "<html" not in page  # a fragment for htmx to swap in
    deadline = time.monotonic() + 30
    while "counting…" in page and time.monotonic() < deadline:  # counted in the background
        assert 'hx-trigger="load delay:1s"' in page  # htmx asks again
        time.sleep(0.1)
        page = client.get("/policy/segments", headers={"HX-Request": "true"}).text
    counts = [int(n) for n in re.findall(r'data-segment-count="\w+">(\d+)<', page)]
    assert sum(counts) == 33  # examples/store.jsonl's customers
    assert counts[0] > 0  # some VIPs


def test_logging_out_ends_the_session(client: TestClient, log_in: Callable[[str], str]) -> None:
    csrf = log_in(AGENT)
    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert client.get("/policy").status_code == 303


def test_static_files_are_served_from_the_package(client: TestClient) -> None:
    script = client.get("/static/htmx.min.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "htmx" in script.text[:2000]
    assert client.get("/static/../pyproject.toml").status_code == 404
