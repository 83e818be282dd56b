"""How a message is read in its conversation: short follow-ups, several questions at once, long stories.

The matcher scores one text against the intents; this decides which text to score. "what about yoga" is
read as "yoga" (and falls back, since the documents say nothing of yoga), "and for migraine?" and "why?" as
the last question asked again with those words, "how long does it take?" with the medicine named earlier,
a message with several questions as its first one (the others are offered), and a long story by its
question sentence rather than as a whole.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .matcher import OUT_OF_SCOPE, Match
from .normalize import Normalized

PRONOUNS = re.compile(r"\b(it|that|this|they|them|those|these|its|one|ones)\b")
WHAT_ABOUT = re.compile(r"^(?:and |so |but )?(?:what|how) about\b\s*")
ELLIPSIS = re.compile(r"^(?:and |but |also |so )?(?:for|in|with|during|on|if|after|before|and)\b\s*")
# A correction asks the last question again of what it names: "sorry i meant the other one, the amitriptyline".
CORRECTION = re.compile(r"^(?:(?:sorry|no|oh|oops|wait|um+|sorry no|no sorry|no wait)\s+)*i (?:meant|mean|was asking about)\b"
                        r"(?: the other one)?\s*")
_CLEAR = 0.3  # a message read alone this surely needs nothing from the turns before it (tuned on the folded sets)
# "and the psychodynamic one?", "what about the cbt one": a topic named before "one", which points at nothing else.
ONE_NAMED = re.compile(r"^(?:and |so |but |or )?(?:what about |how about )?(?:the |that |this )?"
                       r"([a-z][\w'-]*(?: [a-z][\w'-]*)?) ones?\W*$")
LEAD = re.compile(r"^([a-z][\w' -]*?)\s*[,.?!:;]+\s+\S")  # a few words, then a pause: "cbt, my mate did that"
WHY = re.compile(r"^(?:and |but |so )?(?:why|how come|why not|why is that|why so|but why|how so)\W*$")
QUESTION = re.compile(r"^(?:(?:anyway|anyways|so|and|but|also|btw|well|oh|ok so|okay so|last thing|last one|last question|"
                      r"one more thing|one more|quick question|quick q)\W+(?!where was i))?(?:what|whats|how|why|can|could|does|do|did|is|are|will|would|should|which|when|where|who|"
                      r"whos|tell me|explain|any|isnt|arent|dont|doesnt|i wonder|i was wondering|im wondering|might i|"
                      r"may i)\b")
# Where one sentence of a message ends: for reading a story by its sentences, and several questions one by one.
SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+|[;]\s*|:\s+(?=(?:what|how|why|can|does|do|is|are|will|would|should|which|"
                       r"where|when|who)\b)|,\s*(?:and\s+)?(?=(?:what|how|why|can|does|do|is|are|will|would|"
                       r"should|which|where|when|who)\b)|\s+and\s+(?=(?:how|why|what|can|will|does|is|where|when|which)\b)",
                       re.IGNORECASE)
LONG = 25  # words: a message this long or longer is read sentence by sentence
_SOCIAL = frozenset({"thanks", "greeting", "goodbye", "acknowledge", "apology"})  # manners, not a topic
_FOR_WHAT = re.compile(r"\bfor (?:my|his|her|the|their) (?:back|pain|nerve pain|nerves|migraines?|headaches?|ibs|gut|stomach|"
                       r"fibro|fibromyalgia|neck|knees?|hips?|legs?|feet|sciatica|arthritis)\b")  # what a medicine was given for
_SELF_CONTAINED = 3  # words: a question this long with no "it" or "that" can be read without the sentences around it
_GREETING_WORDS = 3  # a sentence this short in a long message ("Good afternoon.") is a greeting, not its question
# Words that put the writer's own life in a message: "my husband died in March", "I've been off work for months".
PERSONAL = frozenset("i im ive me my mine we our us he hes his him she shes her they their them mum mom dad son "
                     "daughter wife husband partner".split())
# A reaction to the last answer, not a question: "ok that makes me feel a bit less crazy", "fine. ill give it a go".
_REACTION = re.compile(r"^(?:ok|okay|k|kk|fine|right|cool|great|fair|huh|hm+|hmph|alright|sure|yeah|yes|ah|oh|wow|nice|"
                       r"good|interesting|gotcha|got it|understood|noted|whatever|thought so|at least|fair enough|makes sense|"
                       r"sound|well)\b")
# A whole message that declines what was offered or ends the topic: "no", "nah thats all", "maybe", "not really".
_DECLINED = re.compile(r"^(?:no|nah|nope|no thanks|no thank you|maybe|perhaps|not really|not now|not yet|maybe later|"
                       r"thats all|thats it|thats everything)(?:\W+(?:thats all|thats it|thats everything|for now|"
                       r"thanks|im good|im ok|im fine|all good|not really|later|then))*\W*$")
_ASKS = re.compile(r"\b(?:what|how|why|when|where|which|who)\b")
# A plan said without its "I": "ok, will ring the pain nurse monday" (but "will it ..." asks).
_PLANNED = re.compile(r"^\s*(?:will|shall)\s+(?!(?:it|i|they|he|she|you|that|this|there|we|these|those|my|the)\b)[a-z]")
# An asking verb before its subject mid-sentence: "ok. if I went to my GP would it end up on my work record".
_INVERTED = re.compile(r"\b(?:would|could|should) (?:it|i|they|he|she|you|that|this)\b|\b(?:will it|can they|can i)\b"
                       r"|\b(?:do i|do you|does it|am i|are you|will i|is this being|is any of this|anything i can)\b")
# A farewell at the end of a message that asks nothing: "ill ask the pharmacist about the sweating. bye".
_FAREWELL = re.compile(r"(?:^|[.,!;]\s*|\s)(?:bye|goodbye|good bye|bye for now|goodbye for now|cya|see ya|gotta go|got to go|take care|hwyl|hwyl fawr|ka kite|"
                       r"bye then|ok bye)\W*$")
# Leaving, said first: "gtg they just called me", "gotta go, bus is here".
_LEAVING = re.compile(r"^(?:gtg|g2g|ttyl|(?:gotta|got to|have to|need to) go)\b(?!\s+(?:to|and|back|on|off|for|in)\b)")
# Thanks at the start of a message that asks nothing: "Thanks, that's reassuring", "cheers pal".
_THANKS = re.compile(r"^(?:(?:ok|okay|sweet|great|brilliant|lovely|nice|cool|ah|oh|right|perfect|awesome)\W+)?"
                     r"(?:thanks|thank you|thank u|thankyou|thx|ty|cheers|ta|many thanks|much appreciated|diolch|medaase|chur)\b")  # "sweet, cheers"
# A question asked at the end without a question mark: "ok so if its not working in a few weeks what then".
_ASKED_LAST = re.compile(r"\b(?:(?:what|how|why) (?:then|now)|then what|or what|or not)\W*$")
_CLAUSES = re.compile(r"[.,!;:\n]+|\b(?:and|but|so|or|also|btw|plus)\b")
# "GP's given me Lustral for my mood, what actually is it", "gave me sertraline but idk what it is": a medicine
# named, and what it is asked, however much else the message says.
_WHAT_IS_IT = re.compile(r"\bwhat(?:'s|s)?(?: actually| exactly| even)?(?: is| are)? (?:it|that|this|they)\b"
                         r"(?! (?:like|doing|going|called|used to|do|does|did|mean|means|feels?|takes?|has|have)\b)"
                         r"|\bnever heard of (?:it|that|this|them)\b"
                         # "what kind of drug is that", "is that an antidepressant?": what the medicine named is.
                         r"|\bwhat (?:kind|type|sort) of (?:drug|medicine|medication|med|pill|tablet)s? (?:is|are) (?:it|that|this|they)\b"
                         r"|\bis (?:it|that|this) (?:an? |one of (?:these|those|the|your) )?(?:antidepressant|painkiller|pain killer|ssri|snri|tricyclic)s?\b")


def medicine_asked(words: Sequence[str], medicines: Sequence[str]) -> str | None:
    """ "quick q before my name's called, what is duloxetine", "so what is venlafaxine, that's what I've been given":
    the medicine the message asks what it is, wherever it does."""
    said = [w for w in words if w not in ("exactly", "actually", "even")]
    return next((said[n + 2] for n in range(len(said) - 2)
                 if said[n:n + 2] in (["what", "is"], ["what", "are"]) and said[n + 2] in medicines), None)


@dataclass(frozen=True)
class Context:
    """What the conversation so far says a short follow-up refers to."""

    medicine: str | None = None
    subject: str | None = None
    question: str | None = None  # the question of the last answer
    topic: str | None = None  # the intent of the last answer


@dataclass(frozen=True)
class Reading:
    """The intents a message fits best, the other questions it asked, and how it was read (for /why)."""

    ranked: list[Match]
    also: tuple[str, ...] = ()
    how: str = ""
    parts: list[str] = field(default_factory=list)


class Rank(Protocol):
    """A matcher's ranking of a message (bot/matcher.py's `Matcher.rank`)."""

    def __call__(self, text: str | Normalized, *, memo: dict[str, str] | None = None) -> list[Match]: ...


class Reader:
    """Reads a message in its conversation, with a matcher's `rank`."""

    def __init__(self, rank: Rank, *, threshold: float, bonus: float, topics: frozenset[str] = frozenset()) -> None:
        self.rank = rank
        self.threshold = threshold
        self.bonus = bonus
        self.topics = topics  # the intents that answer from the documents (not small talk)

    def read(self, text: str, norm: Normalized, context: Context) -> Reading:
        # The turn's readings (each question, the story, a follow-up filled in) share its words' corrections: a
        # fuzzy look-up is a third of a ranking. A reader of its own per turn, so threads never share one.
        memo: dict[str, str] = {}
        turn = Reader(functools.partial(self.rank, memo=memo), threshold=self.threshold, bonus=self.bonus,
                      topics=self.topics)
        return turn._read(text, norm, context)

    def _read(self, text: str, norm: Normalized, context: Context) -> Reading:
        lowered = " ".join(text.casefold().split())
        named = medicine_asked(norm.words, norm.medicines) if norm.medicines else None
        if norm.medicines and (named or _WHAT_IS_IT.search(lowered.replace("\u2019", "'"))):
            # "switched me from topiramate to nortriptyline. what is nortriptyline": the one asked about
            medicine = named or norm.medicines[0]
            return Reading(self._boosted(f"what is {medicine}"), how=f"what {medicine!r} is, asked of the medicine named")
        words = lowered.split()
        parts = [p.strip() for p in SENTENCES.split(text) if p and p.strip()]
        if len(parts) > 1:
            questions = [p for p in parts if p.rstrip().endswith("?") or QUESTION.match(p.casefold())]
            asked = self._several(questions)
            if asked is not None:
                return asked
            if len(words) >= LONG:
                return self._story(text, norm, parts, questions)
            question = questions[0].casefold() if len(questions) == 1 else ""
            plain = re.sub(r"[^\w\s']", " ", question).strip()
            if question and WHAT_ABOUT.match(plain):
                # "ok makes sense, ill tell them if i get any. what about how long it takes?": the follow-up is the point.
                return self._short(" ".join(question.split()), question, context)
            if question and PRONOUNS.search(question) and norm.medicines and not any(m in question for m in norm.medicines):
                # "im on citalopram for depression. does it help the back as well": "it" is the medicine the story named
                # (and what for: "Im on duloxetine for my back, what does it do exactly").
                purpose = _FOR_WHAT.search(lowered)
                question = PRONOUNS.sub(norm.medicines[0], question, count=1) + (f" {purpose.group(0)}" if purpose else "")
            if len(question.split()) >= _SELF_CONTAINED and not PRONOUNS.search(question):
                # "could the low mood be from the pain as well? ive been pretty down": the story's words must not
                # pull a question that stands on its own under the threshold.
                read = self._short(lowered, norm, context)
                alone = self.rank(question)
                best = read.ranked[0].score if read.ranked else 0.0
                if alone and alone[0].score >= self.threshold and (best < self.threshold or alone[0].score >= best + self.bonus):
                    return Reading(alone, how=f"the question {question[:60]!r}, without the rest")
                return read
        return self._short(lowered, norm, context)

    # -- one question ---------------------------------------------------------------------------------
    def _short(self, lowered: str, norm: Normalized | str, context: Context) -> Reading:
        plain = re.sub(r"[^\w\s']", " ", lowered).strip()
        if WHY.match(plain) and context.question:
            return Reading(self._boosted(f"why {context.question}"), how="a why about the last answer")
        about = WHAT_ABOUT.match(plain)
        if about:
            rest = plain[about.end():]
            # "what about yoga" is about yoga, whatever came before; so is "what about mindfulness, the leaflet said it".
            head = re.sub(r"[^\w\s']", " ", re.split(r"[,.;!?]", lowered, maxsplit=1)[0]).strip()
            first = head[about.end():].strip() if WHAT_ABOUT.match(head) else ""
            if first and first != rest and not PRONOUNS.search(first) and (alone := self.rank(first)) \
                    and alone[0].score >= self.threshold:
                return Reading(alone, how=f"what about: {first!r} read on its own")
            if rest and not PRONOUNS.search(rest):
                return Reading(self.rank(rest), how=f"what about: {rest!r} read on its own")
        ranked = self.rank(norm)
        if len(plain.split()) > 10:
            return Reading(ranked)
        best, how = ranked, ""
        corrected = CORRECTION.match(plain)
        if corrected and context.question and not about:
            rest = plain[corrected.end():]
            alone = self.rank(rest) if rest and not PRONOUNS.search(rest) else []
            if alone and alone[0].score >= self.threshold and alone[0].intent not in (OUT_OF_SCOPE, "medication_info"):
                return Reading(alone, how=f"a correction: {rest!r} read on its own")  # "no i meant the side effects"
            return Reading(self._boosted(f"{context.question} {rest}"), how="a correction: the last question asked again")
        ellipsis = ELLIPSIS.match(plain)
        if ellipsis and context.question and not about:  # "and for migraine?": the last question, for migraine
            rest = plain[ellipsis.end():]
            one = ONE_NAMED.match(rest)  # "and the psychodynamic one?" names psychodynamic
            rest = one.group(1) if one and not PRONOUNS.search(one.group(1)) else rest
            alone = self.rank(rest) if not PRONOUNS.search(rest) else []
            # "and CBT?" after psychodynamic therapy asks about CBT, as "what about CBT?" would; "and for migraine?"
            # after a question about pain, about migraine. But "and for duloxetine?" asks the same question again.
            if alone and alone[0].score >= self.threshold and alone[0].intent not in (OUT_OF_SCOPE, "medication_info"):
                return Reading(alone, how=f"{ellipsis.group(0).strip()}: {rest!r} read on its own")
            asked = self._boosted(f"{context.question} {rest}")
            if _better(asked, best) and not self._again(asked, ranked, context):
                best, how = asked, "the last question asked again with these words"
        if PRONOUNS.search(plain) or about:
            # "psychodynamic, whats that about": the word points at what the message begins with, not at the last topic.
            named = self._named_first(lowered)
            for subject in dict.fromkeys(s for s in ((named,) if named else (context.medicine, context.subject)) if s):
                filled = PRONOUNS.sub(subject, plain, count=1)
                if filled == plain and about:
                    filled = WHAT_ABOUT.sub(f"{subject} ", plain, count=1)
                asked = self._boosted(filled)
                # A medicine's answer is the answer to what it is ("what is venlafaxine", "is it an snri").
                # Read alone, a message that clearly asks about a topic of its own is about that topic, whatever its
                # "it" may point at ("my friend is on sertraline does it make u happy").
                clear = bool(ranked) and bool(asked) and ranked[0].score >= _CLEAR and ranked[0].intent != asked[0].intent
                if _better(asked, best) and not clear \
                        and (subject == context.medicine or not self._again(asked, ranked, context)):
                    best, how = asked, f"with {subject!r} for the word that points back"
        return Reading(best, how=how)

    def _again(self, asked: list[Match], alone: list[Match], context: Context) -> bool:
        """Whether a follow-up filled in from the last question only asks it again, where the message read alone
        asks about another topic ("psychodynamic sounds intense, what is it" after a list of therapies; "and if it
        doesnt help me?" after what amitriptyline is)."""
        return bool(asked) and asked[0].intent == context.topic and bool(alone) \
            and alone[0].intent != context.topic and alone[0].score >= self.threshold

    def _named_first(self, lowered: str) -> str | None:
        """The topic a message names in its first few words, before a pause ("cbt, my mate did that", "cbt he said.
        whats that") or before "one" ("and the psychodynamic one?"), if any."""
        lead = LEAD.match(lowered) or ONE_NAMED.match(re.sub(r"[^\w\s']", " ", lowered).strip())
        named = lead.group(1).strip() if lead else ""
        one = ONE_NAMED.match(named)  # "the interpersonal one, what is that"
        named = one.group(1) if one else named
        if not named or len(named.split()) > 8 or PRONOUNS.search(named):
            return None
        alone = self.rank(named)
        return named if alone and alone[0].score >= self.threshold and alone[0].intent in self.topics else None

    def _boosted(self, text: str) -> list[Match]:
        """A follow-up read with what it refers to, with the preference a follow-up gets."""
        return [Match(m.intent, min(1.0, m.score + self.bonus), m.example) for m in self.rank(text)]

    # -- several questions, or a long story -------------------------------------------------------------
    def _several(self, questions: list[str]) -> Reading | None:
        """Several questions in one message: the first one answered, the others offered."""
        if len(questions) < 2:
            return None
        found: list[tuple[str, list[Match]]] = []
        for question in questions:
            ranked = self.rank(question)
            # "ok. will talk to them. whats relaxation training": manners are no question of their own.
            if ranked and ranked[0].score >= self.threshold and ranked[0].intent != OUT_OF_SCOPE \
                    and ranked[0].intent not in _SOCIAL and all(ranked[0].intent != f[1][0].intent for f in found):
                found.append((question, ranked))
        if len(found) < 2:
            return None
        first = found[0][1]
        return Reading(first, also=tuple(r[0].intent for _, r in found[1:]),
                       how=f"the first of {len(found)} questions", parts=[q for q, _ in found])

    def _story(self, text: str, norm: Normalized, parts: list[str], questions: list[str]) -> Reading:
        """A long message: its question sentence (or its best one) rather than every word of the story."""
        whole = self.rank(norm)
        best: list[Match] = []
        chosen = ""
        candidates = questions or parts
        # "Good afternoon." or "Thanks." around a story is not its point.
        for part in [p for p in candidates if len(p.split()) > _GREETING_WORDS] or candidates:
            ranked = self.rank(part)
            if _better(ranked, best):
                best, chosen = ranked, part
        # "Thank you kindly. ... Would you be so good as to explain ...": the thanks is manners, the question the point.
        polite = bool(whole) and whole[0].intent in _SOCIAL and bool(questions)
        if best and (not whole or polite or best[0].score >= whole[0].score - self.bonus):
            return Reading(best, how=f"the sentence {chosen[:60]!r} of a long message")
        return Reading(whole, how="the whole of a long message")


def _better(a: list[Match], b: list[Match]) -> bool:
    return bool(a) and (not b or a[0].score > b[0].score)


def asks(text: str) -> bool:
    """Whether a message asks something: a question mark, or a clause that opens as a question does."""
    lowered, clauses = _clauses(text)
    return "?" in text or bool(_ASKED_LAST.search(lowered) or _INVERTED.search(lowered)) \
        or any(QUESTION.match(c) for c in clauses)


def statement(text: str) -> bool:
    """Whether a message tells something of the writer's life and asks nothing ("I feel useless, my wife does
    everything"). One that matches no topic is met with a short acknowledgement, not "I can't answer that"."""
    if "?" in text:
        return False
    _, clauses = _clauses(text)
    joined = " ".join(clauses)
    words = joined.split()
    if len(words) < 3 or any(QUESTION.match(c) for c in clauses) or _INVERTED.search(joined):
        return False
    return not PERSONAL.isdisjoint(words)


def reaction(text: str, *, most: int = 15) -> str | None:
    """ "goodbye" for a message that ends with a farewell and asks nothing; "thanks" for one that starts with thanks;
    "acknowledge" for a short reaction to the last answer that asks nothing ("ok the gut brain thing is kinda cool
    actually"); otherwise None."""
    lowered, clauses = _clauses(text)
    if "?" in lowered or not lowered:
        return None
    if _FAREWELL.search(lowered) or _LEAVING.match(lowered):
        return "goodbye"
    if any(QUESTION.match(c) and not _PLANNED.match(c) for c in clauses) or _ASKS.search(lowered) or _INVERTED.search(lowered) \
            or len(lowered.split()) > most:
        return None  # "ok so if its not working in a few weeks what then" asks
    if _THANKS.match(lowered):
        return "thanks"
    return "acknowledge" if _REACTION.match(lowered) or _DECLINED.match(lowered) else None


def _clauses(text: str) -> tuple[str, list[str]]:
    """The message lowercased without apostrophes, and its clauses as plain words (split at punctuation and at
    "and", "but", "so"...), for telling a statement or a reaction from a question."""
    lowered = text.casefold().replace("'", "").replace("\u2019", "").strip()
    return lowered, [" ".join(re.findall(r"[a-z0-9]+", part)) for part in _CLAUSES.split(lowered)]
