"""`psychoed lint`: check what patients will read, beyond what loading the content already refuses."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..content import Content, Intent, load_content
from ..content.yamlfile import LineDict, read
from ..dialogue import Bot
from ..errors import BotError, ConfigError
from ..matcher import OUT_OF_SCOPE
from ..reply import Reply
from .documents import COPY_RUN, Documents, passages, tokens

if TYPE_CHECKING:
    from ..normalize import Normalizer

MAX_GRADE = 8.0                 # Flesch-Kincaid grade
MIN_WORDS, MAX_WORDS = 40, 120  # the long form
STALE = dt.timedelta(days=365)  # a review older than 12 months
COLLISION = 0.80                # an example that scores this high for another intent is a near duplicate
FOLDS = 20                      # rounds of the leave-out test

_NUM = r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|ten|half|a half|a quarter)"
_UNIT = r"(?:mgs?|milligrams?|mcg|micrograms?|µg|ml|millilit(?:er|re)s?|iu|units?|grams?|g)"
DOSE = [  # (pattern, what it is): numbers a patient could act on
    (rf"\b{_NUM}\s*-?\s*{_UNIT}\b", "a dose"),
    (r"\b(?:mg|milligrams?|mcg|micrograms?)\b", "a dose unit"),
    (rf"\b{_NUM}\s+(?:tablets?|pills?|capsules?|doses?|drops?|patch(?:es)?)\b", "a number of pills"),
    ((r"\b(?:once|twice|three times|four times|\d+\s*(?:x|times))\s+(?:a|per|each|every)\s+(?:day|night|week"
      r"|morning|evening)\b"), "a schedule"),
    (r"\b(?:once|twice)\s+(?:daily|weekly|nightly)\b", "a schedule"),
    (r"\bevery\s+\d+\s*(?:hours?|hrs?)\b", "a schedule"),
    (r"\btake\s+(?:\d+|two|three|four|half)\b", "'take N'"),
    ((r"\b(?:take|taking)\s+(?:it|them|this|these|one)\s+(?:at (?:night|bedtime)|in the (?:morning|evening)"
      r"|with food|daily|every day)\b"), "a schedule"),
]
_CHANGE = (r"(?:start|begin|stop|quit|discontinue|switch|change|increase|decrease|raise|lower|reduce|double"
           r"|halve|skip|taper|adjust|cut down|come off|go off|wean off)")
_LEAD = (r"(?:^|\b(?:you should|you can|you could|you may want to|you might want to|try to|it is (?:best|ok|okay"
         r"|fine|safe) to|it's (?:best|ok|okay|fine|safe) to|feel free to|go ahead and|consider))\s*")
_MEDICINE_WORDS = ("medicines?|medications?|meds|drugs?|pills?|tablets?|doses?|dosage|antidepressants?"
                   "|prescriptions?|treatment")
_SENTENCES = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, printed as `file:line: level: message`.

    A warning also says what it is about, independent of line numbers (`check`, `intent`, `other`), so that a
    person can record it as reviewed (see Reviewed) and it stays recognised when the file around it changes.
    """

    path: str
    line: int
    level: str  # "error" or "warning"
    message: str
    check: str = ""   # for warnings: "short-grade", "review-date" or "confusable"
    intent: str = ""
    other: str = ""   # for "confusable": the intent its examples land on

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}"


def display(path: str | Path) -> str:
    """A path relative to the working directory when it lies under it: shorter, and clickable in editors."""
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(path)


class Files:
    """Line numbers that the Content objects do not keep: keys, list items, words inside a text."""

    def __init__(self) -> None:
        self._data: dict[str, LineDict] = {}
        self._words: dict[str, list[tuple[str, int]]] = {}

    def data(self, path: str) -> LineDict:
        """A content file as read by the loader, with its line numbers."""
        if path not in self._data:
            self._data[path] = read(Path(path))
        return self._data[path]

    def find(self, path: str, start: int, fragment: str) -> int:
        """The line where the fragment's words first occur at or after `start`; `start` if not found."""
        if path not in self._words:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
            self._words[path] = [(w, n) for n, line in enumerate(lines, 1) for w in tokens(line)]
        want, have = tokens(fragment)[:6], self._words[path]
        for i, (_, line) in enumerate(have):
            if line >= start and [w for w, _ in have[i : i + len(want)]] == want:
                return line
        return start

    def entry(self, path: str, key: str, value: str) -> LineDict:
        """The list item in a content file whose `key` is `value` (an answer or an intent)."""
        top = self.data(path)
        for entries in top.values():
            for item in entries if isinstance(entries, list) else ():
                if isinstance(item, LineDict) and item.get(key) == value:
                    return item
        return top


# -- what an answer says ----------------------------------------------------------------------------

def doses(text: str, names: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """Doses, units, schedules and advice to start, stop or change a medicine: (the words, the message).

    `names` are medicine names and brands, which count as "a medicine" as much as the word itself.
    """
    low = text.casefold()
    taken: list[range] = []
    for pattern, what in DOSE:
        for m in re.finditer(pattern, low):
            if not any(m.start() in r for r in taken):  # "25 mg" once, not again as the unit "mg"
                taken.append(range(m.start(), m.end()))
                yield m.group(0), f"contains {what}: {m.group(0)!r}; answers never give doses or schedules"
    medicine = "|".join([_MEDICINE_WORDS, *(re.escape(n) for n in names)])
    for sentence in _SENTENCES.split(low):
        # An imperative or an "it's fine to" sentence: "Stop taking your pills", "you can lower the dose".
        advice = re.search(rf"{_LEAD}{_CHANGE}\s+(?:taking\s+)?(?:\w+\s+){{0,2}}?(?:{medicine})\b", sentence)
        if advice and not re.search(r"\b(?:not|never|don't|without)\b", sentence[: advice.start() + 1]):
            said = advice.group(0).strip()
            yield said, f"advises changing a medicine: {said!r}; that is for the patient's own clinician"


# -- the checks -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    """Something a patient reads, where it is written, and which checks apply to it."""

    path: str
    line: int
    what: str
    text: str
    checks: frozenset[str]  # of "words" (doses and copying), "grade", "grade-warn", "length"
    intent: str = ""


def lint(content: Content, *, sources: Path | None = None, today: dt.date | None = None) -> list[Problem]:
    """Every problem in the content, errors and warnings, sorted by file and line."""
    grade_of = grader()
    bot, files = Bot(content), Files()
    today = today or dt.date.today()
    copies = Documents(sources) if sources is not None else None
    names = sorted(content.aliases(), key=len, reverse=True)
    problems: list[Problem] = []
    for item in _texts(content, bot, files):
        at = display(item.path)
        if "words" in item.checks:
            for fragment, message in doses(item.text, names):
                problems.append(Problem(at, files.find(item.path, item.line, fragment), "error",
                                        f"{item.what} {message}"))
            for run, doc in copies.copied(item.text) if copies else ():
                problems.append(Problem(at, files.find(item.path, item.line, run), "error",
                                        f"{item.what} copies {len(run.split())} words in a row from {doc}: {run!r}; "
                                        "say it in your own words"))
        if "length" in item.checks and not MIN_WORDS <= len(item.text.split()) <= MAX_WORDS:
            problems.append(Problem(at, item.line, "error", f"{item.what} is {len(item.text.split())} words long; "
                                    f"the long form must be {MIN_WORDS}-{MAX_WORDS}"))
        graded = item.checks & {"grade", "grade-warn"}
        grade = grade_of(item.text) if graded else 0.0
        if grade > MAX_GRADE:
            problems.append(Problem(at, item.line, "error" if "grade" in graded else "warning",
                                    f"{item.what} reads at grade {grade:.1f} (Flesch-Kincaid); keep it at "
                                    f"{MAX_GRADE:g} or lower with shorter sentences and words",
                                    "" if "grade" in graded else "short-grade", item.intent))
    for answer in content.answers.values():
        entry = files.entry(answer.path, "intent", answer.intent)
        if content.sourced(answer.intent) and answer.source not in content.sources:
            problems.append(Problem(display(answer.path), entry.lines.get("source", answer.line), "error",
                                    f"answer {answer.intent!r} has no valid source id ({answer.source!r})"))
        if answer.reviewed_on < today - STALE:
            problems.append(Problem(display(answer.path), entry.lines.get("reviewed", answer.line), "warning",
                                    f"answer {answer.intent!r} was last reviewed on {answer.reviewed_on} by "
                                    f"{answer.reviewed_by}, over 12 months ago; have it reviewed again",
                                    "review-date", answer.intent))
    problems += _replies(content, bot, files)
    problems += confusables(content, bot, files)
    problems += _passages(content, copies, files) if copies else []
    return sorted(set(problems))


def _passages(content: Content, documents: Documents, files: Files) -> list[Problem]:
    """Each sourced answer names where its facts rest, and each of those words is found in the document."""
    problems: list[Problem] = []
    for answer in content.answers.values():
        if not content.sourced(answer.intent) or answer.source not in content.sources:
            continue
        entry = files.entry(answer.path, "intent", answer.intent)
        at, line = display(answer.path), entry.lines.get("passages", answer.line)
        if not answer.passages:
            problems.append(Problem(at, line, "warning", f"answer {answer.intent!r} names no passage of its source; "
                                    "add `passages:` (a few words of the source where each fact rests)"))
        for anchor, found in passages(content, documents, answer):
            if len(tokens(anchor.partition(":")[2] or anchor)) >= COPY_RUN:
                problems.append(Problem(at, files.find(answer.path, line, anchor), "error",
                                        f"passage {anchor!r} of {answer.intent!r} is {COPY_RUN} words or more; a few "
                                        "words to find the passage by are enough, and no more may be copied"))
            if found is None:
                source = content.sources[answer.source or ""]
                where = f"in {source.file}" if source.file else "(its source has no `file:` in responses/sources.yaml)"
                problems.append(Problem(at, files.find(answer.path, line, anchor), "warning",
                                        f"passage {anchor!r} of {answer.intent!r} is not found {where}; copy a few words "
                                        "of the source exactly, or name another source as 'id: words'"))
    return problems


def grader() -> Callable[[str], float]:
    """textstat's Flesch-Kincaid grade, checked to work here before the first real text."""
    # Imported here: it loads a pronouncing dictionary, slow, and only lint needs it.
    import textstat

    try:
        textstat.flesch_kincaid_grade("A short test sentence.")
    except (LookupError, OSError) as exc:  # textstat 0.7.9 and later fetch their dictionary at run time
        raise BotError(f"textstat cannot grade text here ({type(exc).__name__}); install textstat>=0.7.5,<0.7.9, "
                       "which ships its dictionary") from None
    return lambda text: float(textstat.flesch_kincaid_grade(text))


def _texts(content: Content, bot: Bot, files: Files) -> list[Text]:
    """Everything a patient reads as an answer, with the checks each part needs."""
    out: list[Text] = []
    for answer in content.answers.values():
        entry = files.entry(answer.path, "intent", answer.intent)
        # Conversational answers are about the bot itself; medication_info's line is checked as shown, below.
        whole = content.sourced(answer.intent) and answer.intent != "medication_info"
        out.append(Text(answer.path, entry.lines.get("text", answer.line), f"answer {answer.intent!r}", answer.text,
                        frozenset({"words", "grade", "length"} if whole else {"words"})))
        if answer.short:
            # Flesch-Kincaid is unreliable on a single sentence, so a hard short form only warns.
            out.append(Text(answer.path, entry.lines.get("short", answer.line), f"short form of {answer.intent!r}",
                            answer.short, frozenset({"words", "grade-warn"} if whole else {"words"}), answer.intent))
    path = str(content.files["intents/medicines.yaml"])
    classes = files.data(path).get("classes")
    for key, cls in content.classes.items():
        found: Any = classes.get(key) if isinstance(classes, LineDict) else None
        line = found.lines.get("about", found.line) if isinstance(found, LineDict) else 1
        out.append(Text(path, line, f"class {key!r} about", cls.about, frozenset({"words"})))
        shown = next((m.name for m in content.medicines.values() if m.cls == key and m.in_documents), None)
        reply = bot.reply(f"what is {shown}?") if shown is not None else None
        if reply is not None and reply.intent == "medication_info":
            # What "what is <medicine>?" shows: a line naming it, the class's text, then medication_info's line.
            out.append(Text(path, line, f"medication_info as shown for {shown} (class {key!r})", reply.body,
                            frozenset({"grade", "length"})))
    return out


def _replies(content: Content, bot: Bot, files: Files) -> list[Problem]:
    """Questions the bot itself offers (follow-ups, topics, welcome examples) must get a real answer."""
    problems: list[Problem] = []
    replies: dict[str, Reply] = {}

    def check(path: str | Path, line: int, offered: str, sid: str, by: str | None, *, exact: bool) -> None:
        question = bot.question(sid)
        reply = replies[question] = replies.get(question) or bot.reply(question)
        where = f"{offered} {question!r} ({sid})"
        # A question the documents do not answer gets its own honest reply, a fallback naming who can answer.
        wanted = "fallback" if content.intent(sid).kind == "unanswered" else "answer"
        if reply.kind != wanted or (wanted == "fallback" and reply.intent != sid):
            problem = f"{where} gets {'an' if reply.kind[0] in 'ae' else 'a'} {reply.kind}, not {'an answer' if wanted == 'answer' else 'its own fallback'} ({reply.rule})"
        elif wanted == "fallback":
            return
        elif by is not None and reply.intent == by:
            problem = f"{where} is answered by {by!r} itself, which the patient has just read"
        elif exact and reply.intent != sid:
            problem = f"{where} is answered by {reply.intent!r} instead"
        elif exact and (bot.disclaimer not in reply.text or not reply.disclaimer):
            problem = f"{where} is answered without the disclaimer"
        else:
            return
        problems.append(Problem(display(path), line, "error", problem))

    for answer in content.answers.values():
        entry = files.entry(answer.path, "intent", answer.intent)
        lines = getattr(entry.get("suggestions"), "lines", [answer.line] * len(answer.suggestions))
        for sid, line in zip(answer.suggestions, lines, strict=False):
            check(answer.path, line, f"suggested follow-up of {answer.intent!r}:", sid, answer.intent, exact=True)
    listed = {q for questions in bot.topics.values() for q in questions}
    for intent in content.intents:
        if intent.question in listed:
            line = files.entry(intent.path, "id", intent.id).lines.get("question", intent.line)
            check(intent.path, line, "question listed under /topics:", intent.id, None, exact=True)
    ui = str(content.files["responses/ui.yaml"])
    examples = files.data(ui).get("examples")
    for sid, line in zip(examples or (), getattr(examples, "lines", ()), strict=False):
        check(ui, line, "welcome example", str(sid), None, exact=True)
    safety = content.files["intents/safety.yaml"]
    for rule in content.rules.rules:
        for sid in rule.suggest:
            check(safety, rule.line, f"suggestion of safety rule {rule.id!r}:", sid, None, exact=False)
    path = str(content.files["responses/safety.yaml"])
    offered = files.data(path).get("suggestions")
    for cls, ids in (offered.items() if isinstance(offered, LineDict) else ()):
        for sid, line in zip(ids or (), getattr(ids, "lines", ()), strict=False):
            check(path, line, f"suggestion after a {cls} reply:", str(sid), None, exact=False)
    return problems


class _Memo:
    """The bot's normaliser with its results kept, so rebuilding the matcher for each round is cheap."""

    def __init__(self, normalizer: Callable[[str], Any]) -> None:
        self._normalizer, self._seen = normalizer, dict[str, Any]()

    def __call__(self, text: str) -> Any:
        if text not in self._seen:
            self._seen[text] = self._normalizer(text)
        return self._seen[text]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._normalizer, name)


def confusables(content: Content, bot: Bot, files: Files) -> list[Problem]:
    """Each example matched with itself left out: a warning per pair of intents it confuses, errors for collisions.

    Leaving one example out at a time would rebuild the matcher for every example, so it is done in
    FOLDS rounds, each leaving out every FOLDS-th example of every intent: each example is still matched
    by a matcher that never saw it (nor 1 in FOLDS of the others), with 20 builds instead of thousands.
    """
    problems: list[Problem] = []
    normalizer = _Memo(bot.normalizer)
    pools = {i.id: (i.question, *i.examples) for i in content.intents}
    seen: dict[tuple[str, ...], tuple[str, str]] = {}
    oos = str(content.files["intents/out_of_scope.yaml"])
    rows = [(i.id, e, i.path, _line(files, i, e)) for i in content.intents for e in pools[i.id]]
    rows += [(OUT_OF_SCOPE, e, oos, _oos_line(files, oos, e)) for e in content.out_of_scope]
    for iid, example, path, line in rows:
        key = tuple(bot.matcher.tokens(example))
        other = seen.setdefault(key, (iid, example))
        if key and other[0] != iid:
            problems.append(Problem(display(path), line, "error",
                                    f"example {example!r} of {iid!r} reads the same as {other[1]!r} of "
                                    f"{other[0]!r} once normalised; keep it under one intent"))
    strays: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for n in range(FOLDS):
        left = {iid: pool[n::FOLDS] for iid, pool in pools.items() if len(pool) > len(pool[n::FOLDS]) > 0}
        kept = tuple(_without(i, left[i.id]) if i.id in left else i for i in content.intents)
        # Built the way Bot builds its own, sharing one normaliser whose results are kept across rounds,
        # and never saved to the start-up cache: these cut-down matchers are of no use to anyone else.
        matcher = type(bot.matcher)(replace(content, intents=kept), cast("Normalizer", normalizer), cache=False)
        for intent, example in ((i, e) for i in content.intents for e in left.get(i.id, ())):
            ranked = matcher.rank(example)
            for match in ranked:
                if match.intent != intent.id and match.score >= COLLISION:
                    problems.append(Problem(display(intent.path), _line(files, intent, example), "error",
                                            f"example {example!r} of {intent.id!r} matches {match.intent!r} at "
                                            f"{match.score:.2f} (its example {match.example!r}); the bot cannot "
                                            "tell them apart"))
            # Landing elsewhere below the answer threshold means a fallback, not a wrong answer: not a confusion.
            if ranked and ranked[0].intent != intent.id and ranked[0].score >= bot.answer_threshold:
                strays.setdefault((intent.id, ranked[0].intent), []).append((ranked[0].score, example))
    for (iid, landed), found in strays.items():
        intent = content.intent(iid)
        found.sort(reverse=True)
        shown = ", ".join(f"{e!r} ({s:.2f})" for s, e in found[:3]) + (", ..." if len(found) > 3 else "")
        problems.append(Problem(display(intent.path), _line(files, intent, found[0][1]), "warning",
                                f"{len(found)} of {len(pools[iid])} examples of {iid!r}, each left out, land on "
                                f"{landed!r}: {shown}", "confusable", iid, landed))
    return problems


def _line(files: Files, intent: Intent, example: str) -> int:
    """The line of an intent's example (or question) in its file."""
    entry = files.entry(intent.path, "id", intent.id)
    if example == intent.question:
        return entry.lines.get("question", intent.line)
    listed = entry.get("examples") or []
    found = [n for e, n in zip(listed, getattr(listed, "lines", ()), strict=False) if " ".join(str(e).split()) == example]
    return found[0] if found else intent.line


def _oos_line(files: Files, path: str, example: str) -> int:
    """The line of an out-of-scope example."""
    listed = files.data(path).get("out_of_scope") or []
    found = [n for e, n in zip(listed, getattr(listed, "lines", ()), strict=False) if " ".join(str(e).split()) == example]
    return found[0] if found else 1


def _without(intent: Intent, examples: Sequence[str]) -> Intent:
    """The intent with these examples (or its question) taken out."""
    pool = [e for e in (intent.question, *intent.examples) if e not in examples]
    return replace(intent, question=pool[0], examples=tuple(pool[1:]))


# -- reviewed warnings -----------------------------------------------------------------------------

REVIEWED_FILE = "lint-reviewed.yaml"   # beside intents/ and responses/ in a content folder
CHECKS = ("short-grade", "review-date", "confusable")


@dataclass(frozen=True)
class Accepted:
    """A warning a person looked at and accepted, with why."""

    check: str
    intent: str
    other: str
    why: str
    line: int


def reviewed(path: Path, content: Content) -> list[Accepted]:
    """The accepted warnings of a lint-reviewed.yaml, each checked (a located ContentError if one is not right).

    Each entry names the warning by what it is about, not by its line, so it survives edits around it:

        reviewed:
          - check: confusable              # short-grade, review-date or confusable
            intent: antidepressants_what_are
            other: psychotherapy_what_is   # confusable only: where its examples land
            why: the two share words by nature; the held-out evaluation tells them apart (0.97)
            by: content team
            date: 2026-12-01
    """
    from ..content.schema import fields, hint
    from ..errors import ContentError

    data = fields(read(path), path, required=("reviewed",), what=REVIEWED_FILE)
    entries = data["reviewed"]
    if not isinstance(entries, list):
        raise ContentError("'reviewed' must be a list of accepted warnings", path=path, line=data.lines["reviewed"])
    ids = {i.id for i in content.intents} | {OUT_OF_SCOPE}  # examples may land on the out-of-scope questions
    out: list[Accepted] = []
    for entry, line in zip(entries, getattr(entries, "lines", [data.line] * len(entries)), strict=False):
        entry = fields(entry, path, required=("check", "intent", "why", "by"), optional=("other", "date"),
                       what="a reviewed warning", line=line)
        check, intent, other = entry["check"], entry["intent"], entry.get("other", "")
        if check not in CHECKS:
            raise ContentError(f"unknown check {check!r}{hint(str(check), CHECKS)}; one of: {', '.join(CHECKS)}",
                               path=path, line=entry.lines["check"])
        for key, value in (("intent", intent), *((("other", other),) if check == "confusable" else ())):
            if value not in ids:
                raise ContentError(f"unknown intent {value!r}{hint(str(value), ids)}", path=path,
                                   line=entry.lines.get(key, entry.line))
        if check != "confusable" and other:
            raise ContentError("'other' belongs to confusable warnings only", path=path, line=entry.lines["other"])
        for key in ("why", "by"):
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise ContentError(f"'{key}' must say {'why the warning is accepted' if key == 'why' else 'who'}",
                                   path=path, line=entry.lines[key])
        out.append(Accepted(check, intent, other, " ".join(entry["why"].split()), entry.line))
    return out


def apply_reviewed(problems: list[Problem], accepted: Sequence[Accepted], path: Path) -> tuple[list[Problem], int]:
    """The problems less the accepted warnings, plus a warning for each accepted one that no longer occurs;
    and how many were accepted."""
    keys = {(e.check, e.intent, e.other): e for e in accepted}
    kept = [p for p in problems if p.level != "warning" or (p.check, p.intent, p.other) not in keys]
    found = {(p.check, p.intent, p.other) for p in problems if p.level == "warning"}
    stale = [Problem(display(path), e.line, "warning", f"reviewed warning {e.check} of {e.intent!r}"
                     + (f" -> {e.other!r}" if e.other else "") + " no longer occurs; remove it from the file")
             for key, e in keys.items() if key not in found]
    return sorted(kept + stale), len(problems) - len(kept)


def template(problems: Sequence[Problem]) -> str:
    """YAML entries for the unreviewed warnings, for a person to fill in `why` and `by` (empty ones are refused)."""
    lines = ["reviewed:"]
    for p in problems:
        if p.level != "warning" or not p.check:
            continue
        lines += [f"  # {p}", f"  - check: {p.check}", f"    intent: {p.intent}"]
        lines += [f"    other: {p.other}"] if p.other else []
        lines += ['    why: ""', '    by: ""', f"    date: {dt.date.today()}"]
    return "\n".join(lines)


# -- the command ------------------------------------------------------------------------------------

def run(*, content: str | None = None, sources: Path | None = None, reviewed_file: Path | None = None,
        strict: bool = False, template_out: bool = False) -> int:
    """`psychoed lint`: print each problem; 1 if any is an error (with --strict, or any unreviewed warning)."""
    loaded = load_content(content)
    if sources is not None and not sources.is_dir():
        raise ConfigError(f"no folder of source documents at {sources}")
    path = reviewed_file if reviewed_file is not None else loaded.path / REVIEWED_FILE
    if reviewed_file is not None and not path.is_file():
        raise ConfigError(f"no reviewed-warnings file at {path}")
    accepted = reviewed(path, loaded) if path.is_file() else []
    problems, hidden = apply_reviewed(lint(loaded, sources=sources), accepted, path)
    if template_out:
        print(template(problems))
        return 0
    for problem in problems:
        print(problem)
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    note = f" ({hidden} more reviewed in {display(path)})" if hidden else ""
    print(f"lint: {errors} errors, {warnings} warnings{note} in {len(loaded.answers)} answers "
          f"and {len(loaded.classes)} medicine classes" + ("" if sources else " (no --sources: copying not checked)"))
    if warnings and not hidden and not path.is_file():
        print(f"lint: record the warnings you accept in {display(path)} (psychoed lint --template prints entries), "
              "so that a new one stands out")
    return 1 if errors or (strict and warnings) else 0
