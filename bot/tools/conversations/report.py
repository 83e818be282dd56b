"""What `psychoed test` reports besides pass and fail: coverage of the content, and JUnit XML for CI servers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...content import Content
from ...content.model import SAFETY_REPLIES
from ...dialogue import Bot
from ...reply import ESCALATIONS, Reply
from .run import Result

# The bot's fixed replies, besides the intents' answers: (name, where a clinic edits it).
REPLIES = (
    *((name, "responses/ui.yaml") for name in ("fallback", "unknown_medicine", "empty", "clarify")),
    *((name, "responses/safety.yaml") for name in SAFETY_REPLIES),
)


def replies_shown(bot: Bot, reply: Reply) -> set[str]:
    """Which of REPLIES a reply shows, recognised by its text so that no rule id naming scheme is assumed."""
    ui, templates = bot.content.ui, bot.content.safety.replies
    shown = {"resources"} if reply.resources else set()
    if reply.kind == "clarify":
        shown.add("clarify")
    elif reply.kind == "fallback":
        before, _, after = ui.unknown_medicine.partition("{name}")
        if reply.body == ui.empty:
            shown.add("empty")
        elif reply.body.startswith(ui.fallback):
            shown.add("fallback")
        elif reply.body.startswith(before) and after.strip() in reply.body:
            shown.add("unknown_medicine")
    elif reply.kind == "escalation":
        shown.update(k for k in SAFETY_REPLIES if k != "resources" and reply.body == templates[k].format(**bot.lines))
    return shown


@dataclass(frozen=True)
class Coverage:
    """What the scripts reached, against what the content has."""

    intents: tuple[str, ...]
    missing_intents: tuple[str, ...]
    missing_escalations: tuple[str, ...]
    missing_replies: tuple[str, ...]
    where: dict[str, str]

    @property
    def complete(self) -> bool:
        return not (self.missing_intents or self.missing_escalations or self.missing_replies)

    def text(self) -> str:
        n_int, n_rep = len(self.intents), len(REPLIES)
        lines = [(f"coverage: {n_int - len(self.missing_intents)}/{n_int} intents, "
                  f"{len(ESCALATIONS) - len(self.missing_escalations)}/{len(ESCALATIONS)} escalation classes, "
                  f"{n_rep - len(self.missing_replies)}/{n_rep} replies")]
        if self.complete:
            return lines[0] + " (full)"
        lines.append("not reached by any script:")
        lines.extend(f"  intent {i} ({self.where[i]})" for i in self.missing_intents)
        lines.extend(f"  escalation class {e}" for e in self.missing_escalations)
        lines.extend(f"  reply {r} ({dict(REPLIES)[r]})" for r in self.missing_replies)
        return "\n".join(lines)


def coverage(content: Content, seen: Iterable[tuple[Bot, Reply]]) -> Coverage:
    """Compare the replies the scripts got with everything the content can say."""
    intents, escalations, replies = set(), set(), set()
    for bot, reply in seen:
        if reply.kind == "answer" and reply.intent:
            intents.add(reply.intent)
        if reply.escalation:
            escalations.add(reply.escalation)
        replies |= replies_shown(bot, reply)
    ids = tuple(i.id for i in content.intents)
    where = {i.id: f"{_relative(i.path, content.path)}, line {i.line}" for i in content.intents}
    return Coverage(ids, tuple(i for i in ids if i not in intents), tuple(e for e in ESCALATIONS if e not in escalations),
                    tuple(r for r, _ in REPLIES if r not in replies), where)


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
