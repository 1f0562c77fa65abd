"""The agent workspace: server-rendered pages (Jinja2) with htmx, mounted by the API at `/`."""

from rapport.web.routes import web_router

__all__ = ["web_router"]
