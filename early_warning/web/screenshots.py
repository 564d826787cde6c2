"""The README's screenshots of the three pages, from the published demo warehouse.

    make demo && python -m early_warning.web.screenshots [--user llewis] [--out assets/screenshots]

Serves the app on a free local port, signs in as the demo user given (default: the one
who may see the most courses with course-level roles) in Debian's chromium, and saves
my-courses.png, course.png (the course with the most students whose category
worsened) and student-card.png (that course's student with the highest P(dropout)).
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m early_warning.web.screenshots")
    parser.add_argument("--user", default=None)
    parser.add_argument("--out", type=Path, default=Path("assets/screenshots"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)

    import uvicorn
    from playwright.sync_api import sync_playwright

    from early_warning.web.app import create_app
    from early_warning.web.config import WebSettings

    settings = WebSettings.from_env()
    app = create_app(settings)
    reader = app.state.reader
    users = reader.demo_users(settings.schemas)
    user = (
        args.user
        or max(users, key=lambda u: u["n_courses"] if "manager" not in u["roles"] else 0)[
            "username"
        ]
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/signin")
            page.click(f'button[data-user="{user}"]')
            page.wait_for_url(f"{base}/courses")
            page.screenshot(path=str(args.out / "my-courses.png"), full_page=True)
            rows = page.locator("tr[data-courseid]")
            best, most = None, -1
            for i in range(rows.count()):
                cells = rows.nth(i).locator("td")
                n = int(cells.nth(4).inner_text() or 0)
                if n > most:
                    best, most = rows.nth(i).get_attribute("data-courseid"), n
            page.goto(f"{base}/courses/{best}?worsened=1&sort=p_dropout&dir=desc")
            page.screenshot(path=str(args.out / "course.png"), full_page=False)
            page.click("tr[data-userid] >> nth=0 >> a")
            page.wait_for_url(f"{base}/students/**")
            page.screenshot(path=str(args.out / "student-card.png"), full_page=False)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    print(f"saved 3 screenshots of {user}'s pages in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
