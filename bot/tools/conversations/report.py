"""What `psychoed test` reports besides pass and fail: coverage of the content, and JUnit XML for CI servers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...content import Content
from ...dialogue import Bot
from ...reply import ESCALATIONS, Reply
from .run import Result

# The bot's fixed replies of responses/ui.yaml, besides the intents' answers; every reply of responses/safety.yaml
# and its after-crisis texts are added from the content itself (a clinic may add fitted replies).
UI_REPLIES = ("fallback", "unknown_medicine", "empty", "clarify", "no_such_choice", "also_asked", "repeat_answer",
              "repeat_fallback")


def replies(content: Content) -> tuple[tuple[str, str], ...]:
    """(name, where a clinic edits it) for every fixed reply the content can give."""
    return (*((name, "responses/ui.yaml") for name in UI_REPLIES),
            *((name, "responses/safety.yaml") for name in content.safety.replies),
            *((f"after_crisis {iid}", "responses/safety.yaml") for iid in content.safety.after_crisis))


def replies_shown(bot: Bot, reply: Reply) -> set[str]:
    """Which fixed replies a reply shows, recognised by its text so that no rule id naming scheme is assumed."""
    ui, templates = bot.content.ui, bot.content.safety.replies
    shown = {"resources"} if reply.resources else set()
    filled = {k: t.format(**bot.lines) for k, t in templates.items() if k != "resources"}
    shown.update(k for k, t in filled.items() if reply.body == t)
    after = bot.content.safety.after_crisis
    shown.update(f"after_crisis {i}" for i, t in after.items() if reply.intent == i and reply.body == t.format(**bot.lines))
    head = ui.no_such_choice.partition("{")[0]
    asked = ui.also_asked.partition("{")[0]
    if reply.kind == "clarify":
        shown.add("clarify")
    if reply.body == ui.repeat_answer.strip() or reply.body.startswith(ui.repeat_answer.strip()):
        shown.add("repeat_answer")
    if reply.body.startswith(ui.repeat_fallback.strip()):
        shown.add("repeat_fallback")
    if head and reply.body.startswith(head):
        shown.add("no_such_choice")
    if asked and asked in reply.body:
        shown.add("also_asked")
    if reply.kind == "fallback":
        before, _, end = ui.unknown_medicine.partition("{name}")
        if reply.body == ui.empty:
            shown.add("empty")
        elif reply.body.startswith(ui.fallback):
            shown.add("fallback")
        elif reply.body.startswith(before) and end.strip() in reply.body:
            shown.add("unknown_medicine")
    return shown


@dataclass(frozen=True)
class Coverage:
    """What the scripts reached, against what the content has."""

    intents: tuple[str, ...]
    missing_intents: tuple[str, ...]
    missing_escalations: tuple[str, ...]
    missing_replies: tuple[str, ...]
    where: dict[str, str]
    replies: tuple[tuple[str, str], ...] = ()

    @property
    def complete(self) -> bool:
        return not (self.missing_intents or self.missing_escalations or self.missing_replies)

    def text(self) -> str:
        n_int, n_rep = len(self.intents), len(self.replies)
        lines = [(f"coverage: {n_int - len(self.missing_intents)}/{n_int} intents, "
                  f"{len(ESCALATIONS) - len(self.missing_escalations)}/{len(ESCALATIONS)} escalation classes, "
                  f"{n_rep - len(self.missing_replies)}/{n_rep} replies")]
        if self.complete:
            return lines[0] + " (full)"
        lines.append("not reached by any script:")
        lines.extend(f"  intent {i} ({self.where[i]})" for i in self.missing_intents)
        lines.extend(f"  escalation class {e}" for e in self.missing_escalations)
        lines.extend(f"  reply {r} ({dict(self.replies)[r]})" for r in self.missing_replies)
        return "\n".join(lines)


def coverage(content: Content, seen: Iterable[tuple[Bot, Reply]]) -> Coverage:
    """Compare the replies the scripts got with everything the content can say."""
    intents, escalations, shown = set(), set(), set()
    for bot, reply in seen:
        if reply.kind in ("answer", "fallback") and reply.intent:  # an unanswered intent's reply is a fallback
            intents.add(reply.intent)
        if reply.escalation:
            escalations.add(reply.escalation)
        shown |= replies_shown(bot, reply)
    every = replies(content)
    ids = tuple(i.id for i in content.intents)
    where = {i.id: f"{_relative(i.path, content.path)}, line {i.line}" for i in content.intents}
    return Coverage(ids, tuple(i for i in ids if i not in intents), tuple(e for e in ESCALATIONS if e not in escalations),
                    tuple(r for r, _ in every if r not in shown), where, every)


def _relative(path: str | Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def write_junit(path: Path, results: Sequence[Result]) -> None:
    """One <testcase> per script, its failures as <failure> with the same text the terminal shows."""
    failed = sum(not r.passed for r in results)
    total = sum(r.seconds for r in results)
    suites = ET.Element("testsuites", tests=str(len(results)), failures=str(failed), errors="0", time=f"{total:.3f}")
    suite = ET.SubElement(suites, "testsuite", name="psychoed conversations", tests=str(len(results)),
                          failures=str(failed), errors="0", skipped="0", time=f"{total:.3f}")
    for result in results:
        script = result.script
        classname = ".".join(Path(_relative(script.path, Path.cwd())).with_suffix("").parts).lstrip("/.")
        case = ET.SubElement(suite, "testcase", classname=classname, name=script.name, file=str(script.path),
                             line=str(script.turns[0].line), time=f"{result.seconds:.3f}")
        if result.failures:
            first = result.failures[0]
            failure = ET.SubElement(case, "failure", message=f"{first.location}: turn {first.number}: {first.problems[0]}",
                                    type="ConversationMismatch")
            failure.text = "\n\n".join(str(f) for f in result.failures)
    ET.indent(suites)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
