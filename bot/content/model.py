"""Typed content: what `load_content` hands to the engines, every value frozen and checked.

Settings hold every default and threshold in one place; a content folder's intents/config.yaml
overrides them.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..reply import ESCALATIONS, Escalation

# What an intent is: answered from a document; about the conversation or the bot itself (no document); or a
# question the documents do not answer, which gets an honest reply naming who can (a fallback, no document).
INTENT_KINDS = ("answer", "social", "unanswered")


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str | None = None
    kind: str | None = None   # what sort of document it is: "an overview written for clinicians"
    note: str | None = None   # what a reader should know about it: "marked as pending human review"
    file: str | None = None   # the document's file name, where reviewers keep the documents (lint --sources)

    @property
    def cited(self) -> str:
        """How an answer names it: "Title (publisher, what it is)"."""
        about = ", ".join(p for p in (self.publisher, self.kind) if p)
        return self.title + (f" ({about})" if about else "")


@dataclass(frozen=True)
class Intent:
    id: str
    topic: str
    question: str
    examples: tuple[str, ...]
    subject: str | None = None
    path: str = ""
    line: int = 0
    kind: str = "answer"  # one of INTENT_KINDS


@dataclass(frozen=True)
class Answer:
    intent: str
    source: str | None
    text: str
    short: str | None
    suggestions: tuple[str, ...]
    reviewed_by: str
    reviewed_on: dt.date
    path: str = ""
    line: int = 0
    help_lines: bool = False  # show the region's crisis line with it (replies to distress)
    # A few words of the source where each fact rests ("other-source: words" for another document's): the
    # sign-off sheet shows the passages around them, and lint --sources warns when one cannot be found.
    passages: tuple[str, ...] = ()


@dataclass(frozen=True)
class MedicineClass:
    key: str
    name: str
    long: str
    about: str
    source: str | None


@dataclass(frozen=True)
class Medicine:
    name: str
    cls: str
    brands: tuple[str, ...]
    misspellings: tuple[str, ...]
    in_documents: bool


@dataclass(frozen=True)
class Region:
    """One region's help lines, as the reply templates use them."""

    key: str
    name: str
    crisis_line: str
    emergency_number: str
    poison_control: str
    banner: str
    other_languages: str  # a line for those who need another language or cannot talk ("En español: ...")

    def placeholders(self) -> dict[str, str]:
        """What {crisis_line}, {emergency_number}, {poison_control}, {banner}, {name} and {other_languages} fill with."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name != "key"}


REGION_KEYS = tuple(f.name for f in fields(Region) if f.name != "key")
SAFETY_REPLIES = ("clinician", "crisis", "crisis_other", "emergency", "overdose", "info", "language", "resources")
# Replies fitted to a situation ("clinician_mix") are optional: a rule that names one uses it, else its class's.


@dataclass(frozen=True)
class SafetyReplies:
    """responses/safety.yaml: the default region, each region's lines, the reply templates and what to offer after."""

    default_region: str
    regions: Mapping[str, Region]
    replies: Mapping[str, str]
    suggestions: Mapping[Escalation, tuple[str, ...]]
    # What an answer says instead once the conversation has had a crisis or emergency reply: "thanks" is not
    # "glad that helped", "is this private?" is answered with the crisis line's confidentiality too.
    after_crisis: Mapping[str, str] = field(default_factory=dict)


# The rule language's special tokens; every other token of a phrase is a word as the rule's author wrote it.
GAP = ".."          # up to three words
NUMBER = "#"        # any number written in digits; "#6+" a number of 6 or more
CONTEXT = "<context>"  # the conversation named a medicine earlier; no typed word can equal it
AFTER_CRISIS = "<after-crisis>"  # the conversation has had a crisis or emergency reply
AFTER_EMERGENCY = "<after-emergency>"  # the conversation has had an emergency reply
AFTER_CLINICIAN = "<after-clinician>"  # the reply just before was the clinician's ("for a 15 yo?" follows it)
MEDICINE = "<medicine>"  # any medicine the lexicon knows, by any of its names
SPECIAL = (CONTEXT, AFTER_CRISIS, AFTER_EMERGENCY, AFTER_CLINICIAN, MEDICINE)
Phrase = tuple[str, ...]

# What the words around a rule's words can tell (NegEx/ConText): denied, long past, long past and by accident
# ("when I was 3 I ate some of my nan's pills"), asked in general, someone else.
MODIFIERS = ("negated", "accidental", "past", "general", "other")
# What a modifier does to the rule's finding: nothing, no escalation, a general answer with help lines, or another class.
OUTCOMES = ("keep", "drop", "info", *ESCALATIONS)
# carry: named in one sentence, it holds for the rest of the message ("my sertraline. can i stop?");
# carry_turns: named in one message, it holds for the rest of the conversation ("I'm 12 weeks pregnant");
# in_sight: words that put a medicine in sight for "it" and "them" (the `carry` phrases when not given);
# use_statement: saying which medicine one takes ("I take Cymbalta for my neuropathy"), which alone asks nothing;
# what_is: asking what a medicine is ("what even is nortriptyline"), which the detector alone does not make a decision;
# past_unless_now: a time long past only when no `now` word is in the sentence ("at school" but not "at school today").
CUES = ("negation", "past", "accident", "general", "study", "other", "first_person", "carry", "carry_turns", "pronouns",
        "use_statement", "in_sight", "what_is", "past_unless_now", "now", "everyday")


@dataclass(frozen=True)
class RuleSpec:
    """One reviewed escalation rule as written: every group needs a phrase present, no `unless` phrase may be."""

    id: str
    cls: Escalation
    comment: str
    groups: tuple[tuple[Phrase, ...], ...]
    unless: tuple[Phrase, ...]
    suggest: tuple[str, ...]
    line: int
    context: Mapping[str, str] = field(default_factory=dict)  # modifier -> outcome; the class's defaults filled in
    max_words: int = 0  # when above 0, the rule reads only messages this short ("dose?", "and with beer?")
    within: int = 0  # when above 0, the groups' phrases must all be this few words apart ("took 30 of them")
    personal: bool = False  # words usually asked about in general: only someone's own happening escalates
    confirm: bool = False  # a broad rule: it escalates only when the statistical detector sees danger too
    asked: bool = False  # it reads an asking ("when should I take it"): a statement of what one takes does not meet it
    reply: str | None = None  # the reply of responses/safety.yaml fitted to the situation ("clinician_mix")
    text: tuple[str, ...] = ()  # for scripts written without spaces: pieces of text found anywhere in the message


@dataclass(frozen=True)
class SafetyRules:
    """intents/safety.yaml: the rules, and the cue phrases the engine reads around a rule's words."""

    rules: tuple[RuleSpec, ...]
    cues: Mapping[str, tuple[Phrase, ...]]
    digest: str = field(default="", compare=False)  # of the file they were read from; "" is never cached


LABELS = ("none", "clinician", "crisis", "emergency")  # what the statistical detector tells apart
BUCKETS = 1 << 20  # the detector's feature hashing: a feature's number is its crc32 modulo this


@dataclass(frozen=True)
class DetectorWeights:
    """intents/detector.tsv: the detector's weights per feature and label, its bias, and the thresholds
    chosen on development data ("alone.crisis": that probability escalates with no rule...).

    Kept as two flat arrays, no Python object per feature: a dictionary of sixty thousand tuples would be a
    third of the bot's memory. `features` holds the numbers of the features that have weights, sorted, so a
    feature's row is found by bisection (a C call, well under a microsecond); a place for every possible feature
    number was found with one look, but took 2 MB, a thirtieth of the memory budget, for 60,000 features.
    """

    features: array[int]   # the sorted numbers of the features with weights; the n-th is row n of `values`
    values: array[float]   # len(LABELS) weights a row
    bias: tuple[float, ...]
    thresholds: Mapping[str, float]
    plain: frozenset[str] = frozenset()  # words read without letter groups, as when it was trained
    # The safety rules' words as they were when it was trained ("reads-base", "reads-exact"...: bot/lexicon.py), so
    # that it goes on reading messages as it learnt to, whatever words the rules gain since.
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Weights:
    """How the matcher blends its signals (bot/matcher.py explains each)."""

    evidence: float = 0.8           # below this much word weight ("what is it" alone) no intent is guessed
    centroid: float = 0.6
    oov: float = 2.0
    fuzz: float = 0.35
    bayes: float = 0.5
    bayes_temperature: float = 3.0
    bayes_alpha: float = 0.05


@dataclass(frozen=True)
class Settings:
    """Every threshold and default, chosen with the held-out evaluation; intents/config.yaml overrides them."""

    answer_threshold: float = 0.12  # below this top score: fallback, never a guess
    clarify_margin: float = 0.02    # top two closer than this (and both above clarify_floor): ask which
    clarify_floor: float = 0.12
    followup_bonus: float = 0.02    # preference for reading a short follow-up against the last subject
    # Danger asked about in general is answered from the documents only this surely ("an essay on suicide:
    # what causes depression?"); less sure, it gets the honest short reply with the help lines.
    general_answer_threshold: float = 0.2
    # The replies to what is said after the help lines ("calling them now", "I won't act on it") are given with no
    # crisis before them only this surely: "do i take it every day even when i don't have a headache" is no disclosure.
    disclosure_threshold: float = 0.3
    # A short reaction to the last answer ("ok that makes me feel a bit less crazy") is acknowledged unless a topic
    # fits it this well ("ok. my doctor put me on amitriptyline but I'm not depressed").
    reaction_threshold: float = 0.35
    # Straight after crisis or emergency help lines, a message no topic fits this well gets them again, briefly.
    stay_threshold: float = 0.3
    weights: Weights = field(default_factory=Weights)
    max_chars: int = 1000           # the longest message the front ends accept, and what matching reads
    safety_chars: int = 20000       # what the safety check reads of a message, always all a front end sends
    idle_timeout: float = 120.0     # seconds without a message before a session forgets everything


MATCHER_KEYS = ("answer_threshold", "clarify_margin", "clarify_floor", "followup_bonus", "general_answer_threshold",
                "disclosure_threshold", "reaction_threshold", "stay_threshold")
WEIGHT_KEYS = tuple(f.name for f in fields(Weights))


@dataclass(frozen=True)
class UI:
    """responses/ui.yaml: the words every front end shows around the answers."""

    welcome: str
    disclaimer: str
    fallback: str
    clarify: str
    unknown_medicine: str
    truncated: str
    empty: str
    no_such_choice: str        # {number} typed, {count} questions listed
    also_asked: str            # several questions at once: {questions} are offered as follow-ups
    repeat_answer: str         # instead of the same answer twice in a row
    repeat_fallback: str       # instead of the same "I can't answer that" twice in a row
    heard: str                 # a statement of the patient's own life that matches no topic ("my wife died in March")
    heard_again: str           # the same, straight after one
    examples: tuple[str, ...]  # the example intents' questions


UI_KEYS = tuple(f.name for f in fields(UI))


@dataclass(frozen=True)
class Content:
    """Everything the bot knows, validated. Build it with `load_content`."""

    path: Path
    intents: tuple[Intent, ...]
    answers: Mapping[str, Answer]
    sources: Mapping[str, Source]
    classes: Mapping[str, MedicineClass]
    medicines: Mapping[str, Medicine]
    synonyms: Mapping[str, str]
    out_of_scope: tuple[str, ...]
    settings: Settings
    ui: UI
    rules: SafetyRules = field(repr=False)
    safety: SafetyReplies = field(repr=False)
    files: Mapping[str, Path] = field(repr=False, default_factory=dict)
    drugs: Mapping[str, str] = field(repr=False, default_factory=dict)  # intents/drugs.tsv: any name -> generic
    detector: DetectorWeights | None = field(repr=False, default=None)  # intents/detector.tsv, when trained

    def intent(self, intent_id: str) -> Intent:
        return next(i for i in self.intents if i.id == intent_id)

    def sourced(self, intent_id: str) -> bool:
        """Whether the intent's answer comes from a document (not talk about the bot, not an honest "I can't")."""
        return self.intent(intent_id).kind == "answer"

    def aliases(self) -> dict[str, str]:
        """Every way of writing a medicine name -> its canonical generic name."""
        out: dict[str, str] = {}
        for med in self.medicines.values():
            for alias in (med.name, *med.brands, *med.misspellings):
                out[alias] = med.name
        return out


# Every dataclass a Content holds, by name: the start-up cache rebuilds them (bot/cache.py).
TYPES: dict[str, type] = {cls.__name__: cls for cls in (
    Source, Intent, Answer, MedicineClass, Medicine, Region, SafetyReplies, RuleSpec, SafetyRules, DetectorWeights,
    Weights, Settings, UI, Content)}
