"""Running conversation scripts: each turn sent to the bot, its reply checked, every miss kept as a Failure.

A failing turn does not stop the script: a clinic editing content wants all its broken
turns from one run, and later turns go on in the conversation as it really went.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...content import Content, load_content
from ...content.schema import hint
from ...dialogue import Bot, Session
from ...errors import ScriptError
from ...reply import HEARD, Reply
from .load import Check, Script, Turn


@dataclass(frozen=True)
class Failure:
    """A turn whose reply missed its expectations: everything needed to find and understand it."""

    script: Script
    number: int
    user: str
    line: int
    problems: tuple[str, ...]
    reply: Reply
    variant: str = ""                    # "variant 2 of 3" when the turn lists several `users`
    meant: str = ""                      # for a number typed, what it stood for: "question 2: What is CBT?"

    @property
    def location(self) -> str:
        return f"{self.script.path}:{self.line}"

    def __str__(self) -> str:
        r = self.reply
        first = next((ln for ln in r.text.splitlines() if ln.strip()), "")
        first = first if len(first) <= 120 else first[:117] + "..."  # enough to recognise the reply
        lines = [f"{self.location}: {self.script.name!r}, turn {self.number}" + (f", {self.variant}" if self.variant else ""),
                 f"  user:     {self.user}" + (f"  ({self.meant})" if self.meant else ""),
                 f"  expected: {self.problems[0]}",
                 *(f"            {p}" for p in self.problems[1:]),
                 f"  got:      kind {r.kind}, intent {r.intent or 'none'}, escalation {r.escalation or 'none'}",
                 f"  reply:    {first}"]
        return "\n".join(lines)


@dataclass
class Result:
    """One script's outcome: its failures (none when it passed) and how long it took."""

    script: Script
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


def _has(text: str, part: str) -> bool:
    return part.casefold() in text.casefold()


def problems(checks: Sequence[Check], reply: Reply, bot: Bot) -> list[str]:
    """What the reply got wrong, one line per unmet expectation (empty if all are met)."""
    out: list[str] = []
    for check in checks:
        key, want = check.key, check.want
        if key == "intent" and reply.intent != want:
            out.append(f"intent {want or 'none'} (got {reply.intent or 'none'})")
        elif key == "kind" and reply.kind != want:
            out.append(f"kind {want} (got {reply.kind})")
        elif key == "escalation" and reply.escalation != want:
            out.append(f"escalation {want or 'none'} (got {reply.escalation or 'none'})")
        elif key == "source" and reply.source != want:
            out.append(f"source {want or 'none'} (got {reply.source or 'none'})")
        elif key == "contains":
            out.extend(f"reply containing {w!r}" for w in want if not _has(reply.text, w))
        elif key == "not_contains":
            out.extend(f"reply without {w!r} (it is there)" for w in want if _has(reply.text, w))
        elif key == "matches" and not re.search(want, reply.text):
            out.append(f"reply matching /{want}/")
        elif key == "suggestions_include":
            # an intent id stands for its question, which is what the reply lists
            wanted = [bot.question(w) if w in bot.content.answers else w for w in want]
            missing = [w for w in wanted if not any(s.casefold() == w.casefold() for s in reply.suggestions)]
            out.extend(f"suggestion {w!r} (got: {'; '.join(reply.suggestions) or 'none'})" for w in missing)
        elif key == "disclaimer" and want and not (reply.disclaimer and reply.disclaimer in reply.text):
            out.append("the disclaimer in the reply")
        elif key == "disclaimer" and not want and (reply.disclaimer or bot.disclaimer in reply.text):
            out.append("no disclaimer in the reply (it is there)")
        elif key == "confidence_at_least" and reply.confidence < want:
            out.append(f"confidence at least {want:.2f} (got {reply.confidence:.2f})")
        elif key == "max_words" and len(reply.body.split()) > want:
            out.append(f"a reply of at most {want} words (got {len(reply.body.split())})")
        elif key == "resources" and bool(reply.resources and reply.resources in reply.text) != want:
            out.append("crisis resources still shown (got none)" if want else "no crisis resources (they are shown)")
    return out


def _meant(session: Session, text: str) -> str:
    """What a number typed stands for in this session now, for a failure message ("" if it is not a number)."""
    chosen = session.choice(text) if session.choices else None
    if chosen is None:
        return ""
    n, question = chosen
    return f"question {n}: {question}" if question else f"no question {n} in the list of {len(session.choices)}"


class Runner:
    """Runs scripts against one content directory, with one Bot per region, and keeps every reply for coverage."""

    def __init__(self, content: Content | None = None) -> None:
        self.content = content if content is not None else load_content()
        self._bots: dict[str | None, Bot] = {}
        self.seen: list[tuple[Bot, Reply]] = []

    def bot(self, region: str | None = None) -> Bot:
        """The Bot for a region (None: the content's default), built once."""
        if region not in self._bots:
            # a clock that never moves: a slow machine must not expire a session halfway through a script
            self._bots[region] = Bot(self.content, region=region, clock=lambda: 0.0)
        return self._bots[region]

    def validate(self, script: Script) -> None:
        """Check the script's ids and region against this content (ScriptError if one is unknown)."""
        regions = self.content.safety.regions
        if script.region is not None and script.region not in regions:
            raise ScriptError(f"unknown region {script.region!r}; the content defines: {', '.join(regions)}",
                              path=script.path, line=script.region_line)
        known = {"intent": {*self.content.answers, HEARD}, "source": self.content.sources}
        for turn in script.turns:
            for check in turn.checks:
                ids = known.get(check.key)
                if ids is not None and check.want is not None and check.want not in ids:
                    raise ScriptError(f"unknown {check.key} {check.want!r}{hint(check.want, ids)}",
                                      path=script.path, line=check.line)

    def run(self, script: Script) -> Result:
        """Send each turn; a turn's other variants each go to a fresh session that replays the turns before it."""
        start = time.perf_counter()
        bot = self.bot(script.region)
        session = bot.session()
        result = Result(script)
        for number, turn in enumerate(script.turns, 1):
            if turn.reset:
                session.reset()
                continue
            for i, (text, line) in enumerate(zip(turn.users, turn.lines, strict=False)):
                own = session if i == 0 else self._replay(bot, script.turns[:number - 1])
                meant = _meant(own, text)
                reply = own.send(text)
                self.seen.append((bot, reply))
                found = problems(turn.checks, reply, bot)
                if found:
                    variant = f"variant {i + 1} of {len(turn.users)}" if len(turn.users) > 1 else ""
                    result.failures.append(Failure(script, number, text, line, tuple(found), reply, variant, meant))
        result.seconds = time.perf_counter() - start
        return result

    @staticmethod
    def _replay(bot: Bot, turns: Sequence[Turn]) -> Session:
        """A fresh session brought to where the script's main conversation stood (first variants, resets)."""
        session = bot.session()
        for turn in turns:
            if turn.reset:
                session.reset()
            else:
                session.send(turn.users[0])
        return session
