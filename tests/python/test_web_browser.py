"""The web app end to end in a real browser (issue 14): Playwright for Python driving
Debian's chromium (/usr/bin/chromium; `.ci/run` installs it when missing) against the
app served by uvicorn over the published tiny build (demo sign-in).

The scenario of the issue: sign in as a demo teacher, see only their courses, open a
course, filter to worsened students, sort, download the CSV, open a card and see its
history chart; sign in as another teacher and fail to open the first one's course by
URL. Screenshots are saved as test artefacts in target/test-artifacts/web/.
"""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from pathlib import Path

import pytest

from early_warning.dbt_runner import PROJECT_DIR

pytestmark = pytest.mark.dbt

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_DIR / "target" / "test-artifacts" / "web"


@pytest.fixture(scope="module")
def server(web_settings):
    """The app on a free local port, in a thread, for this module."""
    import uvicorn

    from early_warning.web.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(web_settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `apt-get update && apt-get install -y chromium` "
            "(.ci/run does this)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def teachers(web_build) -> dict:
    """Teacher A, a running course of A's, and teacher B who may not see that course."""
    grants: dict[str, set[int]] = {}
    for username, courseid in web_build.query(
        "select username, courseid from marts.mart_course_access"
    ):
        grants.setdefault(username, set()).add(courseid)
    worsened = {
        c
        for (c,) in web_build.query(
            "select distinct courseid from marts.mart_student_current "
            "where change_direction = 'worsened'"
        )
    }
    for a in sorted(grants, key=lambda u: (len(grants[u]), u)):
        for b in sorted(grants):
            mine = (grants[a] - grants[b]) & worsened
            if a != b and mine:
                return {"a": a, "a_courses": grants[a], "course": min(mine), "b": b}
    pytest.fail("the tiny site needs two teachers with different courses")


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/signin")
    assert page.get_by_text("Demo mode").first.is_visible()
    page.click(f'button[data-user="{username}"]')
    page.wait_for_url(f"{base}/courses")
    assert page.inner_text("#signed-in-as") == username


def test_teacher_journey_in_a_real_browser(server, browser, teachers, web_build):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    a, course = teachers["a"], teachers["course"]

    _sign_in(page, server, a)
    shown = {int(c) for c in page.locator("tr[data-courseid]").evaluate_all(
        "rows => rows.map(r => r.dataset.courseid)"
    )}  # fmt: skip
    assert shown == teachers["a_courses"]
    page.screenshot(path=str(ARTIFACTS / "1-my-courses.png"), full_page=True)

    page.click(f'tr[data-courseid="{course}"] a')
    page.wait_for_url(f"{server}/courses/{course}")
    n_all = page.locator("tr[data-userid]").count()
    assert (
        n_all
        == web_build.query(
            f"select count(*) from marts.mart_student_current where courseid = {course}"
        )[0][0]
    )
    assert page.locator("#critical-points-chart svg").is_visible()

    # worsened only
    page.check('input[name="worsened"]')
    page.click('#filters button[type="submit"]')
    page.wait_for_url("**worsened=1**")
    worsened = {
        u
        for (u,) in web_build.query(
            f"select userid from marts.mart_student_current where courseid = {course} "
            "and change_direction = 'worsened'"
        )
    }
    ids = lambda: [int(u) for u in page.locator("tr[data-userid]").evaluate_all(  # noqa: E731
        "rows => rows.map(r => r.dataset.userid)"
    )]  # fmt: skip
    assert set(ids()) == worsened

    # sort by P(dropout), twice: ascending then descending
    page.click('a.sort[data-sort="p_dropout"]')
    page.wait_for_url("**sort=p_dropout**dir=asc**")
    page.click('a.sort[data-sort="p_dropout"]')
    page.wait_for_url("**sort=p_dropout**dir=desc**")
    order = ids()
    p = dict(
        web_build.query(
            f"select userid, p_dropout from marts.mart_student_current where courseid = {course}"
        )
    )
    assert set(order) == worsened
    assert [p[u] for u in order] == sorted((p[u] for u in order), reverse=True)
    page.screenshot(path=str(ARTIFACTS / "2-course-worsened-sorted.png"), full_page=True)

    # the CSV: exactly these rows, in this order
    with page.expect_download() as download_info:
        page.click("#csv-link")
    download = download_info.value
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert [int(r["userid"]) for r in rows] == order
    download.save_as(str(ARTIFACTS / "course-students.csv"))

    # a student's card and its history chart
    page.click(f'tr[data-userid="{order[0]}"] a')
    page.wait_for_url(f"{server}/students/{order[0]}")
    card = page.locator(f'section.course-card[data-courseid="{course}"]')
    chart = card.locator(".history-chart svg")
    assert chart.is_visible()
    assert (
        chart.locator("rect.band").count()
        == web_build.query(
            f"select count(*) from marts.mart_student_activity where courseid = {course} "
            f"and userid = {order[0]}"
        )[0][0]
    )
    assert chart.locator("polyline.p_dropout").count() == 1
    page.screenshot(path=str(ARTIFACTS / "3-student-card.png"), full_page=True)

    # sign out; teacher B cannot open A's course by its URL
    page.click("text=Sign out")
    page.wait_for_url(f"{server}/signin")
    _sign_in(page, server, teachers["b"])
    response = page.goto(f"{server}/courses/{course}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    page.screenshot(path=str(ARTIFACTS / "4-other-teacher-refused.png"), full_page=True)
    context.close()


# --------------------------------------------------------------------------- contact (#19)

BOT_TOKEN = "777001:WEB-browser_token_abcdefgh"


@pytest.fixture(scope="module")
def contact_server(web_published, web_build, tmp_path_factory):
    """The app with a live warehouse (a copy of the tiny build) and the local fake Bot API."""
    import shutil

    import uvicorn

    from early_warning.notify import BotApi
    from early_warning.notify.fake_api import FakeBotApi
    from early_warning.web.app import create_app
    from early_warning.web.config import WebSettings

    live = tmp_path_factory.mktemp("browser_live") / Path(web_build.duckdb_path).name
    shutil.copyfile(web_build.duckdb_path, live)
    settings = WebSettings.from_env(
        environ={
            "EW_TARGET": "duckdb",
            "EW_WEB_DUCKDB_PATH": str(web_published),
            "EW_WEB_WAREHOUSE_PATH": str(live),
        }
    )
    with FakeBotApi(BOT_TOKEN) as fake, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        app = create_app(settings, bot_api=BotApi(BOT_TOKEN, fake.base_url))
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", fake
        server.should_exit = True
        thread.join(timeout=10)


def test_contact_and_feedback_in_a_real_browser(contact_server, browser, web_build):
    """A worsened student's card: send once (double click, reload, a second browser
    session: one message at the fake Bot API), see it delivered; leave feedback, see it."""
    base, fake = contact_server
    rows = web_build.query(
        "select access.username, contact.userid, contact.courseid, contact.chat_id "
        "from marts.mart_student_contact as contact "
        "inner join marts.mart_student_current as cur on cur.enrolment_id = contact.enrolment_id "
        "inner join marts.mart_course_access as access on access.courseid = contact.courseid "
        "where contact.can_contact and cur.change_direction = 'worsened' "
        "order by access.username, contact.userid limit 1"
    )
    if not rows:
        pytest.fail("the tiny site needs a worsened student with a Telegram chat")
    teacher, userid, courseid, chat_id = rows[0]
    text = "Hello from the browser test: the next deadline is close."
    contexts = [browser.new_context(viewport={"width": 1280, "height": 1000}) for _ in range(2)]
    pages = [c.new_page() for c in contexts]
    for page in pages:
        _sign_in(page, base, teacher)
        page.goto(f"{base}/students/{userid}")
    first, second = pages
    form = first.locator(f"#contact-{courseid} form.contact-form")
    form.locator("textarea").fill(text)
    second.locator(f"#contact-{courseid} form.contact-form textarea").fill(text)
    # double click: the second submit rides the same token
    form.locator("button.send").dblclick()
    first.wait_for_url("**done=**")
    # reload of the result page and a second session's (now stale) form
    first.reload()
    second.locator(f"#contact-{courseid} form.contact-form button.send").click()
    second.wait_for_url("**done=duplicate**")
    assert "already submitted" in second.inner_text(f"#contact-{courseid}") or (
        "was sent once" in second.inner_text(f"#contact-{courseid}")
    )
    assert fake.delivered_count(str(chat_id), text) == 1
    block = first.locator(f"#contact-{courseid}")
    row = block.locator("table.sent-messages tr[data-outbox-id^='manual:']").first
    assert teacher in row.inner_text() and "delivered" in row.inner_text()
    first.screenshot(path=str(ARTIFACTS / "card-contact-sent.png"), full_page=True)

    block.locator("form.feedback-form button.feedback-useful").click()
    first.wait_for_url("**done=feedback**")
    given = first.locator(f"#contact-{courseid} ul.feedback-given").inner_text()
    assert "useful" in given and teacher in given
    first.locator(f"#contact-{courseid}").screenshot(path=str(ARTIFACTS / "card-feedback.png"))
    for context in contexts:
        context.close()
