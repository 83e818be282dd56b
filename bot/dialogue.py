"""Stage 4: turn a message into a Reply, keeping the context a conversation needs."""

from __future__ import annotations

import gc
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .content import Content, Region, Source, load_content
from .errors import ConfigError
from .language import detect
from .matcher import OUT_OF_SCOPE, Match, Matcher
from .normalize import Normalized, Normalizer, clean
from .reading import Context, Reader, asks, medicine_asked, reaction, statement
from .reply import HEARD, URGENT, Escalation, Kind, Reply
from .safety import Finding, Rule, Safety, example_words

# A greeting before a question is not what the message is about.
_GREETING = re.compile(r"\s*(?:hi+|hello|hey+|hiya|howdy|hola|morning|evening|good (?:morning|afternoon|evening)|g'?day|greetings)"
                       r"(?:\s+(?:there|all|everyone|mate|doc|bot|again))?\b(?!\s*\?)[\s,.!:;-]*", re.IGNORECASE)  # "Hello? Is anybody there?" greets

# An apology before a question is manners, not what the message is about: "sorry to bother you, I'm sure this is a
# silly question, but what exactly is an antidepressant?"
_SORRY = re.compile(r"\s*(?:so |really )?(?:sorry|apologies|excuse me|pardon me)(?: to (?:bother|trouble) you| for (?:bothering|"
                    r"asking|the trouble|going on))?[\s,.!:;-]*(?:(?:i'?m sure |i know )?(?:this|it)(?:'s| is| may be| might be)"
                    r" a (?:silly|stupid|dumb|daft) question[\s,.!:;-]*(?:but\s+)?)?(?:and\s+)?", re.IGNORECASE)

# Thanks before a question is manners too: "Thank you. Finally, might I ask whether these conversations are kept?"
_THANKED = re.compile(r"\s*(?:thanks|thank you|thank u|cheers|ta)(?: (?:so much|very much|again))?[\s,.!:;-]+", re.IGNORECASE)

# An acknowledgement before a question takes up the last answer; the question is the point: "hmm ok. i also get
# depressed a lot, is that linked", "k. examples?".
_ACKED = re.compile(r"\s*(?:(?:ok(?:ay)?|k+|hm+|right|alright|ah|oh|yeah|yep|cool|fine|sure|got it|i see|gotcha|"
                    r"fair enough|shoot|huh)[\s,.!:;-]+)+", re.IGNORECASE)

# Straight after the help lines, a statement no topic fits well ("she says they're old but they looked fresh", "some
# days I look at my box of tablets and think about it") is met with them again, not with a stray answer; a question
# ("what about therapy instead?") is answered.
_STAY = Rule("after_help_lines", "crisis", "straight after the help lines, a message no topic fits well is met with "
             "them again", (), frozenset(), (), 0, {})

# "2?" or "20?" straight after a medicine was named asks about that many of it: the prescriber's question (a crisis one
# after the help lines). A bare "2" still picks from a numbered list.
_NUMBER_ASKED = Rule("number_asked", "clinician", "a bare number asked after a medicine was named (\"2?\", \"20?\"), "
                     "about that many of it", (), frozenset(), (), 0, {}, reply="clinician_dose")
_NUMBER_ONLY = re.compile(r"\s*(?:just |only |like )?\d{1,4}\s*(?:then|of them|of those|tablets|pills)?\s*\?+\s*", re.IGNORECASE)

# The last answer asked for again in plainer words ("dumb it right down for me", "you can say with more easy words?",
# "neurotransmitter lost me"): its one-line version. Read on the normalised words ("don't" is "do not", "i'm" "i am"). A pointer or a few words only: "whats an antidepressant in plain
# english" is a question of its own.
_SIMPLER = re.compile(r"\b(?:(?:in )?(?:simpler|plainer|plain|simple|easier|easy) (?:english|words|terms)|simpler|more simply|simply put|plainer|(?:more )?easy words|dumb(?:ed)? (?:it|that|this) (?:right |all the way )?down|too (?:complicated|"
                      r"technical|confusing|wordy)|(?:that|you|it) lost me|lost me there|eli5|(?:like|as if) i am (?:five|5|\d{1,2}|a (?:kid|child))|(?:to|for) a (?:kid|child)|"
                      r"(?:explain|say|put) (?:it|that|this) (?:again )?(?:more )?(?:simply|simple|easier|plainly)|what do (?:you|u|ya) mean|"
                      r"(?:i )?do not (?:understand|get (?:it|that)|follow)|i am (?:lost|not a doctor))\b", re.IGNORECASE)
_OWN_QUESTION = re.compile(r"\b(?:how|why|when|which|who|where|what(?!(?:'?s| is| does) (?:that|this|it)\b))\b", re.IGNORECASE)
_NEW_SUBJECT = 4.0  # a word this rare (used by one or two topics) names a subject of its own
_POINTER = re.compile(r"\b(?:that|it|this|again|still|me|those|them|say|explain|put|tell|please)\b", re.IGNORECASE)

# Words that name no option: "the depression one", "i meant the one about therapy".
_FILLER = frozenset("the a an one that this it about with and or of for to is are can do does what how i me my mean "
                    "meant want wanted first second other question please yes no".split())
_TAKEN_BACK = "crisis.taken_back"  # the rule that meets "never mind, forget it" after a crisis with the help again
# Being on a medicine not named: "put me on one", "started her on an antidepressant", "I'm on a tricyclic".
_ON_ONE = re.compile(r"\b(?:put|started|start|got|prescribed|given|gave|switched)\s+(?:me|him|her|them|my \w+)\s+(?:on\s+)?"
                     r"(?:one|an?\s+(?:antidepressant|neuromodulator|ssri|snri|tca|tricyclic|preventer|preventative))\b"
                     r"|\bi(?:'m|m| am)\s+on\s+(?:one|an?\s+(?:antidepressant|neuromodulator|ssri|snri|tca|tricyclic))\b")
NUMBER = re.compile(r"#?\s*(\d{1,4})\s*[.)]?")  # "2", "#2", "2." or "2)": the second listed question
ORDINALS = {"one": 0, "first": 0, "the first": 0, "the first one": 0, "two": 1, "second": 1, "the second": 1,
            "the second one": 1, "three": 2, "third": 2, "the third": 2, "the third one": 2}


class Bot:
    """The content, compiled once, and the settings every session shares. Safe to share across threads.

    `content` is what the bot was built from, but for the safety rules as written (`content.rules.rules` is
    empty): they are compiled into `safety`, whose `rules` are the ones that run.
    """

    def __init__(self, content: Content | None = None, *, region: str | None = None,
                 idle_timeout: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.content = content if content is not None else load_content()
        self.settings = self.content.settings
        # One normaliser, shared: the message is read once a turn, and rules are read as messages are.
        self.normalizer = Normalizer(self.content.aliases(), self.content.synonyms, lexicon=self.content.drugs)
        examples = [e for i in self.content.intents for e in (i.question, *i.examples)]
        self.safety = Safety(self.content.rules, self.normalizer, example_words(examples), self.content.detector,
                             typical=examples)
        # The rules as written live on compiled in `safety`: their twenty thousand phrases are not kept twice.
        self.content = replace(self.content, rules=replace(self.content.rules, rules=()))
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
        # "I'm calling them now", "I won't act on it": said with no help lines before, only read so when sure.
        self.disclosures = frozenset(i.id for i in self.content.intents if Path(i.path).stem == "after_crisis")
        # The intents that answer from the documents (not small talk, not "I can't answer that").
        self.answer_intents = frozenset(i.id for i in self.content.intents if i.kind == "answer")
        self.reader = Reader(self.matcher.rank, threshold=self.answer_threshold, bonus=self.followup_bonus,
                             topics=self.answer_intents)
        # The compiled content is some hundreds of thousands of objects that live as long as the bot. Frozen,
        # Python's cycle collector stops walking them all on each full collection: a 10 ms pause in a turn.
        gc.freeze()

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
        """Topic name -> its questions, in content order, with the topics about the bot itself last.

        Listed are questions the bot answers: not an intent the documents leave unanswered (it gets an honest
        "who can tell you"), and not small talk whose "question" is not a question ("Hello", "Thank you").
        """
        listed: dict[str, list[str]] = {}
        social: dict[str, bool] = {}
        for intent in self.content.intents:
            if intent.kind == "unanswered" or not intent.question.rstrip().endswith("?"):
                continue
            listed.setdefault(intent.topic, []).append(intent.question)
            social[intent.topic] = social.get(intent.topic, True) and intent.kind == "social"
        ordered = sorted(listed, key=lambda topic: social[topic])  # stable: content order within each group
        return {topic: tuple(listed[topic]) for topic in ordered}

    @property
    def sources(self) -> tuple[Source, ...]:
        return tuple(self.content.sources.values())

    def in_documents(self, medicine: str) -> bool:
        """Whether the documents discuss this medicine (by its class), so "what is it?" can be answered."""
        known = self.content.medicines.get(medicine)
        return known is not None and known.in_documents

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
        self._topic: str | None = None  # the last answer from the documents: what "why?" and "and for migraine?" ask on
        self._medicine: str | None = None
        self._on_one = False  # the patient said they take a medicine without naming it ("my GP put me on one")
        self._crisis = False
        self._escalated: set[str] = set()  # the escalation classes this conversation has had a reply for
        self._other = False  # the last crisis or emergency was about someone else (a daughter, a friend)
        self._carried: frozenset[int] = frozenset()  # the safety rules' phrases said earlier that still hold
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
            if self.last is not None and reply.body == self.last.body:
                reply = self._again(reply)  # never the same text twice in a row
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
        # Safety reads the whole message (up to a cap far above any front end's); matching reads the first part.
        whole = clean(text[: bot.settings.safety_chars].encode("utf-8", "replace").decode("utf-8"))
        if len(text) > limit:
            notice = ui.truncated.format(limit=limit)
        text = whole[:limit]  # NFKC can lengthen it again
        # "2?" after a medicine was named asks about two of it, not for the second question in the list.
        number = self.choice(text) if self.choices and not (self._medicine and "?" in text) else None
        options, self._options = self._options, ()
        if not text:
            return self._build("fallback", ui.empty, notice=notice, suggestions=bot.examples[:3])
        read = bot.normalizer(whole, sentences=True)  # once a turn: safety reads all of it
        norm = read if whole == text else bot.normalizer(text, sentences=True)
        holds: set[int] = set()  # what this message says that holds for the turns after it: "I'm 12 weeks pregnant"
        # "my gi doc put me on one for ibs", then "do i have to take it with food": a medicine is in sight, unnamed.
        self._on_one = self._on_one or bool(_ON_ONE.search(whole.casefold()))
        in_sight = self._medicine or ("an unnamed medicine" if self._on_one else None)
        finding = bot.safety.check_all(read, medicine=in_sight, after_crisis=self._crisis, text=whole,
                                       after_emergency="emergency" in self._escalated, earlier=self._carried,
                                       after_clinician=self.last is not None and self.last.escalation == "clinician",
                                       holds=holds)
        self._carried |= holds
        # "i didnt want to die, i just wanted to sleep through it" straight after the emergency reply: the overdose is
        # still the emergency, so what they say of why is met with the emergency reply again, not the crisis one.
        if finding is not None and finding.escalation == "crisis" and self.last is not None \
                and self.last.escalation == "emergency":
            finding = _as_emergency(finding, reply="emergency_crisis")
        if read.medicines:  # "can i drink on my cymbalta?" then "what about just one?" is still about cymbalta
            self._medicine = read.medicines[0]
        language = detect(whole, bot.safety.known)
        if finding is not None and finding.escalation is not None:
            return self._met_after_crisis(finding, text, norm, notice) \
                or self._escalate(finding, notice, foreign=language is not None)
        urgent = self.last.escalation if self.last is not None and self.last.escalation in URGENT else None
        if language is not None and urgent:  # straight after the help lines they stay, in whatever language
            return self._stay(urgent, notice)
        if language is not None:
            return self._help_lines("language", notice, f"written in {language}; the bot answers only in English")
        if self._medicine and _NUMBER_ONLY.fullmatch(text):
            cls: Escalation = "crisis" if self._crisis else "clinician"
            return self._escalate(Finding(cls, replace(_NUMBER_ASKED, cls=cls)), notice)
        if finding is not None and urgent == "emergency" and finding.rule.cls in URGENT and asks(text):
            # Straight after the emergency reply, danger is not asked about in general ("is this that serotonin thing?",
            # "what is the emergency number here"): the emergency reply again.
            return self._escalate(_as_emergency(finding), notice)
        if finding is not None:  # danger asked about in general: the answer the documents give, with the help lines
            ranked = bot.reader.read(text, norm, self._context()).ranked
            # "an essay on suicide: what causes depression?"
            if ranked and ranked[0].score >= bot.settings.general_answer_threshold and ranked[0].intent in bot.answer_intents:
                return self._answer(ranked[0], text, norm, notice, help_lines=True,
                                    how=f"a general question (safety rule {finding.rule.id}), shown with the help lines")
            return self._help_lines("info", notice, f"safety rule {finding.rule.id} read as a general question")
        if number is not None:
            n, question = number
            if question is None:  # the list stays as it was, so the patient can choose again
                self._options = options
                return self._no_such_choice(n, notice)
            return self._answer(Match(bot.intent_of[question], 1.0, f"question {n} of the numbered list"),
                                text, norm, notice)
        picked = self._pick(text, norm, options)
        if picked is not None:
            return self._answer(Match(picked, 1.0, "chosen from the options by its words"), text, norm, notice)
        topic = self._topic
        if topic and not norm.medicines and len(norm.words) <= 12 and not _THANKED.match(text) \
                and _SIMPLER.search(norm.text) and (_POINTER.search(text) or len(norm.words) <= 4) \
                and self._asks_again(_SIMPLER.sub(" ", norm.text), topic):
            return self._simpler(topic, notice)
        said = reaction(text)
        met = Match(said or "", 1.0, f"{said}: a reaction that asks nothing")
        if said == "goodbye":  # a farewell that asks nothing: no topic to read
            return self._answer(met, text, norm, notice)
        greeted = _GREETING.match(text) or _SORRY.match(text) or _THANKED.match(text)
        rest = text[greeted.end():] if greeted else ""
        acked = None if greeted else _ACKED.match(text)
        if acked:  # "k. examples?": what follows the acknowledgement, however short, if it asks
            rest = text[acked.end():]
        if (len(rest.split()) >= 3 or acked) and rest and asks(rest):  # "hi there, what does it do"
            text, norm = rest, bot.normalizer(rest, sentences=True)
        reading = bot.reader.read(text, norm, self._context())
        ranked = [m for m in reading.ranked if self._crisis or m.intent not in bot.disclosures
                  or m.score >= bot.settings.disclosure_threshold]
        # "ok the gut brain thing is kinda cool": a reaction to the last answer is acknowledged, not read as that topic
        # again; unless a topic fits it well or it names a feeling, which has its own reply.
        # Thanks that asks nothing is thanks ("Thanks, that's reassuring"), unless it names a feeling too.
        feeling = any(m.intent.startswith("feeling_") and m.score >= bot.answer_threshold for m in ranked[:3])
        if said == "thanks" and not feeling or said == "acknowledge" and not feeling \
                and not (ranked and ranked[0].score >= bot.settings.reaction_threshold):
            return self._answer(met, text, norm, notice)
        if said == "thanks":  # "thanks. i feel so scared though": the feeling is met, not the thanks
            ranked = [m for m in ranked if m.intent != "thanks"]
        named = norm.medicines
        unknown = named and not any(bot.in_documents(m) for m in named)
        # "what is savella?", "is trazodone an antidepressant?": about a medicine the documents do not discuss
        about_it = any(m.intent == "medication_info" for m in ranked[:2]) or (
            bool(ranked) and ranked[0].intent.startswith(("antidepressant", "medication")))
        if unknown and about_it:
            return self._fallback(notice, ranked, text, norm)
        if not (named or self._medicine):  # "tell me about antidepressants" is not about one medicine
            ranked = [m for m in ranked if m.intent != "medication_info"]
        if urgent and not said and self._stays_with_help(text, ranked):
            return self._stay(urgent, notice)
        if not ranked or ranked[0].score < bot.answer_threshold or ranked[0].intent == OUT_OF_SCOPE:
            return self._fallback(notice, ranked, text, norm)
        top = ranked[0]
        # Two topics as close: asked about when both fit well, or when one or two words were all there was ("dose").
        # ("ok fair. thanks": thanks or an acknowledgement, either will do; no one needs asking which.)
        if len(ranked) > 1 and (ranked[1].score >= bot.clarify_floor or len(norm.words) <= 2) \
                and top.score - ranked[1].score < bot.clarify_margin and not self._both_social(top, ranked[1]):
            if ranked[1].intent == OUT_OF_SCOPE:  # as close to a question we can't answer: don't guess
                return self._fallback(notice, ranked, text, norm)
            return self._clarify(ranked[:2], notice)
        # As close, but too weak a fit to ask about: the answer, with the other topic first among the follow-ups.
        near = ranked[1].intent if len(ranked) > 1 and top.score - ranked[1].score < bot.clarify_margin \
            and ranked[1].intent in bot.answer_intents else None
        return self._answer(top, text, norm, notice, also=reading.also, how=reading.how, near=near)

    def _stays_with_help(self, text: str, ranked: list[Match]) -> bool:
        """Straight after the help lines: a message no topic fits well gets them again, a statement or a question about
        the help itself ("you really think it's that serious?"); "maybe I'll text one of those numbers" is met as the
        step it is (an after-crisis reply), and a question a topic answers is answered."""
        bot = self.bot
        top = ranked[0] if ranked else None
        fits = top is not None and top.score >= bot.answer_threshold
        if asks(text) and fits:
            return False
        if fits and top is not None and top.intent in bot.disclosures:
            return False
        return top is None or top.score < bot.settings.stay_threshold or top.intent == OUT_OF_SCOPE

    def _both_social(self, a: Match, b: Match) -> bool:
        intent = self.bot.content.intent
        return all(m.intent != OUT_OF_SCOPE and intent(m.intent).kind == "social" for m in (a, b))

    def _context(self) -> Context:
        # "hmm" then "why?": the why is about the last answer from the documents, not about the "ok" in between.
        answered = self.last is not None and self.last.kind == "answer"
        last = self._topic if answered else None
        # Straight after the help lines, "it" and "that" point at them, not at the topic before them.
        urgent = self.last is not None and self.last.escalation in URGENT
        return Context(self._medicine, None if urgent else self._subject, self.bot.question(last) if last else None,
                       last)

    def _pick(self, text: str, norm: Normalized, options: tuple[str, ...]) -> str | None:
        """The option of a pending clarification that a short reply names by its words ("the depression one").

        Anything longer is a question of its own, matched afresh: a clarification never traps the next message.
        """
        if not options or len(text.split()) > 6:
            return None
        said = set(norm.words) - _FILLER
        # Each option by the words only it has: "depression" names "Are migraines and depression connected?"
        # when the other option is "Can antidepressants help with migraines?".
        words = {o: set(self.bot.normalizer(self.bot.question(o)).words) - _FILLER for o in options}
        named = [o for o in options if said & (words[o] - set().union(*(words[p] for p in options if p != o)))]
        if len(named) == 1:
            return named[0]
        scores = {m.intent: m.score for m in self.bot.matcher.rank(norm, limit=10)}
        fits = sorted(options, key=lambda o: scores.get(o, 0.0), reverse=True)
        first, second = scores.get(fits[0], 0.0), scores.get(fits[1], 0.0)
        return fits[0] if first >= self.bot.answer_threshold and first > second + self.bot.clarify_margin else None

    def _answer(self, match: Match, text: str, norm: Normalized, notice: str | None, *,
                also: tuple[str, ...] = (), how: str = "", help_lines: bool = False, near: str | None = None) -> Reply:
        bot = self.bot
        answer = bot.content.answers[match.intent]
        intent = bot.content.intent(match.intent)
        body = answer.text
        meds = list(norm.medicines)
        if match.intent == "medication_info":
            known = [m for m in meds if bot.in_documents(m)]
            # "switched me from topiramate to nortriptyline. what is nortriptyline": the one asked about
            name = (medicine_asked(norm.words, known) or known[0]) if known else (None if meds else self._medicine)
            if name is None:
                return self._fallback(notice, [match], text, norm)
            body = self._medicine_text(name, text) + "\n\n" + answer.text
            meds = [name]
        elif match.intent in ("help", "sources"):
            body = answer.text + "\n\n" + (self._topic_list() if match.intent == "help" else self._source_list())
        elif self._crisis and match.intent in bot.content.safety.after_crisis:  # "thanks" is not "glad it helped"
            body = bot.content.safety.after_crisis[match.intent].format(**bot.lines)
        if meds:
            self._medicine = meds[0]
        self._subject = meds[0] if match.intent == "medication_info" and meds else (intent.subject or self._subject)
        if intent.kind == "answer":
            self._topic = match.intent
        source = bot.content.sources.get(answer.source) if answer.source else None
        # A question the documents don't answer gets an honest reply that names who can: a fallback, not an answer.
        kind: Kind = "fallback" if intent.kind == "unanswered" else "answer"
        short = answer.short if body == answer.text else None
        suggestions = tuple(bot.question(s) for s in answer.suggestions)
        if also:  # several questions at once: the others come first among the numbered follow-ups
            asked = tuple(bot.question(i) for i in also)
            # Each question ends in its own "?": "You also asked: What is CBT? How long does it take to work?"
            body += "\n\n" + bot.content.ui.also_asked.format(questions=" ".join(q if q[-1:] in "?.!" else q + "?"
                                                                                 for q in asked))
            suggestions = tuple(dict.fromkeys((*asked, *suggestions)))[:3]
        elif near and near != match.intent:
            suggestions = tuple(dict.fromkeys((bot.question(near), *suggestions)))[:3]
        reason = f"intent {match.intent} (score {match.score:.2f}, nearest example: {match.example!r})"
        return self._build(kind, body, intent=match.intent, confidence=match.score, source=source,
                           suggestions=suggestions, notice=notice, help_lines=answer.help_lines or help_lines,
                           short=short, rule=reason + (f"; read as {how}" if how else ""))

    def _asks_again(self, rest: str, topic: str) -> bool:
        """Whether the words beside "in plain english" ask about nothing but the last answer's topic ("neurotransmitter
        lost me" after how antidepressants work), not a new question ("how does it work, in plain terms?") or a new
        subject ("she'll titrate it, whats that in plain english": a word few topics use, and not this one)."""
        if _OWN_QUESTION.search(rest):
            return False
        matcher, intent = self.bot.matcher, self.bot.content.intent(topic)
        own = {t for text in (intent.question, *intent.examples) for t in matcher.tokens(text)}
        return all(t in own or matcher.rarity(t) < _NEW_SUBJECT for t in matcher.tokens(rest))

    def _simpler(self, topic: str, notice: str | None) -> Reply:
        """The last answer in its one line, asked for in plainer words (the same line again is met as a repeat)."""
        bot = self.bot
        answer = bot.content.answers[topic]
        line = answer.short or answer.text
        if topic == "medication_info" and self._medicine and bot.in_documents(self._medicine):
            # The medicine's own first lines ("Amitriptyline is a TCA, short for tricyclic antidepressant. TCAs are an
            # older group of antidepressants."): the template's short line names no medicine.
            line = ". ".join(self._medicine_text(self._medicine, "").split(". ")[:2]).rstrip(".") + "."
        source = bot.content.sources.get(answer.source) if answer.source else None
        return self._build("answer", line, intent=topic, confidence=1.0, source=source,
                           suggestions=tuple(bot.question(s) for s in answer.suggestions), notice=notice,
                           rule=f"intent {topic}, asked again in plainer words: its one-line answer")

    def _brand_said(self, name: str, text: str) -> str | None:
        """The brand name of this medicine the patient typed, if they used one."""
        medicine = self.bot.content.medicines.get(name)
        brands = medicine.brands if medicine else (b for b, g in self.bot.content.drugs.items() if g == name)
        lowered = text.casefold()
        return next((b for b in brands if _said(b, lowered)), None)

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
        other = [m for m in norm.medicines if not bot.in_documents(m)]
        if not other and statement(text):  # "my husband died in March and my pain is dreadful": heard, not refused
            again = self.last is not None and self.last.intent == HEARD
            fits = [m.intent for m in ranked if m.intent in bot.answer_intents]
            return self._build("fallback", bot.content.ui.heard_again if again else bot.content.ui.heard, intent=HEARD,
                               suggestions=tuple(bot.question(i) for i in fits[:3]) or bot.examples[:3], notice=notice,
                               rule=f"a statement that asks nothing, met with an acknowledgement ({best})")
        # Naming the medicine we know nothing about tells the patient we read it, and why we can't help.
        intro = bot.content.ui.unknown_medicine.format(name=self._named(other[0], text)) if other \
            else bot.content.ui.fallback
        body = intro + "\n\n" + self._topic_list()
        return self._build("fallback", body, confidence=ranked[0].score if ranked else 0.0, notice=notice,
                           suggestions=bot.examples[:3], rule=f"below the answer threshold {bot.answer_threshold:.2f}: {best}")

    def _escalate(self, finding: Finding, notice: str | None, *, foreign: bool = False) -> Reply:
        bot = self.bot
        replies = bot.content.safety
        cls = finding.escalation
        assert cls is not None
        overdose = cls == "emergency" and finding.rule.id.startswith("emergency.overdose")
        key: str = "overdose" if overdose else "crisis_other" if cls == "crisis" and finding.other else cls
        fitted = finding.rule.reply if finding.rule.reply and finding.rule.cls == cls else None
        # About someone else: the finding says so, its fitted reply is worded for a carer ("crisis_other_worried"), or
        # the help before was and this finding (the detector's, or a statement met again) does not say it is the patient.
        about_other = finding.other or "other" in (fitted or "").split("_") \
            or (self._other and finding.rule.id in ("detector", _STAY.id))
        if foreign and cls == "clinician":  # in another language: "I can only answer in English; ask your pharmacist"
            key = "language"
        elif fitted:  # fitted to the situation, when the class stands ("I'm not going to do anything" after a crisis)
            key = fitted
        elif cls in self._escalated and cls in URGENT and f"{cls}_again" in replies.replies:
            key = f"{cls}_again"  # the help was given already in this conversation: a short reply that meets it
            if about_other and f"{cls}_other_again" in replies.replies:
                key = f"{cls}_other_again"  # worded for the one who cares for them
        self._escalated.add(cls)
        if cls in URGENT:
            self._other = about_other
        body = replies.replies[key].format(**bot.lines)
        if cls in URGENT:
            self._crisis = True
        ids = finding.rule.suggest or replies.suggestions[cls]
        # Only what changed the outcome is named: "(other)" for someone else, not a "general" the rule keeps.
        said = [m for m in finding.modifiers if m == "other" or finding.rule.context.get(m, "keep") != "keep"]
        why = f" ({', '.join(said)})" if said else ""
        return self._build("escalation", body, escalation=cls, confidence=1.0, notice=notice,
                           suggestions=tuple(bot.question(i) for i in ids),
                           rule=f"safety rule {finding.rule.id}{why}: {finding.rule.comment}")

    def _stay(self, urgent: Escalation, notice: str | None) -> Reply:
        """Straight after the help lines, a message that is no question a topic fits: the help lines again, briefly."""
        return self._escalate(Finding(urgent, replace(_STAY, cls=urgent), other=self._other), notice)

    def _met_after_crisis(self, finding: Finding, text: str, norm: Normalized, notice: str | None) -> Reply | None:
        """After a crisis reply, a message the detector alone reads as crisis again but that an after-crisis answer
        fits ("don't tell my mum about this", "I'm calling them now") gets that answer, help lines and all: it is
        met, not answered with the crisis reply once more. So does a take-back that goes on to ask what a topic
        answers ("no not like that, I mean the therapy. will it be worth it?"). Any other rule's finding, or an
        emergency, is never set aside."""
        bot = self.bot
        after = bot.content.safety.after_crisis
        taken_back = finding.rule.id == _TAKEN_BACK and asks(text)
        if not (self._crisis and finding.escalation != "emergency" and (finding.rule.id == "detector" and after
                                                                       or taken_back)):
            return None
        ranked = bot.reader.read(text, norm, self._context()).ranked
        if not ranked or ranked[0].score < bot.answer_threshold:
            return None
        fits = ranked[0].intent in after or (taken_back and ranked[0].intent in bot.answer_intents)
        return self._answer(ranked[0], text, norm, notice) if fits else None

    def _again(self, reply: Reply) -> Reply:
        """The reply to a message that would get the same text as the one before: what to do next instead."""
        ui, replies = self.bot.content.ui, self.bot.content.safety.replies
        if reply.escalation is not None:
            body = replies[f"{reply.escalation}_again"].format(**self.bot.lines)
            if self.last is not None and body == self.last.body and f"{reply.escalation}_still" in replies:
                body = replies[f"{reply.escalation}_still"].format(**self.bot.lines)  # a third time: shorter still
        elif reply.kind == "answer" and reply.intent and self.bot.content.intent(reply.intent).kind == "social" \
                and (short := self.bot.content.answers[reply.intent].short) and short != reply.body:
            body = short  # "thank you" twice, or a feeling said again: met again briefly, not "my documents say"
        elif reply.kind == "answer":
            body = ui.repeat_answer
        else:
            body = ui.repeat_fallback + "\n\n" + self._topic_list()
        shown = reply.text.replace(reply.body, body, 1) if reply.body in reply.text else f"{body}\n\n{reply.text}"
        return replace(reply, body=body, text=shown, short=None, rule=f"{reply.rule}; said again")

    def _help_lines(self, key: str, notice: str | None, why: str) -> Reply:
        """A reply that answers nothing but gives the help lines: another language, or danger asked in general."""
        body = self.bot.content.safety.replies[key].format(**self.bot.lines)
        return self._build("fallback", body, notice=notice, suggestions=self.bot.examples[:3], rule=why)

    def _topic_list(self) -> str:
        return "\n".join(f"- {topic}" for topic in self.bot.topics if topic != "About this bot")

    def _source_list(self) -> str:
        return "\n".join(f"- {s.cited}" for s in self.bot.sources)

    def _build(self, kind: Kind, body: str, *, intent: str | None = None, escalation: Escalation | None = None,
               confidence: float = 0.0, source: Source | None = None, suggestions: tuple[str, ...] = (),
               notice: str | None = None, rule: str | None = None, help_lines: bool = False,
               short: str | None = None) -> Reply:
        bot = self.bot
        keep = (self._crisis and escalation not in URGENT) or help_lines  # after a crisis, or a reply to distress
        resources = bot.content.safety.replies["resources"].format(**bot.lines) if keep else None
        parts = [notice] if notice else []
        parts.append(body)
        if source is not None:
            parts.append(f"Source: {source.cited}")
        if resources:
            parts.append(resources)
        disclaimer = "" if escalation in URGENT else bot.disclaimer  # under help lines, it would only distract
        if disclaimer:
            parts.append(disclaimer)
        return Reply(text="\n\n".join(parts), body=body, disclaimer=disclaimer, kind=kind, intent=intent,
                     escalation=escalation, confidence=round(max(0.0, min(1.0, confidence)), 4),
                     source=source.id if source else None, source_title=source.title if source else None,
                     suggestions=suggestions, rule=rule, resources=resources, notice=notice, short=short)


def _as_emergency(finding: Finding, reply: str | None = None) -> Finding:
    """The finding met as the emergency told just before (with the reply made for what it says, if given)."""
    rule = replace(finding.rule, cls="emergency", reply=reply or finding.rule.reply)
    return replace(finding, cls="emergency", rule=rule)


def _said(name: str, text: str) -> bool:
    """Whether `name` is in the text as a word or words of its own ("zoloft", not the "zol" of "zoloft")."""
    at = text.find(name)
    while at >= 0:
        end = at + len(name)
        if (at == 0 or not _word_char(text[at - 1])) and (end == len(text) or not _word_char(text[end])):
            return True
        at = text.find(name, at + 1)
    return False


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _article(word: str) -> str:
    """ "an" before a vowel sound, including letters read aloud: an SNRI, a TCA."""
    if word.isupper():
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    return "an" if word[0].lower() in "aeiou" else "a"
