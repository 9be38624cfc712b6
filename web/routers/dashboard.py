"""Dashboards: team figures for managers (JSON and the /dashboard page with charts), own figures for advisors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from calc import clock
from services.dashboard import PeriodError, advisor_dashboard, check_period, team_dashboard
from web.charts import column_chart, hbar_chart
from web.deps import SessionDep
from web.identity import MaybeUser, UserDep, require_role
from web.templating import templates

router = APIRouter(tags=["dashboard"])
DEFAULT_DAYS = 30


def period(
    start: Annotated[dt.date | None, Query(description="First day (inclusive), default 29 days before end")] = None,
    end: Annotated[dt.date | None, Query(description="Last day (inclusive), default today")] = None,
) -> tuple[dt.date, dt.date]:
    """The requested period; 422 naming `start` or `end` when it is reversed or longer than a year."""
    end = end or clock.today()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    try:
        check_period(start, end)
    except PeriodError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=[
            {"loc": ["query", error.field], "msg": error.message, "type": "value_error"}]) from error
    return start, end


PeriodDep = Annotated[tuple[dt.date, dt.date], Depends(period)]


@router.get("/api/dashboard/team", summary="The manager's team figures over a period")
def team_figures(user: UserDep, session: SessionDep, when: PeriodDep) -> dict[str, Any]:
    require_role(user, "manager")
    assert user.staff_id is not None
    return team_dashboard(session, user.staff_id, *when)


@router.get("/api/dashboard/me", summary="The signed-in advisor's own figures over a period")
def my_figures(user: UserDep, session: SessionDep, when: PeriodDep) -> dict[str, Any]:
    require_role(user, "advisor", "manager")
    assert user.staff_id is not None
    return advisor_dashboard(session, user.staff_id, *when)


def charts(figures: dict[str, Any]) -> dict[str, str]:
    """The dashboard page's SVG charts, drawn from the same dict the JSON API returns."""
    dau = figures["daily_active_users"]
    advisors = figures["advisors"]
    return {
        "dau": column_chart([p["day"][5:] for p in dau], {"员工": [p["staff"] for p in dau],
                                                          "客户": [p["clients"] for p in dau]}, "每日活跃用户"),
        "features": hbar_chart([f["name"] for f in figures["feature_usage"]],
                               [f["count"] for f in figures["feature_usage"]], "功能使用次数"),
        "contacts": hbar_chart([a["name"] for a in advisors], [a["contacts"] for a in advisors],
                               "理财经理联系客户次数", color="#2f9e44"),
        "sales": hbar_chart([a["name"] for a in advisors], [float(a["sales_amount"]) for a in advisors],
                            "理财经理销售额（元）", color="#f08c00"),
    }


@router.get("/dashboard", response_class=HTMLResponse, summary="The manager dashboard page")
def dashboard_page(
    request: Request, user: MaybeUser, session: SessionDep,
    start: Annotated[str | None, Query()] = None, end: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """Managers see their team; anyone else gets a Chinese refusal page (401 without identity, 403 otherwise)."""
    if user is None:
        return templates.TemplateResponse(request, "refused.html", {"user": None, "message": "请先选择身份登录。"},
                                          status_code=status.HTTP_401_UNAUTHORIZED)
    if user.role != "manager":
        return templates.TemplateResponse(request, "refused.html", {
            "user": user, "message": f"运营看板仅限管理人员查看，您当前的身份是{user.role_name}。"},
            status_code=status.HTTP_403_FORBIDDEN)
    try:
        when = period(dt.date.fromisoformat(start) if start else None, dt.date.fromisoformat(end) if end else None)
        error = None
    except (ValueError, HTTPException):
        when, error = period(), "日期区间无效（开始日期不能晚于结束日期，最长一年），已显示最近30天。"
    assert user.staff_id is not None
    figures = team_dashboard(session, user.staff_id, *when)
    return templates.TemplateResponse(request, "dashboard.html", {
        "user": user, "figures": figures, "charts": charts(figures), "error": error},
        status_code=status.HTTP_200_OK if error is None else status.HTTP_422_UNPROCESSABLE_CONTENT)
