"""Stage 4: turn a message into a Reply, keeping the context a conversation needs."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .content import Content, Region, Source, load_content
from .errors import ConfigError
from .matcher import OUT_OF_SCOPE, Match, Matcher
from .normalize import Normalized, Normalizer, clean
from .reply import URGENT, Escalation, Kind, Reply
from .safety import Finding, Safety, example_words

PRONOUNS = re.compile(r"\b(it|that|this|they|them|those|these|its|one)\b")
FOLLOW_UP = re.compile(r"^(and|also|so|but|ok|okay|what about|how about|and what about|what if)\b")
NUMBER = re.compile(r"#?\s*(\d{1,4})\s*[.)]?")  # "2", "#2", "2." or "2)": the second listed question
ORDINALS = {"one": 0, "first": 0, "the first": 0, "the first one": 0, "two": 1, "second": 1, "the second": 1,
            "the second one": 1, "three": 2, "third": 2, "the third": 2, "the third one": 2}


class Bot:
    """The content, compiled once, and the settings every session shares. Safe to share across threads."""

    def __init__(self, content: Content | None = None, *, region: str | None = None,
                 idle_timeout: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.content = content if content is not None else load_content()
        self.settings = self.content.settings
        # One normaliser, shared: the message is read once a turn, and rules are read as messages are.
        self.normalizer = Normalizer(self.content.aliases(), self.content.synonyms)
        examples = [e for i in self.content.intents for e in (i.question, *i.examples)]
        self.safety = Safety(self.content.rules, self.normalizer, example_words(examples))
        self.matcher = Matcher(self.content, self.normalizer)
        regions = self.content.safety.regions
        self.region = region or self.content.safety.default_region
        if self.region not in regions:
            raise ConfigError(f"unknown region {self.region!r}; the safety file defines: {', '.join(regions)}")
        self.idle_timeout = float(idle_timeout if idle_timeout is not None else self.settings.idle_timeout)
        self.clock = clock
        self.answer_threshold = self.settings.answer_threshold
        self.clarify_margin = self.settings.clarify_margin
        self.clarify_floor = self.settings.clarify_floor
        self.followup_bonus = self.settings.followup_bonus
        self._questions = {i.id: i.question for i in self.content.intents}
        self.intent_of = {i.question: i.id for i in self.content.intents}

    # -- what front ends show ------------------------------------------------------------------------
    @property
    def help_lines(self) -> Region:
        """The region's crisis and emergency numbers."""
        return self.content.safety.regions[self.region]

    @property
    def lines(self) -> dict[str, str]:
        """The region's numbers as the reply templates' placeholders."""
        return self.help_lines.placeholders()

    @property
    def crisis_line(self) -> str:
        return self.help_lines.banner

    @property
    def disclaimer(self) -> str:
        return self.content.ui.disclaimer

    @property
    def welcome(self) -> str:
        return self.content.ui.welcome.format(**self.lines)

    @property
    def examples(self) -> tuple[str, ...]:
        return self.content.ui.examples

    @property
    def topics(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for intent in self.content.intents:
            out.setdefault(intent.topic, []).append(intent.question)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def sources(self) -> tuple[Source, ...]:
        return tuple(self.content.sources.values())

    def question(self, intent_id: str) -> str:
        return self._questions[intent_id]

    # -- conversation ----------------------------------------------------------------------------------
    def session(self) -> Session:
        return Session(self)

    def reply(self, text: str) -> Reply:
        """Answer one message with no conversation around it."""
        return Session(self).send(text)


class Session:
    """One patient's conversation: the context follow-ups need, wiped on reset or when idle."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything this patient said."""
        self.last: Reply | None = None
        self._choices: tuple[str, ...] = ()
        self._options: tuple[str, ...] = ()      # intent ids behind a clarification's numbered options
        self._subject: str | None = None
        self._medicine: str | None = None
        self._crisis = False
        self._seen = self.bot.clock()

    @property
    def choices(self) -> tuple[str, ...]:
        """The questions the patient's numbers refer to now: the last reply's follow-ups or options, or a list offered."""
        return tuple(self.bot.question(o) for o in self._options) if self._options else self._choices

    @property
    def crisis(self) -> bool:
        """Whether a crisis or emergency was met, so help lines stay on every reply until reset."""
        return self._crisis

    def offer(self, questions: Sequence[str]) -> None:
        """Number these questions for the patient (a front end's welcome examples or topic list)."""
        with self._lock:
            self._choices, self._options = tuple(questions), ()

    def choice(self, text: str) -> tuple[int, str | None] | None:
        """What a number typed ("2", "#2", "the second one") refers to: (its number, the question, or None if
        out of range); None when the text is not a number at all."""
        key = re.sub(r"[^\w\s#]", "", text.casefold()).strip()
        key = re.sub(r"^(number|option|no)\s+", "", key)
        digits = NUMBER.fullmatch(key)
        index = int(digits.group(1)) - 1 if digits else ORDINALS.get(key)
        if index is None:
            return None
        listed = self.choices
        return index + 1, listed[index] if 0 <= index < len(listed) else None

    def touch(self) -> None:
        """Note that the patient is still there (a tap or key press), without sending anything."""
        with self._lock:
            if not self.expired:
                self._seen = self.bot.clock()

    @property
    def expired(self) -> bool:
        return self.bot.clock() - self._seen > self.bot.idle_timeout

    def send(self, text: Any) -> Reply:
        """The reply to one message. Never raises: any input gets a reply."""
        with self._lock:
            if self.expired:
                self.reset()
            self._seen = self.bot.clock()
            reply = self._turn(text)
            self.last = reply
            self._choices = reply.suggestions
            return reply

    # -- one turn --------------------------------------------------------------------------------------
    def _turn(self, raw: Any) -> Reply:
        bot, ui = self.bot, self.bot.content.ui
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
        notice = None
        limit = bot.settings.max_chars
        if len(text) > limit:
            text, notice = text[:limit], ui.truncated.format(limit=limit)
        text = clean(text.encode("utf-8", "replace").decode("utf-8"))[:limit]  # NFKC can lengthen it again
        number = self.choice(text) if self.choices else None
        options, self._options = self._options, ()
        if not text:
            return self._build("fallback", ui.empty, notice=notice, suggestions=bot.examples[:3])
        norm = bot.normalizer(text, sentences=True)  # once a turn: every stage below reads this
        finding = bot.safety.check_all(norm, medicine=self._medicine)
        if finding is not None:
            if norm.medicines:  # "can i drink on my cymbalta?" then "what about just one?" is still about cymbalta
                self._medicine = norm.medicines[0]
            return self._escalate(finding, notice)
        if number is not None:
            n, question = number
            if question is None:  # the list stays as it was, so the patient can choose again
                self._options = options
                return self._no_such_choice(n, notice)
            return self._answer(Match(bot.intent_of[question], 1.0, f"question {n} of the numbered list"),
                                text, norm, notice)
        picked = self._pick(norm, options)
        if picked is not None:
            return self._answer(Match(picked, 1.0, "chosen from the options by its words"), text, norm, notice)
        ranked = self._rank(text, norm)
        named = norm.medicines
        unknown = named and not any(bot.content.medicines[m].in_documents for m in named)
        if unknown and any(m.intent == "medication_info" for m in ranked[:2]):  # "what is savella?": say we don't know it
            return self._fallback(notice, ranked, text, norm)
        if not (named or self._medicine):  # "tell me about antidepressants" is not about one medicine
            ranked = [m for m in ranked if m.intent != "medication_info"]
        if not ranked or ranked[0].score < bot.answer_threshold or ranked[0].intent == OUT_OF_SCOPE:
            return self._fallback(notice, ranked, text, norm)
        top = ranked[0]
        if len(ranked) > 1 and ranked[1].score >= bot.clarify_floor and top.score - ranked[1].score < bot.clarify_margin:
            if ranked[1].intent == OUT_OF_SCOPE:  # as close to a question we can't answer: don't guess
                return self._fallback(notice, ranked, text, norm)
            return self._clarify(ranked[:2], notice)
        return self._answer(top, text, norm, notice)

    def _pick(self, norm: Normalized, options: tuple[str, ...]) -> str | None:
        """The option of a pending clarification these words fit best ("the depression one"), if one does."""
        if options:
            scores = {m.intent: m.score for m in self.bot.matcher.rank(norm, limit=10)}
            fits = sorted(options, key=lambda o: scores.get(o, 0.0), reverse=True)
            if scores.get(fits[0], 0.0) > 0 and scores.get(fits[0], 0.0) > scores.get(fits[1], 0.0):
                return fits[0]
        return None

    def _rank(self, text: str, norm: Normalized) -> list[Match]:
        """Rank the message alone and, if it looks like a follow-up, with the last medicine or subject filled in."""
        bot = self.bot
        ranked = bot.matcher.rank(norm)
        lowered = " ".join(text.casefold().split())  # text is already clean(): _turn did it
        if len(lowered.split()) > 10 or not (PRONOUNS.search(lowered) or FOLLOW_UP.match(lowered)):
            return ranked
        for subject in dict.fromkeys(s for s in (self._medicine, self._subject) if s):
            filled = PRONOUNS.sub(subject, lowered, count=1)
            if filled == lowered:
                filled = FOLLOW_UP.sub(subject, lowered, count=1)
            context = [Match(m.intent, min(1.0, m.score + bot.followup_bonus), m.example)
                       for m in bot.matcher.rank(filled)]
            if context and (not ranked or context[0].score > ranked[0].score):
                ranked = context
        return ranked

    def _answer(self, match: Match, text: str, norm: Normalized, notice: str | None) -> Reply:
        bot = self.bot
        answer = bot.content.answers[match.intent]
        intent = bot.content.intent(match.intent)
        body = answer.text
        meds = list(norm.medicines)
        if match.intent == "medication_info":
            known = [m for m in meds if bot.content.medicines[m].in_documents]
            name = known[0] if known else (None if meds else self._medicine)
            if name is None:
                return self._fallback(notice, [match], text, norm)
            body = self._medicine_text(name, text) + "\n\n" + answer.text
            meds = [name]
        elif match.intent in ("help", "sources"):
            body = answer.text + "\n\n" + (self._topic_list() if match.intent == "help" else self._source_list())
        if meds:
            self._medicine = meds[0]
        self._subject = meds[0] if match.intent == "medication_info" and meds else (intent.subject or self._subject)
        source = bot.content.sources.get(answer.source) if answer.source else None
        return self._build("answer", body, intent=match.intent, confidence=match.score, source=source,
                           suggestions=tuple(bot.question(s) for s in answer.suggestions), notice=notice,
                           rule=f"intent {match.intent} (score {match.score:.2f}, nearest example: {match.example!r})")

    def _brand_said(self, name: str, text: str) -> str | None:
        """The brand name of this medicine the patient typed, if they used one."""
        brands = self.bot.content.medicines[name].brands
        return next((b for b in brands if re.search(rf"\b{re.escape(b)}\b", text.casefold())), None)

    def _medicine_text(self, name: str, text: str) -> str:
        bot = self.bot
        cls = bot.content.classes[bot.content.medicines[name].cls]
        said = self._brand_said(name, text)
        opening = f"{said.title()} is a brand name of {name}. It" if said else name[0].upper() + name[1:]
        if cls.name.isupper():  # an abbreviation such as SNRI: say what it stands for
            return f"{opening} is {_article(cls.name)} {cls.name}, short for {cls.long}. {cls.about}"
        return f"{opening} is {_article(cls.long)} {cls.long}. {cls.about}"

    def _named(self, name: str, text: str) -> str:
        """A medicine as the patient wrote it, with its generic name: "Lexapro (escitalopram)"."""
        said = self._brand_said(name, text)
        return f"{said.title()} ({name})" if said else name

    def _no_such_choice(self, n: int, notice: str | None) -> Reply:
        listed = self.choices
        body = self.bot.content.ui.no_such_choice.format(number=n, count=len(listed))
        return self._build("clarify", body, suggestions=listed, notice=notice,
                           rule=f"no question {n} in the numbered list of {len(listed)}")

    def _clarify(self, top: list[Match], notice: str | None) -> Reply:
        bot = self.bot
        self._options = tuple(m.intent for m in top)
        questions = tuple(bot.question(m.intent) for m in top)
        numbered = "\n".join(f"{n}) {q}" for n, q in enumerate(questions, 1))
        body = bot.content.ui.clarify + "\n" + numbered
        return self._build("clarify", body, confidence=top[0].score, suggestions=questions, notice=notice,
                           rule=f"close scores: {top[0].intent} {top[0].score:.2f}, {top[1].intent} {top[1].score:.2f}")

    def _fallback(self, notice: str | None, ranked: list[Match], text: str, norm: Normalized) -> Reply:
        bot = self.bot
        best = f"best was {ranked[0].intent} at {ranked[0].score:.2f}" if ranked else "no intent shared a word"
        other = [m for m in norm.medicines if not bot.content.medicines[m].in_documents]
        # Naming the medicine we know nothing about tells the patient we read it, and why we can't help.
        intro = bot.content.ui.unknown_medicine.format(name=self._named(other[0], text)) if other \
            else bot.content.ui.fallback
        body = intro + "\n\n" + self._topic_list()
        return self._build("fallback", body, confidence=ranked[0].score if ranked else 0.0, notice=notice,
                           suggestions=bot.examples[:3], rule=f"below the answer threshold {bot.answer_threshold:.2f}: {best}")

    def _escalate(self, finding: Finding, notice: str | None) -> Reply:
        bot = self.bot
        replies = bot.content.safety
        overdose = finding.cls == "emergency" and finding.rule.id.startswith("emergency.overdose")
        key = "overdose" if overdose else finding.cls
        body = replies.replies[key].format(**bot.lines)
        if finding.cls in URGENT:
            self._crisis = True
        ids = finding.rule.suggest or replies.suggestions[finding.cls]
        return self._build("escalation", body, escalation=finding.cls, confidence=1.0, notice=notice,
                           suggestions=tuple(bot.question(i) for i in ids),
                           rule=f"safety rule {finding.rule.id}: {finding.rule.comment}")

    def _topic_list(self) -> str:
        return "\n".join(f"- {topic}" for topic in self.bot.topics if topic != "About this bot")

    def _source_list(self) -> str:
        return "\n".join(f"- {s.cited}" for s in self.bot.sources)

    def _build(self, kind: Kind, body: str, *, intent: str | None = None, escalation: Escalation | None = None,
               confidence: float = 0.0, source: Source | None = None, suggestions: tuple[str, ...] = (),
               notice: str | None = None, rule: str | None = None) -> Reply:
        bot = self.bot
        resources = bot.content.safety.replies["resources"].format(**bot.lines) \
            if self._crisis and escalation not in URGENT else None
        parts = [notice] if notice else []
        parts.append(body)
        if source is not None:
            parts.append(f"Source: {source.cited}")
        if resources:
            parts.append(resources)
        parts.append(bot.disclaimer)
        return Reply(text="\n\n".join(parts), body=body, disclaimer=bot.disclaimer, kind=kind, intent=intent,
                     escalation=escalation, confidence=round(max(0.0, min(1.0, confidence)), 4),
                     source=source.id if source else None, source_title=source.title if source else None,
                     suggestions=suggestions, rule=rule, resources=resources, notice=notice)


def _article(word: str) -> str:
    """ "an" before a vowel sound, including letters read aloud: an SNRI, a TCA."""
    if word.isupper():
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    return "an" if word[0].lower() in "aeiou" else "a"
