"""Stage 2: escalation. Runs before matching on every turn; what it finds always wins.

Rules are data (intents/safety.yaml). A rule fires when, in one sentence of the message,
each of its groups has a phrase present. Phrases are words; `word*` matches a prefix and
`..` skips up to three words. Key words tolerate a typo (rapidfuzz), and medicine names,
brands and misspellings arrive already canonical from the normaliser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from .errors import ContentError
from .normalize import Normalizer, words
from .reply import Escalation
from .yamlfile import LineDict, LineList

if TYPE_CHECKING:
    from .content import Content

CLASSES: tuple[Escalation, ...] = ("emergency", "crisis", "clinician")  # strongest first
GAP = ".."
_SENTENCE = re.compile(r"[.!?;\n]+|\s(?:but|also|and also|plus)\s", re.IGNORECASE)

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    cls: Escalation
    comment: str
    groups: tuple[tuple[Phrase, ...], ...]
    unless: tuple[Phrase, ...]
    suggest: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Finding:
    """Which rule fired, and its class."""

    cls: Escalation
    rule: Rule


def _phrase_at(words: Sequence[str], start: int, phrase: Phrase) -> bool:
    if not phrase:
        return True
    head, rest = phrase[0], phrase[1:]
    if head == GAP:
        return any(_phrase_at(words, start + skip, rest) for skip in range(0, 4))
    if start >= len(words):
        return False
    word = words[start]
    ok = word.startswith(head[:-1]) if head.endswith("*") else word == head
    return ok and _phrase_at(words, start + 1, rest)


def has_phrase(words: Sequence[str], phrase: Phrase) -> bool:
    """Whether the phrase occurs anywhere in the words."""
    return any(_phrase_at(words, i, phrase) for i in range(len(words)))


class Safety:
    """The compiled rules and the region's reply texts."""

    def __init__(self, rules: Sequence[Rule], replies: Mapping[str, Any], normalizer: Normalizer) -> None:
        self.rules = tuple(sorted(rules, key=lambda r: CLASSES.index(r.cls)))
        self.replies = replies
        self.normalizer = normalizer
        vocab = {w for r in self.rules for g in (*r.groups, r.unless) for p in g for w in p}
        self._keywords = sorted(w for w in vocab if len(w) >= 5 and w.isalpha())
        self._exact = frozenset(vocab)

    @classmethod
    def from_content(cls, content: Content) -> Safety:
        normalizer = Normalizer(content.aliases(), content.synonyms)
        path = content.files["intents/safety.yaml"]
        rules = compile_rules(content.safety_rules, path, content, normalizer)
        replies = check_replies(content.safety_replies, content.files["responses/safety.yaml"], content)
        return cls(rules, replies, normalizer)

    def check(self, text: str) -> Finding | None:
        """The strongest escalation the message calls for, or None."""
        for sentence in [text, *_SENTENCE.split(text)]:
            words = [self._keyword(w) for w in self.normalizer(sentence).words]
            for rule in self.rules:
                if self._fires(rule, words):
                    return Finding(rule.cls, rule)
        return None

    def check_all(self, text: str, *, medicine: str | None = None) -> Finding | None:
        """The strongest escalation the message calls for, or None.

        `medicine` is the medicine the conversation last named, so that a follow-up such as
        "what about with a beer?" is read as being about it.
        """
        found = [f for f in (self._check_sentence(s) for s in [text, *_SENTENCE.split(text)]) if f]
        return min(found, key=lambda f: CLASSES.index(f.cls)) if found else None

    def _check_sentence(self, sentence: str) -> Finding | None:
        words = [self._keyword(w) for w in self.normalizer(sentence).words]
        for rule in self.rules:
            if self._fires(rule, words):
                return Finding(rule.cls, rule)
        return None

    @staticmethod
    def _fires(rule: Rule, words: Sequence[str]) -> bool:
        if not all(any(has_phrase(words, p) for p in group) for group in rule.groups):
            return False
        return not any(has_phrase(words, p) for p in rule.unless)

    @lru_cache(maxsize=8192)
    def _keyword(self, word: str) -> str:
        """A misspelt key word ("tapper", "overdosed") read as the rule word it is closest to."""
        if word in self._exact or len(word) < 5 or not word.isalpha():
            return word
        best = process.extractOne(word, self._keywords, scorer=fuzz.ratio, score_cutoff=85)
        return best[0] if best and best[0][0] == word[0] else word


# -- loading --------------------------------------------------------------------------------------

def _phrases(value: Any, lists: Mapping[str, tuple[Phrase, ...]], path: Path, line: int,
             normalizer: Normalizer) -> tuple[Phrase, ...]:
    if not isinstance(value, list) or not value:
        raise ContentError("a group must be a non-empty list of phrases or @list names", path=path, line=line)
    out: list[Phrase] = []
    for item, item_line in zip(value, getattr(value, "lines", [line] * len(value))):
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)  # a bare number in a YAML list is still a word to match
        if isinstance(item, bool):
            raise ContentError("a phrase read as true/false: YAML takes bare on, off, yes and no as booleans; "
                               "put the word in quotes", path=path, line=item_line)
        if not isinstance(item, str) or not item.strip():
            raise ContentError("a phrase must be text", path=path, line=item_line)
        if item == "@medicine":
            out.extend((m.replace(" ", "_"),) for m in sorted(normalizer.canonical))
        elif item.startswith("@"):
            if item[1:] not in lists:
                raise ContentError(f"unknown list {item!r}; define it under 'lists:'", path=path, line=item_line)
            out.extend(lists[item[1:]])
        else:
            phrase = _compile_phrase(item, normalizer)
            if not phrase or phrase[0] == GAP or phrase[-1] == GAP:
                raise ContentError(f"phrase {item!r} has no words (or starts or ends with '..')", path=path, line=item_line)
            out.append(phrase)
    return tuple(out)


def _compile_phrase(item: str, normalizer: Normalizer) -> Phrase:
    """'come off', 'taper*' (a prefix) or 'took .. pills' (up to three words between).

    Plain words go through the same synonyms and medicine names as messages do, so a rule
    written with "meds" or "zoloft" still matches.
    """
    out: list[str] = []
    plain: list[str] = []
    for token in [*item.split(), GAP]:
        if token == GAP or token.endswith("*"):
            if plain:
                out.extend(normalizer(" ".join(plain)).words)
                plain = []
            if token.endswith("*"):
                stem = words(token[:-1])
                out.extend([*stem[:-1], stem[-1] + "*"] if stem else [])
            else:
                out.append(GAP)
        else:
            plain.append(token)
    return tuple(out[:-1])


def compile_rules(data: LineDict, path: Path, content: Content, normalizer: Normalizer) -> list[Rule]:
    """Check intents/safety.yaml and turn it into rules; ContentError names the line of any problem."""
    from .content import fields, items
    fields(data, path, required=("lists", "rules"), what="safety.yaml")
    lists: dict[str, tuple[Phrase, ...]] = {}
    raw_lists = data["lists"]
    if not isinstance(raw_lists, LineDict):
        raise ContentError("'lists' must map names to lists of phrases", path=path, line=data.lines["lists"])
    for name, value in raw_lists.items():
        lists[name] = _phrases(value, lists, path, raw_lists.lines[name], normalizer)
    intent_ids = {i.id for i in content.intents}
    rules: list[Rule] = []
    seen: set[str] = set()
    for entry in items(data, "rules", path, what="safety.yaml"):
        entry = fields(entry, path, required=("id", "class", "comment"), optional=("any", "all", "unless", "suggest"),
                       what="a rule")
        rid = str(entry["id"])
        if rid in seen:
            raise ContentError(f"duplicate rule id {rid!r}", path=path, line=entry.line)
        seen.add(rid)
        if entry["class"] not in CLASSES:
            raise ContentError(f"class must be one of {', '.join(CLASSES)}", path=path, line=entry.lines["class"])
        if ("any" in entry) == ("all" in entry):
            raise ContentError("a rule needs exactly one of 'any' (one group) or 'all' (several groups)",
                               path=path, line=entry.line)
        if "any" in entry:
            groups = (_phrases(entry["any"], lists, path, entry.lines["any"], normalizer),)
        else:
            raw = entry["all"]
            if not isinstance(raw, LineList) or not raw:
                raise ContentError("'all' must be a list of groups", path=path, line=entry.lines["all"])
            groups = tuple(_phrases(g if isinstance(g, list) else [g], lists, path, ln, normalizer)
                           for g, ln in zip(raw, raw.lines))
        unless: tuple[Phrase, ...] = ()
        if "unless" in entry:
            if entry["class"] == "crisis":
                raise ContentError("a crisis rule cannot have 'unless': negation never removes a crisis escalation",
                                   path=path, line=entry.lines["unless"])
            unless = _phrases(entry["unless"], lists, path, entry.lines["unless"], normalizer)
        suggest = tuple(entry.get("suggest") or ())
        for sid in suggest:
            if sid not in intent_ids:
                raise ContentError(f"suggested intent {sid!r} does not exist", path=path, line=entry.lines["suggest"])
        rules.append(Rule(rid, entry["class"], str(entry["comment"]), groups, unless, suggest, entry.line))
    for cls in CLASSES:
        if not any(r.cls == cls for r in rules):
            raise ContentError(f"no rule for class {cls!r}; the bot must be able to escalate to it", path=path)
    return rules


def check_replies(data: LineDict, path: Path, content: Content) -> dict[str, Any]:
    """Check responses/safety.yaml: a default region, each region's numbers, and reply templates that fill."""
    from .content import fields, text
    fields(data, path, required=("region", "regions", "replies", "suggestions"), what="safety.yaml")
    regions = data["regions"]
    if not isinstance(regions, LineDict) or data["region"] not in regions:
        raise ContentError(f"region {data['region']!r} is not defined under 'regions'", path=path, line=data.lines["region"])
    keys = ("name", "crisis_line", "emergency_number", "poison_control", "banner")
    for name, region in regions.items():
        fields(region, path, required=keys, what=f"region {name!r}")
    replies = fields(data["replies"], path, required=("clinician", "crisis", "emergency", "overdose", "resources"),
                     what="replies")
    for name, template in replies.items():
        for region_name, region in regions.items():
            try:
                str(template).format(**region)
            except (KeyError, IndexError, ValueError) as exc:
                raise ContentError(f"reply {name!r} does not fill for region {region_name!r}: {exc}",
                                   path=path, line=replies.lines[name]) from None
        text(replies, name, path)
    suggestions = fields(data["suggestions"], path, required=CLASSES, what="suggestions")
    ids = {i.id for i in content.intents}
    for cls in CLASSES:
        for sid in suggestions[cls] or ():
            if sid not in ids:
                raise ContentError(f"suggested intent {sid!r} does not exist", path=path, line=suggestions.lines[cls])
    return {"default": str(data["region"]), "regions": {k: dict(v) for k, v in regions.items()},
            "replies": {k: str(v).strip() for k, v in replies.items()},
            "suggestions": {k: tuple(v or ()) for k, v in suggestions.items()}}
