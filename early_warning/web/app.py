"""The routes: pages (server-rendered) and the JSON API (/api/v1, documented at /docs).

Access: every route but sign-in needs a session. What a user sees is what the
teacher views return for them; a course or student they may not see answers
exactly like one that does not exist (404, same body).
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections import defaultdict
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from early_warning.notify import (
    FEEDBACK_VALUES,
    AccessDenied,
    BotApi,
    DeliveryStore,
    ManualMessageError,
    StoreError,
    TelegramConfigError,
    list_feedback,
    list_messages,
    prepare_manual_message,
    record_feedback,
    send_manual_message,
)
from early_warning.notify.telegram import API_BASE_ENV, DEFAULT_API_BASE, TOKEN_ENV
from early_warning.warehouse import one_line
from early_warning.web import charts, queries
from early_warning.web.auth import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    Session,
    SessionStore,
    check_csrf,
    new_token,
)
from early_warning.web.config import WebSettings
from early_warning.web.warehouse import SignInFailed, Unavailable, make_reader

HERE = Path(__file__).resolve().parent
log = logging.getLogger("early_warning.web")

#: Students per course page (the CSV holds every row of the filters, in the same order).
PAGE_SIZE = 200

NOT_FOUND = "Not found: nothing with this id among the courses and students you may see."


#: What the card says after the contact form (the status comes back in the query string)
CONTACT_NOTICES = {
    "sent": "Message delivered to Telegram.",
    "duplicate": "This form was already submitted (a double click, a reload or another "
    "curator): the message was sent once, not again.",
    "refused": "Not sent: the student cannot be contacted or the message was empty.",
    "failed_permanent": "Telegram refused the message for good (chat not found or bot blocked).",
    "unknown_outcome": "No answer from Telegram: the message may have arrived; it is not "
    "resent. Check with the student before writing again.",
    "retry": "Not sent: Telegram could not be reached. Try again in a minute.",
    "feedback": "Feedback recorded.",
}
BUSY = (
    "The warehouse is busy (the nightly build is writing it): nothing was sent or recorded. "
    "Try again in a minute."
)


class NotSignedIn(Exception):
    pass


#: every POST of the API carries the session's CSRF token (GET /api/v1/session) here
CSRF_HEADER = Header(
    "", alias="X-CSRF-Token", description="the csrf of GET /api/v1/session (required)"
)


class ContactRequest(BaseModel):
    enrolment_id: str = Field(description="the enrolment (student in course) to write to")
    text: str = Field(description="the message, as edited (at most 4096 characters)")
    token: str = Field(
        description="the form token of GET .../contact: the same token never sends twice"
    )


class FeedbackRequest(BaseModel):
    enrolment_id: str
    value: Literal["useful", "not_useful", "fixed", "incorrectly_flagged"]
    course_week: int | None = Field(None, description="default: the newest scored week")
    note: str | None = None


def create_app(settings: WebSettings | None = None, reader=None, bot_api=None) -> FastAPI:
    """``bot_api``: the :class:`BotApi` manual messages go through (default: from
    TELEGRAM_BOT_TOKEN / TELEGRAM_API_BASE when the first message is sent)."""
    settings = settings or WebSettings.from_env()
    reader = reader or make_reader(settings)
    sessions = SessionStore(settings.session_minutes, on_close=reader.close_session)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(
        category_label=charts.CATEGORY_LABELS,
        category_colour=charts.CATEGORY_COLOURS,
        legend=charts.legend,
        as_of_text=queries.as_of_text,
    )
    templates.env.filters["pct"] = lambda v: "–" if v is None else f"{v:.0%}"
    templates.env.filters["num"] = lambda v: "–" if v is None else f"{v:g}"

    @asynccontextmanager
    async def lifespan(_app):
        yield
        sessions.close_all()
        reader.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Early warning: curators' and teachers' API",
        version="1",
        description=(
            "The same data and access rules as the pages: sign in first (the session "
            "cookie of /signin, or the trusted single-sign-on header when configured). "
            "A course or student you may not see answers 404, like one that does not exist."
        ),
    )
    app.state.settings = settings
    app.state.reader = reader
    app.state.sessions = sessions
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    t = settings.schemas.teacher
    secure_cookies = False  # set behind HTTPS by the proxy; cookies are HttpOnly + SameSite

    # ------------------------------------------------------------------ helpers

    def session_of(request: Request) -> Session:
        header = settings.trusted_header
        if header:
            username = request.headers.get(header)
            if username:
                session = sessions.get(request.cookies.get(SESSION_COOKIE))
                if session is None or session.username != username:
                    session = sessions.create(username, "proxy")
                    request.state.new_session = session
                session.stale = False
                return session
        session = sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise NotSignedIn()
        session.stale = False  # set by the reader when it serves a remembered answer
        return session

    def runner(session: Session):
        return lambda sql, params=(): reader.query(session, sql, params)

    def page(request: Request, template: str, session: Session | None, status: int = 200, **ctx):
        ctx.update(
            session=session,
            demo=settings.auth == "demo" and settings.engine == "duckdb",
            engine=settings.engine,
            published_at=(
                datetime.fromtimestamp(reader.published_at, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
                if getattr(reader, "published_at", None)
                else None
            ),
        )
        response = templates.TemplateResponse(request, template, ctx, status_code=status)
        return with_session_cookie(request, response)

    def with_session_cookie(request: Request, response: Response) -> Response:
        new = getattr(request.state, "new_session", None)
        if new is not None:
            response.set_cookie(
                SESSION_COOKIE, new.id, httponly=True, samesite="lax", secure=secure_cookies
            )
        return response

    def not_found():
        raise HTTPException(status_code=404, detail=NOT_FOUND)

    # ------------------------------------------------------------------ contact and feedback

    @contextmanager
    def notify_store(session: Session, lock_wait: float = 10.0):
        """The delivery log and feedback table (issue 19): on DuckDB the live warehouse
        file (not the published copy: dbt reads the log and the feedback back), opened per
        statement; on PostgreSQL the signed-in user's own connection (its grants apply)."""
        try:
            if settings.engine == "duckdb":
                if settings.warehouse_path is None or not settings.warehouse_path.exists():
                    raise Unavailable(
                        f"no live warehouse at {settings.warehouse_path}: contact and feedback "
                        "are written there (set EW_WEB_WAREHOUSE_PATH or EW_DUCKDB_PATH)"
                    )
                store = DeliveryStore.open_duckdb(
                    settings.warehouse_path,
                    lock_wait=lock_wait,
                    marts_schema=settings.schemas.marts,
                    log_schema=settings.schemas.notifications,
                )
            else:
                store = DeliveryStore(
                    reader.connection_of(session),
                    "postgres",
                    marts_schema=settings.schemas.marts,
                    log_schema=settings.schemas.notifications,
                )
        except StoreError as error:
            log.warning("delivery log unavailable: %s", type(error).__name__)
            raise Unavailable(BUSY) from None
        try:
            yield store
        except StoreError:
            raise Unavailable(BUSY) from None
        except store._errors() as error:  # the database's own error (never shown: SQL)
            log.warning("delivery log: %s", one_line(error))
            raise Unavailable(
                "Contact and feedback are not available: the warehouse refused the "
                "statement (on PostgreSQL: does your role have the grants of "
                "grant_reporting_access?). Nothing was sent or recorded; tell the site operator."
            ) from None

    def access_rule(session: Session):
        """The app's own rule: a course is yours when the teacher views show it to you."""
        run = runner(session)
        return lambda _user, courseid: queries.course(run, t, int(courseid)) is not None

    def own_enrolment(session: Session, userid: int, enrolment_id: str) -> dict:
        """The enrolment when it is one of the user's students (else 404, as missing)."""
        for row in queries.student_current(runner(session), t, userid):
            if str(row["enrolment_id"]) == str(enrolment_id):
                return row
        not_found()

    def bot() -> BotApi:
        if bot_api is not None:
            return bot_api
        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise Unavailable(
                f"Telegram is not configured: the site operator sets {TOKEN_ENV} (and "
                f"{API_BASE_ENV} for a local Bot API) where the web app runs."
            )
        try:
            return BotApi(token, os.environ.get(API_BASE_ENV) or DEFAULT_API_BASE)
        except TelegramConfigError as error:
            raise Unavailable(str(error)) from None

    def send(session: Session, userid: int, enrolment_id: str, text: str, token: str):
        own_enrolment(session, userid, enrolment_id)
        with notify_store(session) as store:
            try:
                return send_manual_message(
                    store,
                    bot(),
                    enrolment_id=enrolment_id,
                    text=text,
                    token=token,
                    user=session.username,
                    check_access=access_rule(session),
                )
            except AccessDenied:
                not_found()
            except ManualMessageError as error:
                raise HTTPException(status_code=400, detail=str(error)) from None

    def give_feedback(session: Session, userid: int, body: FeedbackRequest):
        own_enrolment(session, userid, body.enrolment_id)
        with notify_store(session) as store:
            try:
                return record_feedback(
                    store,
                    enrolment_id=body.enrolment_id,
                    value=body.value,
                    user=session.username,
                    course_week=body.course_week,
                    note=body.note,
                    check_access=access_rule(session),
                )
            except AccessDenied:
                not_found()
            except ManualMessageError as error:
                raise HTTPException(status_code=400, detail=str(error)) from None

    def contact_blocks(session: Session, cards: list[dict]) -> str | None:
        """Fills each card's contact draft, messages and feedback from the live log;
        returns a notice when the warehouse is busy (the page shows without them)."""
        check = access_rule(session)
        try:
            with notify_store(session, lock_wait=2.0) as store, store.session():
                for card in cards:
                    current = card["current"]
                    if current is None:
                        continue
                    enrolment_id = str(current["enrolment_id"])
                    try:
                        card["contact"] = prepare_manual_message(
                            store, enrolment_id, session.username, check
                        )
                    except ManualMessageError:
                        card["contact"] = None
                    card["sent"] = list_messages(
                        store, enrolment_id, session.username, check, card["courseid"]
                    )
                    card["feedback"] = list_feedback(
                        store, enrolment_id, session.username, check, card["courseid"]
                    )
        except Unavailable as error:
            return f"Contact and feedback are unavailable right now. {error}"
        except (StoreError, AccessDenied):
            return (
                "Contact and feedback are unavailable right now (the warehouse is busy): "
                "reload in a minute."
            )
        return None

    def csrf_header(session: Session, token: str) -> None:
        if not check_csrf(session.csrf, token):
            raise HTTPException(
                status_code=403,
                detail="missing or wrong X-CSRF-Token header: send the csrf of GET /api/v1/session",
            )

    # ------------------------------------------------------------------ errors

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "sign in first (/signin)"}, status_code=401)
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(Unavailable)
    async def _unavailable(request: Request, exc: Unavailable):
        log.warning("warehouse unavailable: %s", exc)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=503)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"session": None, "title": "Warehouse unavailable", "message": str(exc)},
            status_code=503,
        )

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        title = {404: "Not found", 403: "Refused"}.get(exc.status_code, "Error")
        return templates.TemplateResponse(
            request,
            "error.html",
            {"session": None, "title": title, "message": exc.detail},
            status_code=exc.status_code,
        )

    @app.exception_handler(Exception)
    async def _error(request: Request, exc: Exception):  # never leak details (DSN, SQL)
        log.error("internal error on %s: %s", request.url.path, type(exc).__name__)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "internal error"}, status_code=500)
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "session": None,
                "title": "Something went wrong",
                "message": "The page could not be built. Try again; if it persists, tell the "
                "site operator (the server log names the error).",
            },
            status_code=500,
        )

    # ------------------------------------------------------------------ sign-in

    @app.get("/", include_in_schema=False)
    def home(request: Request):
        try:
            session_of(request)
        except NotSignedIn:
            return RedirectResponse("/signin", status_code=303)
        return with_session_cookie(request, RedirectResponse("/courses", status_code=303))

    @app.get("/signin", response_class=HTMLResponse, include_in_schema=False)
    def signin_form(request: Request, error: str | None = None):
        token = request.cookies.get(PRESESSION_COOKIE) or new_token()
        users = []
        if settings.auth == "demo":
            users = reader.demo_users(settings.schemas)
        response = templates.TemplateResponse(
            request,
            "signin.html",
            {
                "session": None,
                "demo": settings.auth == "demo",
                "auth": settings.auth,
                "users": users,
                "csrf": token,
                "error": error,
                "engine": settings.engine,
            },
            status_code=401 if error else 200,
        )
        response.set_cookie(
            PRESESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            max_age=3600,
            secure=secure_cookies,
        )
        return response

    @app.post("/signin", include_in_schema=False)
    def signin(
        request: Request,
        csrf: str = Form(""),
        username: str = Form(""),
        password: str = Form(""),
    ):
        if not check_csrf(request.cookies.get(PRESESSION_COOKIE), csrf):
            raise HTTPException(
                status_code=403,
                detail="The sign-in form expired or did not come from this site: open "
                "/signin again.",
            )
        username = username.strip()
        if not username:
            return signin_form(request, error="Give a user name.")
        if settings.auth == "demo":
            if not reader.is_known_user(settings.schemas, username):
                return signin_form(request, error="No such demo user.")
            session = sessions.create(username, "demo")
        else:
            try:
                connection = reader.sign_in(username, password)
            except SignInFailed:
                log.info("sign-in refused for a database role")
                return signin_form(request, error="Unknown database role or wrong password.")
            session = sessions.create(username, "password", connection)
        response = RedirectResponse("/courses", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, session.id, httponly=True, samesite="lax", secure=secure_cookies
        )
        response.delete_cookie(PRESESSION_COOKIE)
        return response

    @app.post("/signout", include_in_schema=False)
    def signout(request: Request, csrf: str = Form("")):
        session = session_of(request)
        if not check_csrf(session.csrf, csrf):
            raise HTTPException(status_code=403, detail="The form did not come from this site.")
        sessions.drop(session.id)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # ------------------------------------------------------------------ pages

    @app.get("/courses", response_class=HTMLResponse, include_in_schema=False)
    def courses_page(request: Request):
        session = session_of(request)
        rows = queries.my_courses(runner(session), t)
        for row in rows:
            row["bar"] = charts.category_bar({c: row[f"n_{c}"] for c in charts.CATEGORY_ORDER})
        as_of = rows[0]["as_of"] if rows else None
        return page(request, "courses.html", session, courses=rows, as_of=as_of)

    def _course_view(request: Request, session: Session, courseid: int):
        run = runner(session)
        course = queries.course(run, t, courseid)
        if course is None:
            not_found()
        params = request.query_params
        category = params.get("category") or None
        risk_band = params.get("risk_band") or None
        worsened = params.get("worsened") in ("1", "on", "true")
        sort = params.get("sort") or None
        descending = params.get("dir") == "desc"
        if category not in (None, *queries.CATEGORIES):
            category = None
        if risk_band not in (None, *queries.RISK_BANDS):
            risk_band = None
        if sort not in queries.SORTABLE:
            sort = None
        students = queries.course_students(run, t, courseid)
        shown = queries.filter_and_sort(students, category, worsened, risk_band, sort, descending)
        try:
            page_no = max(int(params.get("page") or 1), 1)
        except ValueError:
            page_no = 1
        state = {
            "page": page_no,
            "category": category,
            "risk_band": risk_band,
            "worsened": worsened,
            "sort": sort,
            "dir": "desc" if descending else "asc",
        }
        return course, students, shown, state

    @app.get("/courses/{courseid}", response_class=HTMLResponse, include_in_schema=False)
    def course_page(request: Request, courseid: int):
        session = session_of(request)
        course, students, shown, state = _course_view(request, session, courseid)
        run = runner(session)
        points = queries.critical_points(run, t, courseid)
        activities = queries.critical_activities(run, t, courseid)
        outreach, outreach_missing = [], None
        try:
            outreach = queries.outreach_outcomes(run, settings.schemas.marts, courseid)
        except Unavailable:  # no such mart yet, or the role may not read it
            outreach_missing = "The outreach outcomes are not available on this warehouse yet."
        first = (state["page"] - 1) * PAGE_SIZE
        filters = {k: v for k, v in request.query_params.items() if k != "page"}
        return page(
            request,
            "course.html",
            session,
            course=course,
            students=shown[first : first + PAGE_SIZE],
            n_shown=len(shown),
            first=first,
            page_size=PAGE_SIZE,
            page_link=lambda n: f"?{urlencode({**filters, 'page': n})}",
            n_all=len(students),
            state=state,
            columns=queries.STUDENT_COLUMNS,
            categories=queries.CATEGORIES,
            risk_bands=queries.RISK_BANDS,
            points=points,
            points_chart=charts.critical_points_chart(points),
            activities=activities,
            outreach=outreach,
            outreach_missing=outreach_missing,
            csv_url=f"/courses/{courseid}/students.csv"
            + (f"?{urlencode(filters)}" if filters else ""),
            as_of=course["as_of"],
        )

    @app.get("/courses/{courseid}/students.csv", include_in_schema=False)
    def course_csv(request: Request, courseid: int):
        session = session_of(request)
        course, _, shown, _ = _course_view(request, session, courseid)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["userid", *(key for key, _ in queries.STUDENT_COLUMNS)])
        for row in shown:
            writer.writerow(
                [
                    row["userid"],
                    *("" if row[k] is None else row[k] for k, _ in queries.STUDENT_COLUMNS),
                ]
            )
        name = f"{course['course_shortname'] or courseid}-students.csv".replace('"', "")
        return with_session_cookie(
            request,
            Response(
                out.getvalue(),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            ),
        )

    @app.get("/students/{userid}", response_class=HTMLResponse, include_in_schema=False)
    def student_page(request: Request, userid: int):
        session = session_of(request)
        card = _student_card(runner(session), userid)
        if card is None:
            not_found()
        busy = contact_blocks(session, card["cards"])
        status = request.query_params.get("done")
        return page(
            request,
            "student.html",
            session,
            notice=CONTACT_NOTICES.get(status),
            notice_course=request.query_params.get("course"),
            contact_busy=busy,
            feedback_values=FEEDBACK_VALUES,
            **card,
        )

    @app.post("/students/{userid}/contact", include_in_schema=False)
    def contact_form(
        request: Request,
        userid: int,
        csrf: str = Form(""),
        enrolment_id: str = Form(""),
        token: str = Form(""),
        text: str = Form(""),
    ):
        session = session_of(request)
        if not check_csrf(session.csrf, csrf):
            raise HTTPException(status_code=403, detail="The form did not come from this site.")
        result = send(session, userid, enrolment_id, text, token)
        courseid = own_enrolment(session, userid, enrolment_id)["courseid"]
        return with_session_cookie(
            request,
            RedirectResponse(
                f"/students/{userid}?done={result.status}&course={courseid}#course-{courseid}",
                status_code=303,
            ),
        )

    @app.post("/students/{userid}/feedback", include_in_schema=False)
    def feedback_form(
        request: Request,
        userid: int,
        csrf: str = Form(""),
        enrolment_id: str = Form(""),
        value: str = Form(""),
        course_week: int | None = Form(None),
    ):
        session = session_of(request)
        if not check_csrf(session.csrf, csrf):
            raise HTTPException(status_code=403, detail="The form did not come from this site.")
        if value not in FEEDBACK_VALUES:
            raise HTTPException(
                status_code=400, detail=f"feedback is one of {', '.join(FEEDBACK_VALUES)}"
            )
        record = give_feedback(
            session,
            userid,
            FeedbackRequest(enrolment_id=enrolment_id, value=value, course_week=course_week),
        )
        return with_session_cookie(
            request,
            RedirectResponse(
                f"/students/{userid}?done=feedback&course={record.courseid}"
                f"#course-{record.courseid}",
                status_code=303,
            ),
        )

    def _student_card(run, userid: int) -> dict | None:
        history = queries.student_history(run, t, userid)
        if not history:
            return None
        current = queries.student_current(run, t, userid)
        courses_by_id = {row["courseid"]: row for row in queries.course_names(run, t)}
        weeks = defaultdict(list)
        for row in history:
            weeks[row["courseid"]].append(row)
        current_by_course = {row["courseid"]: row for row in current}
        reasons = defaultdict(list)
        for row in queries.student_reasons(run, t, userid, sorted(weeks)):
            reasons[row["courseid"]].append(row)
        messages = queries.student_messages(run, t, userid)
        statuses = queries.delivery_statuses(
            run, settings.schemas.notifications, [m["outbox_id"] for m in messages]
        )
        for message in messages:
            message["delivery"] = statuses.get(message["outbox_id"])
        name_row = current[0] if current else None
        cards = []
        for courseid, rows in weeks.items():
            last = rows[-1]
            course = courses_by_id.get(courseid, {"course_fullname": f"course {courseid}"})
            cards.append(
                {
                    "courseid": courseid,
                    "course": course,
                    "current": current_by_course.get(courseid),
                    "weeks": rows,
                    "last": last,
                    "chart": charts.history_chart(rows),
                    "reasons": reasons.get(courseid, []),
                    "messages": [m for m in messages if m["courseid"] == courseid],
                }
            )
        cards.sort(key=lambda c: (c["current"] is None, c["course"]["course_fullname"] or ""))
        return {
            "userid": userid,
            "name": (
                f"{name_row['firstname']} {name_row['lastname']}"
                if name_row
                else f"Student {userid}"
            ),
            "telegram_connected": bool(name_row and name_row["telegram_connected"]),
            "cards": cards,
            "as_of": (queries.course(run, t, cards[0]["courseid"]) or {}).get("as_of"),
        }

    # ------------------------------------------------------------------ JSON API

    @app.get("/api/v1/session", tags=["session"], summary="Who I am, and my CSRF token")
    def api_session(request: Request) -> dict:
        """The signed-in user and the session's CSRF token: every POST of the API must
        carry it in the ``X-CSRF-Token`` header (with the session cookie)."""
        session = session_of(request)
        return {"username": session.username, "csrf": session.csrf}

    @app.get(
        "/api/v1/students/{userid}/contact",
        tags=["contact"],
        summary="The contact form of a student in a course (draft, token, messages)",
    )
    def api_contact_draft(request: Request, userid: int, enrolment_id: str) -> dict:
        """The prefilled message (student's language, course and next deadline filled in),
        whether the student can be reached (``can_send``, else ``blocked_reason``), the
        ``token`` to send it with, and every message so far (automatic and manual, who sent
        it, when, status). 404 when the student is not one of yours."""
        session = session_of(request)
        row = own_enrolment(session, userid, enrolment_id)
        check = access_rule(session)
        with notify_store(session) as store:
            try:
                draft = prepare_manual_message(store, enrolment_id, session.username, check)
                messages = list_messages(
                    store, enrolment_id, session.username, check, row["courseid"]
                )
            except AccessDenied:
                not_found()
            except ManualMessageError as error:
                raise HTTPException(status_code=404, detail=str(error)) from None
        return {"draft": asdict(draft), "messages": [asdict(m) for m in messages]}

    @app.post(
        "/api/v1/students/{userid}/contact",
        tags=["contact"],
        summary="Send a Telegram message to a student (at most once per token)",
    )
    def api_contact_send(
        request: Request, userid: int, body: ContactRequest, x_csrf_token: str = CSRF_HEADER
    ) -> dict:
        """Sends ``text`` once per ``token`` (from GET .../contact): a second request with
        the same token answers ``status: duplicate`` and sends nothing. ``status``: sent,
        failed_permanent, unknown_outcome (never resent), retry, duplicate or refused (no
        chat connected, empty text). Needs the ``X-CSRF-Token`` header. 404 when the
        student is not one of yours; 503 while the warehouse is busy."""
        session = session_of(request)
        csrf_header(session, x_csrf_token)
        result = send(session, userid, body.enrolment_id, body.text, body.token)
        return {**asdict(result), "delivered": result.delivered}

    @app.post(
        "/api/v1/students/{userid}/feedback",
        tags=["contact"],
        summary="Feedback on a prediction (useful, not_useful, fixed, incorrectly_flagged)",
    )
    def api_feedback(
        request: Request, userid: int, body: FeedbackRequest, x_csrf_token: str = CSRF_HEADER
    ) -> dict:
        """Records your mark on the student's prediction of ``course_week`` (default the
        newest); your latest mark counts. ``incorrectly_flagged`` keeps the week out of the
        automated messages. Needs the ``X-CSRF-Token`` header; 404 when not your student."""
        session = session_of(request)
        csrf_header(session, x_csrf_token)
        return asdict(give_feedback(session, userid, body))

    @app.get("/api/v1/courses", tags=["courses"], summary="My courses")
    def api_courses(request: Request) -> list[dict]:
        """The courses you may see, with students per category, worsened counts, median
        p_completion, the critical week and the as_of of the data."""
        return queries.my_courses(runner(session_of(request)), t)

    @app.get("/api/v1/courses/{courseid}/students", tags=["courses"], summary="A course's students")
    def api_course_students(request: Request, courseid: int) -> list[dict]:
        """One row per active student of the course: category, changes, probabilities,
        risk band, reasons. 404 when the course is not one of yours (or does not exist)."""
        run = runner(session_of(request))
        if queries.course(run, t, courseid) is None:
            not_found()
        return queries.course_students(run, t, courseid)

    @app.get("/api/v1/students/{userid}/history", tags=["students"], summary="A student's history")
    def api_student_history(request: Request, userid: int) -> list[dict]:
        """Week by week, in each of your courses the student is enrolled in: category,
        activity, assignments so far, probabilities and reasons."""
        rows = queries.student_history(runner(session_of(request)), t, userid)
        if not rows:
            not_found()
        return rows

    @app.get(
        "/api/v1/progress/{model}/{week}/{userid}",
        tags=["students"],
        summary="A student's probability in a course week (the brief's m2_progress)",
    )
    def api_progress(
        request: Request, model: Literal["dropout", "completion"], week: int, userid: int
    ) -> list[dict]:
        """Per course of yours: the probability of ``model`` (dropout | completion) at
        course week ``week``, the category that week and the reasons behind p_dropout."""
        rows = [
            r
            for r in queries.student_history(runner(session_of(request)), t, userid)
            if r["course_week"] == week
        ]
        if not rows:
            not_found()
        key = "p_dropout" if model == "dropout" else "p_completion"
        return [
            {
                "userid": userid,
                "courseid": r["courseid"],
                "course_week": week,
                "model": model,
                "probability": r[key],
                "risk_band": r["risk_band"],
                "category": r["category"],
                "reasons": [x for x in (r["reason_1"], r["reason_2"], r["reason_3"]) if x],
            }
            for r in rows
        ]

    return app
