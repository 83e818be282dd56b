"""Stage 2: escalation. Runs before matching on every turn; what it finds always wins.

Rules are data (intents/safety.yaml). A rule fires when, in one sentence of the message (or in
the whole message), each of its groups has a phrase present and none of its `unless` phrases is.
Phrases are words; `word*` matches a prefix and `..` skips up to three words. Key words tolerate
a typo, and medicine names, brands and misspellings arrive already canonical from the normaliser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .errors import ContentError
from .normalize import Normalizer, words
from .reply import Escalation
from .yamlfile import LineDict, LineList

if TYPE_CHECKING:
    from .content import Content

CLASSES: tuple[Escalation, ...] = ("emergency", "crisis", "clinician")  # strongest first
GAP = ".."
CONTEXT = "<context>"  # stands for "the conversation named a medicine earlier"; no typed word can equal it
_SENTENCE = re.compile(r"[.!?;\n]+|\s(?:but|also|and also|plus|anyway|btw)\s", re.IGNORECASE)
_FUZZY_MIN = 5  # key words and prefixes this long or longer tolerate one typo

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One reviewed rule: every group must have a phrase present, no `unless` phrase may be."""

    id: str
    cls: Escalation
    comment: str
    groups: tuple[frozenset[int], ...]
    unless: frozenset[int]
    suggest: tuple[str, ...]
    line: int

    def fires(self, present: set[int]) -> bool:
        """Whether the rule fires on a sentence with these phrase ids present."""
        return all(not g.isdisjoint(present) for g in self.groups) and self.unless.isdisjoint(present)


@dataclass(frozen=True)
class Finding:
    """Which rule fired, and its class."""

    cls: Escalation
    rule: Rule


def _phrase_at(ws: Sequence[str], start: int, phrase: Phrase) -> bool:
    if not phrase:
        return True
    head, rest = phrase[0], phrase[1:]
    if head == GAP:
        return any(_phrase_at(ws, start + skip, rest) for skip in range(4))
    if start >= len(ws):
        return False
    word = ws[start]
    ok = word.startswith(head[:-1]) if head.endswith("*") else word == head
    return ok and _phrase_at(ws, start + 1, rest)


class PhraseIndex:
    """Every phrase the rules use, numbered, and found in a sentence by the word it starts with."""

    def __init__(self) -> None:
        self.phrases: list[Phrase] = []
        self._ids: dict[Phrase, int] = {}
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[tuple[str, int]]] = {}  # first letter -> (stem, id)

    def add(self, phrase: Phrase) -> int:
        """The id of the phrase, adding it if new."""
        if phrase not in self._ids:
            self._ids[phrase] = pid = len(self.phrases)
            self.phrases.append(phrase)
            head = phrase[0]
            if head.endswith("*"):
                self._prefix.setdefault(head[0], []).append((head[:-1], pid))
            else:
                self._exact.setdefault(head, []).append(pid)
        return self._ids[phrase]

    def ids(self, *phrase: str) -> tuple[int, ...]:
        """The id of a phrase already added, as a tuple of none or one."""
        pid = self._ids.get(phrase)
        return () if pid is None else (pid,)

    def present(self, ws: Sequence[str]) -> set[int]:
        """The ids of the phrases that occur in the words."""
        found: set[int] = set()
        for i, word in enumerate(ws):
            for pid in self._exact.get(word, ()):
                if pid not in found and _phrase_at(ws, i, self.phrases[pid]):
                    found.add(pid)
            for stem, pid in self._prefix.get(word[:1], ()):
                if pid not in found and word.startswith(stem) and _phrase_at(ws, i, self.phrases[pid]):
                    found.add(pid)
        return found

    def vocabulary(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The plain words and the prefix stems used anywhere in a phrase."""
        tokens = {w for p in self.phrases for w in p if w != GAP}
        return frozenset(w for w in tokens if not w.endswith("*")), tuple(sorted(w[:-1] for w in tokens if w.endswith("*")))


class Safety:
    """The compiled rules and the region's reply texts."""

    def __init__(self, rules: Sequence[Rule], replies: Mapping[str, Any], normalizer: Normalizer,
                 index: PhraseIndex) -> None:
        self.rules = tuple(sorted(rules, key=lambda r: CLASSES.index(r.cls)))
        self.replies = replies
        self.normalizer = normalizer
        self.index = index
        self._exact, self._stems = index.vocabulary()
        self._keywords = sorted(w for w in self._exact if len(w) >= _FUZZY_MIN and w.isalpha())
        self._long_stems = [s for s in self._stems if len(s) >= _FUZZY_MIN]
        self._context = index.add((CONTEXT,))
        self._keyword = lru_cache(maxsize=16384)(self._closest)

    @classmethod
    def from_content(cls, content: Content) -> Safety:
        normalizer = Normalizer(content.aliases(), content.synonyms)
        index = PhraseIndex()
        rules = compile_rules(content.safety_rules, content.files["intents/safety.yaml"], content, normalizer, index)
        replies = check_replies(content.safety_replies, content.files["responses/safety.yaml"], content)
        return cls(rules, replies, normalizer, index)

    def check_all(self, text: str, *, medicine: str | None = None) -> Finding | None:
        """The strongest escalation the message calls for, or None.

        `medicine` is the medicine the conversation last named, so that a follow-up such as
        "what about with a beer?" is read as being about it.
        """
        extra: set[int] = set()
        if medicine:
            extra = {self._context, *self.index.ids(medicine.replace(" ", "_"))}
        sentences = [s for s in _SENTENCE.split(text) if s and not s.isspace()]
        best: Finding | None = None
        whole: set[int] = set(extra)
        for sentence in sentences:
            present = self._present(sentence) | extra
            whole |= present
            best = self._stronger(best, self._first(present))
            if best is not None and best.cls == CLASSES[0]:
                return best
        if len(sentences) > 1:
            best = self._stronger(best, self._first(whole))
        return best

    check = check_all

    def explain(self, text: str) -> list[str]:
        """The phrases found in each sentence, for a reviewer tuning rules (never logged)."""
        return [" | ".join(" ".join(self.index.phrases[p]) for p in sorted(self._present(s)))
                for s in _SENTENCE.split(text) if s and not s.isspace()]

    def _present(self, sentence: str) -> set[int]:
        return self.index.present([self._keyword(w) for w in self.normalizer(sentence).words])

    def _first(self, present: set[int]) -> Finding | None:
        rule = next((r for r in self.rules if r.fires(present)), None)
        return Finding(rule.cls, rule) if rule else None

    @staticmethod
    def _stronger(a: Finding | None, b: Finding | None) -> Finding | None:
        if a is None or b is None:
            return a or b
        return b if CLASSES.index(b.cls) < CLASSES.index(a.cls) else a

    def _closest(self, word: str) -> str:
        """A misspelt key word ("tapper", "overodsed") read as the rule word or prefix it is one typo from."""
        if word in self._exact or len(word) < _FUZZY_MIN or not word.isalpha():
            return word
        if any(word.startswith(s) for s in self._stems):
            return word
        best = process.extractOne(word, self._keywords, scorer=OSA.distance, score_cutoff=1)
        if best and best[0][0] == word[0]:
            return str(best[0])
        for stem in self._long_stems:
            if stem[0] != word[0]:
                continue
            for size in (len(stem), len(stem) + 1, len(stem) - 1):
                if OSA.distance(word[:size], stem) <= 1:
                    return stem + word[size:]
        return word


# -- loading --------------------------------------------------------------------------------------

def _phrases(value: Any, lists: Mapping[str, frozenset[int]], path: Path, line: int, normalizer: Normalizer,
             index: PhraseIndex) -> frozenset[int]:
    if not isinstance(value, list) or not value:
        raise ContentError("a group must be a non-empty list of phrases or @list names", path=path, line=line)
    out: set[int] = set()
    for item, item_line in zip(value, getattr(value, "lines", [line] * len(value))):
        if isinstance(item, bool):
            raise ContentError("a phrase read as true/false: YAML takes bare on, off, yes and no as booleans; "
                               "put the word in quotes", path=path, line=item_line)
        if isinstance(item, (int, float)):
            item = str(item)  # a bare number in a YAML list is still a word to match
        if not isinstance(item, str) or not item.strip():
            raise ContentError(f"a phrase must be text, not {item!r}", path=path, line=item_line)
        if item == "@medicine":
            out.update(index.add((m.replace(" ", "_"),)) for m in sorted(normalizer.canonical))
        elif item == "@context":
            out.add(index.add((CONTEXT,)))
        elif item.startswith("@"):
            if item[1:] not in lists:
                raise ContentError(f"unknown list {item!r}; define it under 'lists:' above its first use",
                                   path=path, line=item_line)
            out |= lists[item[1:]]
        else:
            out.add(index.add(_compile_phrase(item, normalizer, path, item_line)))
    return frozenset(out)


def _compile_phrase(item: str, normalizer: Normalizer, path: Path, line: int) -> Phrase:
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
                if not stem or "*" in token[:-1]:
                    raise ContentError(f"prefix {token!r} in {item!r} needs letters before one '*'", path=path, line=line)
                out.extend([*stem[:-1], stem[-1] + "*"])
            else:
                out.append(GAP)
        else:
            plain.append(token)
    phrase = tuple(out[:-1])
    if not phrase or phrase[0] == GAP or phrase[-1] == GAP or all(w == GAP for w in phrase):
        raise ContentError(f"phrase {item!r} has no words (or starts or ends with '..')", path=path, line=line)
    return phrase


def compile_rules(data: LineDict, path: Path, content: Content, normalizer: Normalizer,
                  index: PhraseIndex | None = None) -> list[Rule]:
    """Check intents/safety.yaml and turn it into rules; ContentError names the line of any problem."""
    from .content import fields, items
    index = index if index is not None else PhraseIndex()
    fields(data, path, required=("lists", "rules"), what="safety.yaml")
    lists: dict[str, frozenset[int]] = {}
    raw_lists = data["lists"]
    if not isinstance(raw_lists, LineDict):
        raise ContentError("'lists' must map names to lists of phrases", path=path, line=data.lines["lists"])
    for name, value in raw_lists.items():
        if name in ("medicine", "context"):
            raise ContentError(f"'{name}' is a built-in list; choose another name", path=path, line=raw_lists.lines[name])
        lists[name] = _phrases(value, lists, path, raw_lists.lines[name], normalizer, index)
    intent_ids = {i.id for i in content.intents}
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for entry in items(data, "rules", path, what="safety.yaml"):
        entry = fields(entry, path, required=("id", "class", "comment"), optional=("any", "all", "unless", "suggest"),
                       what="a rule")
        rid = str(entry["id"])
        if rid in seen:
            raise ContentError(f"duplicate rule id {rid!r} (first on line {seen[rid]})", path=path, line=entry.line)
        seen[rid] = entry.line
        if entry["class"] not in CLASSES:
            raise ContentError(f"class must be one of {', '.join(CLASSES)}", path=path, line=entry.lines["class"])
        if not isinstance(entry["comment"], str) or not entry["comment"].strip():
            raise ContentError("a rule's comment must say what it catches", path=path, line=entry.lines["comment"])
        if ("any" in entry) == ("all" in entry):
            raise ContentError("a rule needs exactly one of 'any' (one group) or 'all' (several groups)",
                               path=path, line=entry.line)
        if "any" in entry:
            groups = (_phrases(entry["any"], lists, path, entry.lines["any"], normalizer, index),)
        else:
            raw = entry["all"]
            if not isinstance(raw, LineList) or not raw:
                raise ContentError("'all' must be a list of groups", path=path, line=entry.lines["all"])
            groups = tuple(_phrases(g if isinstance(g, list) else [g], lists, path, ln, normalizer, index)
                           for g, ln in zip(raw, raw.lines))
        unless: frozenset[int] = frozenset()
        if "unless" in entry:
            if entry["class"] == "crisis":
                raise ContentError("a crisis rule cannot have 'unless': negation never removes a crisis escalation",
                                   path=path, line=entry.lines["unless"])
            unless = _phrases(entry["unless"], lists, path, entry.lines["unless"], normalizer, index)
        suggest = tuple(entry.get("suggest") or ())
        for sid in suggest:
            if sid not in intent_ids:
                raise ContentError(f"suggested intent {sid!r} does not exist", path=path, line=entry.lines["suggest"])
        rules.append(Rule(rid, entry["class"], " ".join(entry["comment"].split()), groups, unless, suggest, entry.line))
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
