"""The kiosk page in Debian's chromium, driven by Playwright, as a patient would use it: by touch and by keyboard."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import Bot, load_content
from bot.kiosk.app import create_app, running

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PORTRAIT, LANDSCAPE = {"width": 1080, "height": 1920}, {"width": 1920, "height": 1080}

if os.environ.get("CI") != "true":
    # Locally the browser is optional; in CI (.ci/run installs chromium) a missing one is a failure, not a skip.
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install -y chromium to run the kiosk browser tests",
                    allow_module_level=True)
    pytest.importorskip("playwright", reason="playwright is not installed: pip install playwright")

from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

CONTENT = load_content()
BOT = Bot(CONTENT)
QUESTION = {i.id: i.question for i in CONTENT.intents}
INTENT_OF = {q: i for i, q in QUESTION.items()}
CBT = QUESTION["therapy_cbt"]
CBT_ANSWER_START = CONTENT.answers["therapy_cbt"].text[:40]
CRISIS = "i want to kill myself"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    assert CHROMIUM.exists(), f"CI=true but there is no chromium at {CHROMIUM}"
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def kiosk() -> Iterator[tuple[str, Any]]:
    app = create_app(BOT)
    with running(app) as url:
        yield url, app


def open_page(browser: Browser, url: str, viewport: dict[str, int] = PORTRAIT) -> tuple[Page, list[str], list[str]]:
    """A touch-screen page on the kiosk; returns it with every URL it requested and every console error."""
    context = browser.new_context(viewport=viewport, has_touch=True)
    requests: list[str] = []
    problems: list[str] = []

    def guard(route: Any) -> None:
        requests.append(route.request.url)
        if route.request.url.startswith(url + "/"):
            route.continue_()
        else:
            route.abort()   # and the test fails below: the page must work with no network but this server

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(url + "/")
    return page, requests, problems


@pytest.fixture
def session(browser: Browser, kiosk: tuple[str, Any]) -> Iterator[Page]:
    url, _ = kiosk
    page, requests, problems = open_page(browser, url)
    yield page
    page.context.close()
    outside = [r for r in requests if not r.startswith(url + "/")]
    assert not outside, f"requests left the local server: {outside}"
    assert not problems, f"errors in the page (a CSP violation shows here too): {problems}"


def ask(page: Page, text: str) -> None:
    page.get_by_label("Your question").fill(text)
    page.get_by_label("Your question").press("Enter")


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def last_reply(page: Page) -> Any:
    return page.locator("#conversation .reply[data-kind]").last


def test_typing_a_question_shows_the_answer_and_its_source(session: Page) -> None:
    ask(session, CBT)
    reply = last_reply(session)
    expect(reply).to_have_attribute("data-intent", "therapy_cbt")
    expect(reply).to_contain_text(CBT_ANSWER_START)
    expect(reply.locator(".source")).to_contain_text(BOT.reply(CBT).source_title or "")
    expect(session.locator("#conversation .msg-user")).to_contain_text(CBT)
    expect(session.get_by_label("Your question")).to_have_value("")
    expect(session.get_by_role("log")).to_contain_text(CBT_ANSWER_START)   # the live region a screen reader reads
    expect(session.locator("#disclaimer")).to_have_text(BOT.disclaimer)
    expect(session.locator("#crisis-line")).to_contain_text("988")


def test_tapping_an_example_asks_it(session: Page) -> None:
    example = session.locator("#examples .choice").nth(1)
    text = example.inner_text()
    example.tap()
    expect(last_reply(session)).to_have_attribute("data-intent", INTENT_OF[text])


def test_following_a_suggestion(session: Page) -> None:
    ask(session, CBT)
    suggestion = last_reply(session).locator(".choice").first
    text = suggestion.inner_text()
    suggestion.tap()
    expect(session.locator("#conversation .reply[data-kind]")).to_have_count(2)
    expect(last_reply(session)).to_have_attribute("data-intent", INTENT_OF[text])


def test_a_crisis_reply_shows_the_numbers_large_and_keeps_them(session: Page) -> None:
    ask(session, CRISIS)
    urgent = session.locator(".reply.urgent")
    expect(urgent).to_be_visible()
    expect(urgent).to_have_attribute("data-escalation", "crisis")
    numbers = urgent.locator(".num")
    assert {"988", "911"} <= set(numbers.all_inner_texts())
    size = float(numbers.first.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))
    body = float(session.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
    assert size >= 1.5 * body, "crisis numbers are in large type"
    ask(session, CBT)
    expect(last_reply(session).locator(".resources")).to_contain_text("988")   # kept visible after a crisis
    screenshot(session, "kiosk-crisis-portrait")


def test_start_over_clears_the_screen_and_ends_the_session(session: Page, kiosk: tuple[str, Any]) -> None:
    _, app = kiosk
    ask(session, CBT)
    expect(last_reply(session)).to_be_visible()
    before = len(app.state.sessions)
    session.get_by_label("Your question").fill("half-typed question")
    session.get_by_role("button", name="Start over").tap()
    expect(session.locator("#conversation > *")).to_have_count(0)
    expect(session.get_by_label("Your question")).to_have_value("")
    expect(session.locator("#welcome")).to_be_visible()
    assert CBT_ANSWER_START not in session.locator("body").inner_text()
    expect(session.locator("#status")).to_contain_text("Cleared")
    session.wait_for_timeout(300)  # the DELETE is sent without waiting for it
    assert len(app.state.sessions) == before - 1


def test_idle_page_warns_then_clears_itself(browser: Browser) -> None:
    app = create_app(Bot(CONTENT, idle_timeout=8))   # the warning shows for the last quarter: 2 s
    with running(app) as url:
        page, requests, problems = open_page(browser, url)
        ask(page, CBT)
        expect(last_reply(page)).to_be_visible()
        warning = page.get_by_role("alertdialog")
        expect(warning).to_be_visible(timeout=10_000)
        expect(warning).to_contain_text("Still there?")
        page.get_by_role("button", name="I'm still here").tap()          # a touch keeps the conversation
        expect(warning).to_be_hidden()
        expect(last_reply(page)).to_be_visible()
        expect(warning).to_be_visible(timeout=10_000)                     # then nobody touches it
        expect(page.locator("#conversation > *")).to_have_count(0, timeout=4000)
        expect(warning).to_be_hidden()
        expect(page.locator("#welcome")).to_be_visible()
        page.wait_for_timeout(300)
        assert len(app.state.sessions) == 0
        page.context.close()
    assert not problems and all(r.startswith(url + "/") for r in requests)


def test_keyboard_only_with_visible_focus(session: Page) -> None:
    expect(session.locator("html")).to_have_attribute("lang", "en")
    session.keyboard.press("Tab")   # skip link
    session.keyboard.press("Tab")   # Start over
    session.keyboard.press("Tab")   # first example
    focused = session.locator(":focus")
    expect(focused).to_have_class("choice")
    assert focused.evaluate("n => getComputedStyle(n).outlineStyle") != "none", "focus is visible"
    text = focused.inner_text()
    session.keyboard.press("Enter")
    expect(last_reply(session)).to_have_attribute("data-intent", INTENT_OF[text])


def test_no_request_leaves_the_local_server(browser: Browser, kiosk: tuple[str, Any]) -> None:
    url, _ = kiosk
    page, requests, problems = open_page(browser, url)
    ask(page, CBT)
    expect(last_reply(page)).to_be_visible()
    page.context.close()
    paths = {r[len(url):] for r in requests if r.startswith(url + "/")}
    assert {"/", "/static/app.js", "/static/app.css", "/api/sessions"} <= paths
    assert all(r.startswith(url + "/") for r in requests), requests
    assert not problems


@pytest.mark.parametrize("name, viewport", [("portrait", PORTRAIT), ("landscape", LANDSCAPE)])
def test_answer_screenshot_and_touch_targets(browser: Browser, kiosk: tuple[str, Any], name: str,
                                             viewport: dict[str, int]) -> None:
    url, _ = kiosk
    page, _, problems = open_page(browser, url, viewport)
    page.locator("#examples .choice").nth(2).tap()
    expect(last_reply(page)).to_be_visible()
    ask(page, CBT)   # two answers: more than a screenful, so the middle has to scroll
    expect(page.locator("#conversation .reply[data-kind]")).to_have_count(2)
    page.wait_for_timeout(700)   # let the scroll to the new answer settle
    for control in ("#start-over", "#send", "#question", "#crisis-line", "#disclaimer"):
        expect(page.locator(control)).to_be_in_viewport()   # always on screen, however long the conversation
    heights = page.locator("button:visible, input").evaluate_all("ns => ns.map(n => n.getBoundingClientRect().height)")
    assert min(heights) >= 44, f"touch targets at least 44 px high: {heights}"
    screenshot(page, f"kiosk-answer-{name}")
    page.context.close()
    assert not problems
