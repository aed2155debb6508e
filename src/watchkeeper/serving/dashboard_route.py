"""``GET /dashboard``: the model health report as a page, built on request from the service's
workspace (reads only), behind the same protection as the other read endpoints.

>>> import tempfile
>>> from pathlib import Path
>>> from fastapi import FastAPI
>>> from fastapi.testclient import TestClient
>>> from watchkeeper.workspace import Workspace
>>> workspace = Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws"))
>>> app = FastAPI()
>>> app.include_router(dashboard_router(workspace, guard=lambda request: None))
>>> page = TestClient(app).get("/dashboard")
>>> page.status_code, page.headers["content-type"], "Lineage" in page.text
(200, 'text/html; charset=utf-8', True)
>>> workspace.close()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from watchkeeper.serving.openapi_schema import error_responses
from watchkeeper.workspace import Workspace

DASHBOARD_PATH = "/dashboard"
MAX_WEEKS = 520
"""The longest ``?weeks=`` a request may ask for (ten years)."""


def dashboard_router(workspace: Workspace, *, guard: Callable[[Request], None]) -> APIRouter:
    """A router serving the report of ``workspace`` at ``/dashboard``.

    ``guard`` is the app's read check: it raises to refuse the request (a missing or wrong
    token when reads are protected) and returns None to let it through.
    """
    router = APIRouter()

    @router.get(
        DASHBOARD_PATH,
        response_class=HTMLResponse,
        responses=error_responses(400, 401, 403, 422, 503),
    )
    def dashboard(
        request: Request,
        weeks: Annotated[int | None, Query(ge=1, le=MAX_WEEKS)] = None,
    ) -> HTMLResponse:
        """The model health report (``?weeks=N``: only the latest N weeks), as HTML."""
        guard(request)
        from watchkeeper.report import build_report

        page = build_report(workspace, weeks=weeks)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return router


__all__ = ["DASHBOARD_PATH", "MAX_WEEKS", "dashboard_router"]
