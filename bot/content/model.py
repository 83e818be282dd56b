"""Typed content: what `load_content` hands to the engines, every value frozen and checked.

Settings hold every default and threshold in one place; a content folder's intents/config.yaml
overrides them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..reply import Escalation

CONVERSATIONAL = frozenset({"greeting", "goodbye", "thanks", "help", "about_bot", "sources"})  # answers without a source


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str | None = None

    @property
    def cited(self) -> str:
        """How an answer names it: "Title (publisher)"."""
        return self.title + (f" ({self.publisher})" if self.publisher else "")


@dataclass(frozen=True)
class Intent:
    id: str
    topic: str
    question: str
    examples: tuple[str, ...]
    subject: str | None = None
    path: str = ""
    line: int = 0


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

    def placeholders(self) -> dict[str, str]:
        """What {crisis_line}, {emergency_number}, {poison_control}, {banner} and {name} fill with."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name != "key"}


REGION_KEYS = tuple(f.name for f in fields(Region) if f.name != "key")
SAFETY_REPLIES = ("clinician", "crisis", "emergency", "overdose", "resources")


@dataclass(frozen=True)
class SafetyReplies:
    """responses/safety.yaml: the default region, each region's lines, the reply templates and what to offer after."""

    default_region: str
    regions: Mapping[str, Region]
    replies: Mapping[str, str]
    suggestions: Mapping[Escalation, tuple[str, ...]]


# The rule language's special tokens; every other token of a phrase is a word as the rule's author wrote it.
GAP = ".."          # up to three words
NUMBER = "#"        # any number written in digits
CONTEXT = "<context>"  # the conversation named a medicine earlier; no typed word can equal it
Phrase = tuple[str, ...]


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
    weights: Weights = field(default_factory=Weights)
    max_chars: int = 1000           # the longest message the front ends accept
    idle_timeout: float = 120.0     # seconds without a message before a session forgets everything


MATCHER_KEYS = ("answer_threshold", "clarify_margin", "clarify_floor", "followup_bonus")
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
    rules: tuple[RuleSpec, ...] = field(repr=False)
    safety: SafetyReplies = field(repr=False)
    files: Mapping[str, Path] = field(repr=False, default_factory=dict)

    def intent(self, intent_id: str) -> Intent:
        return next(i for i in self.intents if i.id == intent_id)

    def aliases(self) -> dict[str, str]:
        """Every way of writing a medicine name -> its canonical generic name."""
        out: dict[str, str] = {}
        for med in self.medicines.values():
            for alias in (med.name, *med.brands, *med.misspellings):
                out[alias] = med.name
        return out
