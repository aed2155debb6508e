"""``GET /dashboard``: the model health report as a page, built on request from the service's
workspace (reads only), behind the same protection as the other read endpoints.

>>> import tempfile
>>> from pathlib import Path
>>> from fastapi import FastAPI
>>> from fastapi.testclient import TestClient
>>> from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from watchkeeper.report.data import ReportData
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
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from watchkeeper.serving.openapi_schema import error_responses
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from watchkeeper.report.data import ReportData

DASHBOARD_PATH = "/dashboard"
MAX_WEEKS = 520
"""The longest ``?weeks=`` a request may ask for (ten years)."""


def dashboard_router(
    workspace: Workspace, *, guard: Callable[[Request], None], public: bool = False
) -> APIRouter:
    """A router serving the report of ``workspace`` at ``/dashboard``.

    ``guard`` is the app's read check: it raises to refuse the request (a missing or wrong
    token when reads are protected) and returns None to let it through. ``public`` (reads not
    protected): the page leaves out the owner and the champion's code and environment.
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
        from watchkeeper.report.data import collect_report_data
        from watchkeeper.report.page import render_report

        data = collect_report_data(workspace, weeks=weeks)
        page = render_report(public_view(data) if public else data)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return router


PRIVATE_LINEAGE = ("code", "environment")
"""Lineage parts an unauthenticated page leaves out: versions of packages, Python, platform."""


def public_view(data: ReportData) -> ReportData:
    """``data`` without what an unauthenticated reader should not see: the owner and the
    champion's code and environment lineage (the versions an attacker would look up)."""
    champion = data.champion
    if champion is not None and champion.lineage is not None:
        kept = {key: value for key, value in champion.lineage.items() if key not in PRIVATE_LINEAGE}
        champion = replace(champion, lineage=kept)
    return replace(data, owner="(shown with a read token)", champion=champion)


__all__ = ["DASHBOARD_PATH", "MAX_WEEKS", "dashboard_router", "public_view"]
