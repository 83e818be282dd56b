"""Terminal text for replies and screens: sanitised, wrapped to the width, optionally styled.

Pure string work with no prompt_toolkit import, so plain mode and the welcome screen stay fast.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..content import Source
from ..normalize import clean
from ..reply import URGENT, Reply

MAX_WIDTH = 100  # long lines are hard to read; wider terminals still get 100 columns
MIN_WIDTH = 20

# Style name -> (SGR attributes, SGR colour). Colour is dropped under NO_COLOR / --no-color, but the
# attributes stay, so meaning never rests on colour alone (labels and bold carry it).
STYLES: dict[str, tuple[str, str]] = {
    "title": ("1", "36"),
    "heading": ("1", ""),
    "number": ("1", "36"),
    "muted": ("2;3", ""),       # source and disclaimer: visibly apart from the answer itself
    "hint": ("2", ""),
    "notice": ("3", "33"),
    "strong": ("1", ""),        # the body of a crisis or emergency reply
    "crisis": ("1;7", "33"),    # the text label in front of it
    "emergency": ("1;7", "31"),
    "clinician": ("1;7", "36"),
    "resources": ("1", "33"),
}
LABELS = {"crisis": "CRISIS SUPPORT", "emergency": "EMERGENCY", "clinician": "ASK YOUR CLINICIAN"}

_ITEM = re.compile(r"^(\s*(?:[-*\u2022]|\d{1,3}[.)])\s+)")  # "- ", "1) ", "2. ": hanging indent
_PHONE = re.compile(r"\b\d{2,4}(?: \d{2,4})+\b")  # "116 123", "0800 58 58 58": kept on one line
_SENTENCE_END = re.compile(r"[.!?:;)\"'\u201d]$")


@dataclass(frozen=True)
class Painter:
    """Wraps text in SGR codes, or returns it untouched when styling is off."""

    styles: bool = True
    colour: bool = True

    def __call__(self, style: str, text: str) -> str:
        if not (self.styles and text and style in STYLES):
            return text
        attrs, colour = STYLES[style]
        codes = ";".join(c for c in (attrs, colour if self.colour else "") if c)
        return f"\x1b[{codes}m{text}\x1b[0m"


PLAIN = Painter(styles=False, colour=False)


def sanitize(text: str) -> str:
    """Drop control, escape and format characters line by line, keeping the line breaks."""
    return "\n".join(clean(line) for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def fit(columns: int) -> int:
    """The wrapping width for a terminal this many columns wide."""
    return max(MIN_WIDTH, min(MAX_WIDTH, columns - 1))


def reflow(text: str) -> list[str]:
    """Logical lines: lines the content author wrapped mid-sentence are joined again."""
    out: list[str] = []
    for line in sanitize(text).split("\n"):
        soft = out and out[-1] and line and not _SENTENCE_END.search(out[-1]) \
            and not _ITEM.match(line) and not _ITEM.match(out[-1])
        if soft:
            out[-1] += " " + line
        else:
            out.append(line)
    return out


def block(text: str, width: int | None, paint: Painter = PLAIN, style: str = "", indent: str = "") -> list[str]:
    """Sanitised text wrapped to width (None: keep the author's lines), each line styled on its own."""
    lines = reflow(text) if width else sanitize(text).split("\n")
    out: list[str] = []
    for line in lines:
        if not line:
            out.append("")
            continue
        item = _ITEM.match(line)
        hang = indent + " " * len(item.group(1)) if item else indent
        # A phone number is never split across lines ("116" at the end of one, "123" on the next).
        joined = _PHONE.sub(lambda m: m.group().replace(" ", "\u00a0"), line)
        wrapped = textwrap.wrap(joined, width, initial_indent=indent, subsequent_indent=hang,
                                break_long_words=True, break_on_hyphens=False) if width else [indent + line]
        for piece in wrapped:
            out.append(_style_item(piece.replace("\u00a0", " "), paint, style))
    return out


def _style_item(line: str, paint: Painter, style: str) -> str:
    """Style a line, giving a leading "1)" its number style so choices are easy to spot."""
    match = re.match(r"^(\s*)(\d{1,3}\))(\s.*)$", line)
    if match and not style:
        return match.group(1) + paint("number", match.group(2)) + match.group(3)
    return paint(style, line) if style else line


def numbered(questions: Sequence[str], width: int | None, paint: Painter, start: int = 1) -> list[str]:
    """Questions as a numbered list ("  1) ..."), wrapped with a hanging indent."""
    out: list[str] = []
    digits = len(str(start + len(questions) - 1))
    for n, question in enumerate(questions, start):
        # Numbers right-aligned, so that " 9)" and "10)" line their questions up.
        out += block(f"{n}) {sanitize(question)}", width, paint, indent="  " + " " * (digits - len(str(n))))
    return out


MORE_WORDS = frozenset({"more", "tell me more", "/more", "more please", "tell me more please"})
MORE_HINT = 'Type "more" for the full answer.'


def reply_lines(reply: Reply, width: int | None, paint: Painter = PLAIN,
                sources: Mapping[str, Source] | None = None, *, brief: bool = False, numbers: bool = True,
                more: str = MORE_HINT) -> list[str]:
    """A reply as the terminal shows it: notice, label, body (or with `brief`, the one-line answer first),
    source, resources, follow-ups and the disclaimer (which crisis and emergency replies do not carry).

    `numbers` says whether a number typed next can pick a follow-up (not after `psychoed ask`); `more` is how
    to see the full text of an answer shown short.
    """
    out: list[str] = []
    if reply.notice:
        out += block(reply.notice, width, paint, "notice") + [""]
    label = LABELS.get(reply.escalation or "")
    if label:
        out.append(paint(reply.escalation or "", f" {label} ") if paint.styles else f"[{label}]")
    urgent = reply.escalation in URGENT
    short = brief and shortened(reply)
    out += block(reply.short if short and reply.short else reply.body, width, paint, "strong" if urgent else "")
    if short:
        out += block(more, width, paint, "hint")
    if reply.source_title:
        source = (sources or {}).get(reply.source or "")
        out += [""] + block(f"Source: {source.cited if source else reply.source_title}", width, paint, "muted")
    if reply.resources:
        out += [""] + block(reply.resources, width, paint, "resources")
    if reply.suggestions and reply.kind != "clarify":
        heading = "You could also ask (type a number):" if numbers else "You could also ask:"
        out += ["", paint("heading", heading)]
        out += numbered(reply.suggestions, width, paint)
    elif reply.kind == "clarify" and numbers:
        out += [""] + block("Type a number to choose, or ask in other words.", width, paint, "hint")
    if reply.disclaimer:
        out += [""] + block(reply.disclaimer, width, paint, "muted")
    return out


def shortened(reply: Reply) -> bool:
    """Whether --brief shows this reply's one-line answer in place of its full text."""
    return bool(reply.short) and reply.kind == "answer" and reply.short != reply.body


def more_lines(reply: Reply, width: int | None, paint: Painter = PLAIN) -> list[str]:
    """The full text of an answer that was shown short."""
    return block(reply.body, width, paint)


TITLE = "Psychoeducation chat"


def welcome_lines(welcome: str, disclaimer: str, examples: Sequence[str], width: int | None,
                  paint: Painter = PLAIN, *, title: bool = True) -> list[str]:
    """The first screen: what the bot is and is not, the disclaimer and example questions."""
    out = [paint("title", TITLE), ""] if title else []
    out += block(welcome, width, paint) + [""]
    out += block(disclaimer, width, paint, "muted") + [""]
    out += [paint("heading", "You can ask, for example (type a number):")]
    out += numbered(examples, width, paint) + [""]
    out += block("Type /help for commands. Press Ctrl-D or type /quit to leave.", width, paint, "hint")
    return out


def topic_lines(topics: Mapping[str, Sequence[str]], width: int | None, paint: Painter = PLAIN) -> list[str]:
    """The topics, numbered: a number then lists that topic's questions (a whole list would not fit a screen)."""
    out = [paint("heading", "Topics I can answer questions about (type a number to see its questions):")]
    for n, (topic, questions) in enumerate(topics.items(), 1):
        count = f"{len(questions)} question{'s' if len(questions) != 1 else ''}"
        out += block(f"{n}) {sanitize(topic)} ({count})", width, paint, indent="  ")
    return out


def topic_questions_lines(topic: str, questions: Sequence[str], width: int | None, paint: Painter = PLAIN) -> list[str]:
    """One topic's questions, numbered."""
    out = [paint("heading", f"{sanitize(topic)} (type a number to ask):")]
    out += numbered(questions, width, paint)
    out += [""] + block("Type /topics for the list of topics.", width, paint, "hint")
    return out


def source_lines(sources: Iterable[Source], width: int | None, paint: Painter = PLAIN) -> list[str]:
    """The documents the answers come from."""
    out = [paint("heading", "My answers come from these documents:")]
    for source in sources:
        out += block(f"- {source.cited}", width, paint, indent="  ")
    return out


def why_lines(reply: Reply | None, width: int | None, paint: Painter = PLAIN) -> list[str]:
    """What answered the last turn and with what score, for reviewers."""
    if reply is None:
        return block("Nothing to explain yet: ask a question first.", width, paint, "hint")
    if reply.escalation:
        what = f"{reply.kind} ({reply.escalation}) from a safety rule"
    elif reply.intent:
        what = f"{reply.kind} by intent {reply.intent}"
    else:
        what = reply.kind
    out = [paint("heading", "Last reply: ") + sanitize(what) + f", score {reply.confidence:.2f}"]
    out += block(f"Why: {reply.rule or 'no rule recorded'}", width, paint, indent="  ")
    return out


COMMAND_HELP = (
    ("/help", "this list"),
    ("/topics", "the topics I know about, and their questions"),
    ("/sources", "the documents my answers come from"),
    ("/why", "what answered the last question, and its score (for reviewers)"),
    ("/reset", "forget this conversation and start over"),
    ("/quit", "leave (Ctrl-D does the same)"),
)


def help_lines(width: int | None, paint: Painter = PLAIN, *, interactive: bool = True, brief: bool = False) -> list[str]:
    """The commands, and how to use numbers and the keyboard."""
    out = [paint("heading", "Commands")]
    out += [f"  {paint('number', name.ljust(9))} {text}" for name, text in COMMAND_HELP]
    out += ["", paint("heading", "Tips")]
    tips = ["Type a number to ask one of the numbered questions.",
            "Ask in your own words: short questions work best."]
    if brief:
        tips += ['Answers come as one line first: type "more" for the full answer.']
    if interactive:
        tips += ["Tab shows matching questions; the right arrow accepts the grey suggestion.",
                 "Ctrl-C clears the line. Ctrl-D leaves."]
    for tip in tips:
        out += block(f"- {tip}", width, paint, indent="  ")
    return out
