"""The kiosk page in Debian's chromium, driven by Playwright, as a patient would use it: by touch and by keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import Bot, load_content
from bot.kiosk.app import create_app, running
from bot.menu import topics

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PORTRAIT, LANDSCAPE = {"width": 1080, "height": 1920}, {"width": 1920, "height": 1080}
# The screens the kiosk page must suit: the kiosk itself, a tablet, phones upright and on their side, the smallest
# phone in use, and a phone with its on-screen keyboard up (the page's height shrinks to what is left).
VIEWPORTS = {
    "kiosk-1080x1920": PORTRAIT, "tablet-768x1024": {"width": 768, "height": 1024},
    "phone-390x844": {"width": 390, "height": 844}, "phone-landscape-844x390": {"width": 844, "height": 390},
    "small-phone-320x568": {"width": 320, "height": 568}, "phone-keyboard-390x480": {"width": 390, "height": 480},
    "kiosk-landscape-1920x1080": LANDSCAPE,
}

from playwright.sync_api import Browser, Page, expect  # conftest.py has skipped the folder without them

CONTENT = load_content()
BOT = Bot(CONTENT)
QUESTION = {i.id: i.question for i in CONTENT.intents}
INTENT_OF = {q: i for i, q in QUESTION.items()}
CBT = QUESTION["therapy_cbt"]
CBT_ANSWER_START = CONTENT.answers["therapy_cbt"].text[:40]
FALLBACK = "what's the weather like"
CLINICIAN = "can i stop my zoloft"
CBT_SHORT = CONTENT.answers["therapy_cbt"].short or ""
CRISIS = "i want to kill myself"


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
    expect(reply.locator(".short")).to_have_text(CBT_SHORT)
    expect(reply.locator(".source")).to_contain_text(BOT.reply(CBT).source_title or "")
    expect(session.locator("#conversation .msg-user")).to_contain_text(CBT)
    expect(session.get_by_label("Your question")).to_have_value("")
    expect(session.get_by_role("log")).to_contain_text(CBT_SHORT)   # the live region a screen reader reads
    expect(reply.locator(".disclaimer")).to_have_text(BOT.disclaimer)
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
    assert CBT_SHORT not in session.locator("body").inner_text()
    expect(session.locator("#status")).to_contain_text("Cleared")
    session.wait_for_timeout(300)  # the DELETE is sent without waiting for it
    assert len(app.state.sessions) == before - 1


def test_idle_page_warns_then_clears_itself(browser: Browser) -> None:
    # The warning shows for the last quarter: 3 s, room enough for the tap on a machine busy with other work.
    app = create_app(Bot(CONTENT, idle_timeout=12))
    with running(app) as url:
        page, requests, problems = open_page(browser, url)
        ask(page, CBT)
        expect(last_reply(page)).to_be_visible()
        warning = page.get_by_role("alertdialog")
        expect(warning).to_be_visible(timeout=15_000)
        expect(warning).to_contain_text("Still there?")
        page.get_by_role("button", name="I'm still here").tap()          # a touch keeps the conversation
        expect(warning).to_be_hidden()
        expect(last_reply(page)).to_be_visible()
        expect(warning).to_be_visible(timeout=15_000)                     # then nobody touches it
        expect(page.locator("#conversation > *")).to_have_count(0, timeout=6000)
        expect(warning).to_be_hidden()
        expect(page.locator("#welcome")).to_be_visible()
        page.wait_for_timeout(300)
        assert len(app.state.sessions) == 0
        page.context.close()
    assert not problems and all(r.startswith(url + "/") for r in requests)


def test_keyboard_only_with_visible_focus(session: Page) -> None:
    expect(session.locator("html")).to_have_attribute("lang", "en")
    # The skip link, the crisis line's numbers, Topics, Start over, the welcome's numbers, then the examples.
    order = []
    for _ in range(12):
        session.keyboard.press("Tab")
        order.append(session.evaluate("document.activeElement.id || document.activeElement.className || ''"))
        if order[-1] == "choice":
            break
    assert order[0] == "skip-link" and order.index("browse") < order.index("start-over") < len(order) - 1, order
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




# -- every screen size -----------------------------------------------------------------------------------------

# How many lines of text an element takes: its text's boxes, those that overlap vertically counted as one line
# (a large phone number sits higher than the words beside it, on the same line).
LINES = """(n) => { const r = document.createRange(); r.selectNodeContents(n);
    const boxes = [...r.getClientRects()].filter((b) => b.width > 0).sort((a, b) => a.top - b.top);
    let lines = 0, bottom = -Infinity;
    for (const b of boxes) { if (b.top >= bottom - 2) { lines += 1; bottom = b.bottom; }
                             else { bottom = Math.max(bottom, b.bottom); } }
    return lines; }"""
# The placeholder's width in the input's own font, against the room the input has for text.
PLACEHOLDER = """(n) => { const s = getComputedStyle(n); const c = document.createElement("canvas").getContext("2d");
    c.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    return [c.measureText(n.placeholder).width,
            n.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)]; }"""


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_layout_fits_every_screen(browser: Browser, kiosk: tuple[str, Any], name: str) -> None:
    url, _ = kiosk
    viewport = VIEWPORTS[name]
    width, height = viewport["width"], viewport["height"]
    page, _, problems = open_page(browser, url, viewport)
    screenshot(page, f"kiosk-{name}-welcome")
    page.locator("#examples .choice").nth(2).tap()
    expect(last_reply(page)).to_be_visible()
    ask(page, CBT)   # two answers: more than a screenful, so the middle has to scroll
    expect(page.locator("#conversation .reply[data-kind]")).to_have_count(2)
    page.wait_for_timeout(700)   # let the scroll to the new answer settle
    for control in ("#start-over", "#browse", "#send", "#question", "#crisis-line"):
        expect(page.locator(control)).to_be_in_viewport(ratio=1)   # always wholly on screen
    # The conversation gets most of the screen, whatever the screen.
    middle = page.locator("#main").bounding_box()
    assert middle and middle["height"] >= 0.6 * height, f"the conversation gets {middle} of {viewport}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "nothing sticks out sideways"
    for button in ("#start-over", "#browse", "#send"):
        assert page.locator(button).evaluate(LINES) == 1, f"{button} is on one line"
    title = page.locator(".title-text")
    if title.evaluate("n => n.getBoundingClientRect().width > 1"):   # phones show the icon alone
        assert title.evaluate(LINES) == 1, "the title is on one line"
    crisis_lines = page.locator("#crisis-line").evaluate(LINES)
    assert crisis_lines <= 2, f"the crisis line takes {crisis_lines} lines"
    text, room = page.locator("#question").evaluate(PLACEHOLDER)
    assert text <= room, f"the placeholder is cut: {text:.0f} px of text in {room:.0f} px"
    heights = page.locator("button:visible, input").evaluate_all("ns => ns.map(n => n.getBoundingClientRect().height)")
    assert min(heights) >= 44, f"touch targets at least 44 px high: {heights}"
    screenshot(page, f"kiosk-{name}-answer")
    page.context.close()
    assert not problems


# -- short answers first ---------------------------------------------------------------------------------------

def test_an_answer_shows_its_short_form_first_and_tell_me_more_shows_the_rest(session: Page) -> None:
    ask(session, CBT)
    reply = last_reply(session)
    expect(reply.locator(".short")).to_have_text(CBT_SHORT)
    full = reply.locator(".full")
    expect(full).to_be_hidden()
    more = reply.get_by_role("button", name="Tell me more")
    expect(more).to_have_attribute("aria-expanded", "false")
    more.tap()
    expect(full).to_be_visible()
    expect(full).to_contain_text(CBT_ANSWER_START)
    expect(reply.get_by_role("button", name="Tell me more")).to_have_count(0)


def test_the_disclaimer_is_on_answers_but_not_under_crisis_replies(session: Page) -> None:
    ask(session, CBT)
    expect(last_reply(session).locator(".disclaimer")).to_have_text(BOT.disclaimer)
    ask(session, CRISIS)
    expect(last_reply(session)).to_have_attribute("data-escalation", "crisis")
    expect(last_reply(session).locator(".disclaimer")).to_have_count(0)
    expect(session.locator("footer")).to_have_count(0)   # and not also fixed at the bottom: once per answer


# -- help numbers, labels, the crisis bar ----------------------------------------------------------------------

def test_help_numbers_are_tap_to_call_links(session: Page) -> None:
    bar = session.locator("#crisis-line")
    expect(bar.locator('a[href="tel:988"]')).to_have_text("988")
    expect(bar.locator('a[href="tel:911"]')).to_have_text("911")
    expect(session.locator('#welcome a[href="tel:988"]')).to_have_count(1)
    ask(session, CRISIS)
    card = last_reply(session)
    expect(card.locator('a[href="tel:988"]').first).to_be_visible()
    expect(card.locator('a[href="tel:911"]').first).to_be_visible()
    ask(session, "I took 30 of my pills")
    expect(last_reply(session).locator('a[href="tel:18002221222"]')).to_have_text("1-800-222-1222")


def test_uk_help_numbers_are_links_too(browser: Browser) -> None:
    with running(create_app(Bot(CONTENT, region="uk"))) as url:
        page, _, problems = open_page(browser, url)
        expect(page.locator('#crisis-line a[href="tel:116123"]')).to_have_text("116 123")
        expect(page.locator('#crisis-line a[href="tel:999"]')).to_have_text("999")
        page.context.close()
    assert not problems


def test_a_clinician_reply_is_labelled(session: Page) -> None:
    ask(session, CLINICIAN)
    reply = last_reply(session)
    expect(reply).to_have_attribute("data-escalation", "clinician")
    expect(reply.get_by_role("heading", name="Ask your clinician")).to_be_visible()


def test_the_crisis_bar_says_help_now_after_a_crisis_until_start_over(session: Page) -> None:
    bar = session.locator("#crisis-line")
    help_now = bar.get_by_text("Help now")
    expect(help_now).to_be_hidden()
    ask(session, CRISIS)
    expect(help_now).to_be_visible()
    expect(bar).to_have_class(re.compile(r"\balert\b"))
    ask(session, CBT)
    expect(help_now).to_be_visible()              # for the rest of the conversation
    screenshot(session, "kiosk-help-now-portrait")
    session.get_by_role("button", name="Start over").tap()
    expect(help_now).to_be_hidden()
    expect(bar).not_to_have_class(re.compile(r"\balert\b"))


# -- browsing topics -------------------------------------------------------------------------------------------

def test_topic_names_in_a_fallback_can_be_tapped(session: Page) -> None:
    ask(session, FALLBACK)
    reply = last_reply(session)
    expect(reply).to_have_attribute("data-kind", "fallback")
    first = next(iter(topics(BOT)))
    reply.get_by_role("button", name=first).tap()
    card = session.get_by_role("region", name=first)
    expect(card).to_be_visible()
    questions = topics(BOT)[first]
    expect(card.locator(".choice")).to_have_count(len(questions))
    card.locator(".choice").first.tap()
    expect(last_reply(session)).to_have_attribute("data-intent", INTENT_OF[questions[0]])


def test_the_topics_button_lists_every_topic_and_its_questions(session: Page) -> None:
    session.get_by_role("button", name="Topics").tap()
    card = session.get_by_role("region", name="Topics")
    expect(card).to_be_in_viewport()
    listed = topics(BOT)
    expect(card.locator(".choice")).to_have_count(len(listed))
    last = list(listed)[-1]
    card.locator(f'[data-topic="{last}"]').tap()
    expect(session.get_by_role("region", name=last).locator(".choice")).to_have_count(len(listed[last]))
    assert "Hello" not in session.locator("#conversation").inner_text()
    screenshot(session, "kiosk-topics-portrait")


# -- privacy and failure ---------------------------------------------------------------------------------------

def test_the_idle_warning_hides_the_conversation(browser: Browser) -> None:
    app = create_app(Bot(CONTENT, idle_timeout=8))
    with running(app) as url:
        page, _, problems = open_page(browser, url, VIEWPORTS["phone-390x844"])
        ask(page, CBT)
        expect(last_reply(page)).to_be_visible()
        warning = page.get_by_role("alertdialog")
        expect(warning).to_be_visible(timeout=10_000)
        expect(page.locator("#main")).to_have_css("visibility", "hidden")
        expect(page.locator(".top")).to_have_css("visibility", "hidden")
        alpha = page.locator("#idle").evaluate("n => getComputedStyle(n).backgroundColor")
        assert not alpha.startswith("rgba"), f"the overlay is opaque: {alpha}"
        box = last_reply(page).bounding_box()
        assert box is not None
        on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('#idle') !== null",
                               [box["x"] + 10, box["y"] + 10])
        assert on_top, "what lies over the answer is the warning"
        screenshot(page, "kiosk-idle-phone")
        page.get_by_role("button", name="I'm still here").tap()
        expect(page.locator("#main")).to_have_css("visibility", "visible")
        expect(last_reply(page)).to_be_visible()
        page.context.close()
    assert not problems


def test_a_server_that_cannot_be_reached_keeps_the_question_and_offers_a_retry(browser: Browser,
                                                                            kiosk: tuple[str, Any]) -> None:
    url, _ = kiosk
    session, _, problems = open_page(browser, url)
    session.context.route("**/api/sessions**", lambda route: route.abort())   # the server is down
    ask(session, CBT)
    error = session.get_by_role("alert")
    expect(error).to_contain_text("could not reach")
    expect(session.get_by_label("Your question")).to_have_value(CBT)      # not wiped
    screenshot(session, "kiosk-server-down-portrait")
    session.context.unroute("**/api/sessions**")
    session.context.route("**/*", lambda route: route.continue_())
    error.get_by_role("button", name="Try again").tap()
    expect(last_reply(session)).to_have_attribute("data-intent", "therapy_cbt")
    expect(session.get_by_role("alert")).to_have_count(0)
    expect(session.locator("#conversation .msg-user")).to_have_count(1)  # the retried question shown once
    expect(session.get_by_label("Your question")).to_have_value("")
    session.context.close()
    assert all("net::ERR_FAILED" in p for p in problems), problems   # only the requests we cut off failed


# -- accessibility ---------------------------------------------------------------------------------------------

def test_axe_finds_no_violations(browser: Browser, kiosk: tuple[str, Any]) -> None:
    axe = pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")
    url, _ = kiosk
    script = (Path(axe.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    for name in ("kiosk-1080x1920", "phone-390x844"):
        page, _, _ = open_page(browser, url, VIEWPORTS[name])
        ask(page, CBT)
        expect(last_reply(page)).to_be_visible()
        ask(page, FALLBACK)
        expect(page.locator("#conversation .reply[data-kind]")).to_have_count(2)
        page.evaluate(script)   # evaluated by the browser's tools, so the page's CSP does not stop it
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        found = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in result["violations"]]
        assert not found, f"{name}: {found}"
        page.context.close()
