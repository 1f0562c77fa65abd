"""A reply an agent sends from the workspace is counted in /metrics as one sent through the API is."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from rapport.api import create_app

from .conftest import csrf_of
from .test_desk_pages import ticket_id_of
from .workspace_seed import AGENT, NOW, PASSWORD, Workspace

TOKEN = "metrics-token-for-tests"


def first_responses(client: TestClient, queue: str) -> float:
    page = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200, page.text
    return sum(
        sample.value
        for family in text_string_to_metric_families(page.text)
        for sample in family.samples
        if sample.name == "rapport_first_responses_total" and sample.labels.get("queue") == queue
    )


def test_a_first_reply_sent_from_the_workspace_is_counted_as_a_first_response(workspace: Workspace) -> None:
    workspace.app.settings = workspace.app.settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    client = TestClient(create_app(workspace.app, clock=lambda: NOW), follow_redirects=False)
    page = client.get("/login")
    client.post(
        "/login",
        data={"merchant": "acme", "email": AGENT, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    csrf = csrf_of(client.get("/policy").text)
    ticket = ticket_id_of(client, "priority", "Sam Okafor")
    client.post(f"/tickets/{ticket}/claim", data={"csrf_token": csrf})
    before = first_responses(client, "priority")
    form = {"csrf_token": csrf, "body": "Hi Sam, we are on it.", "draft_body": "the draft"}
    assert client.post(f"/tickets/{ticket}/reply", data=form).status_code == 303
    assert first_responses(client, "priority") == before + 1
