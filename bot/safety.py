"""Stage 2: escalation. Runs before matching on every turn; what it finds always wins.

Rules are data (intents/safety.yaml). A rule fires when, in one sentence of the message (or in
the whole message), each of its groups has a phrase present and none of its `unless` phrases is.
Phrases are words; `word*` matches a prefix, `..` skips up to three words, `#` is any number and
`@list` inside a phrase stands for each of the list's phrases. Key words tolerate one typo, medicine
names, brands and misspellings arrive already canonical from the normaliser, and the medicine the
conversation named earlier counts as named again (the `@context` list says it was).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rapidfuzz.distance import Indel

from .cache import load_state, save_state, state_key
from .errors import ContentError
from .normalize import Normalizer, words
from .reply import Escalation
from .yamlfile import LineDict, LineList

if TYPE_CHECKING:
    from .content import Content

CLASSES: tuple[Escalation, ...] = ("emergency", "crisis", "clinician")  # strongest first
GAP = ".."
NUMBER = "#"  # any number written in digits ("up to #" reads "up to 50")
CONTEXT = "<context>"  # stands for "the conversation named a medicine earlier"; no typed word can equal it
_SENTENCE = re.compile(r"[.!?;\n]+|\s(?:but|also|and also|plus|anyway|btw)\s", re.IGNORECASE)
_FUZZY_MIN = 5  # key words and prefixes this long or longer, typed as longer words, tolerate one typo
_LIST_REF = re.compile(r"(@\w+)")
_MAX_COMBINATIONS = 5000

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
        for group in self.groups:
            if group.isdisjoint(present):
                return False
        return self.unless.isdisjoint(present)


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
    if head == NUMBER:
        ok = word.isdigit()
    else:
        ok = word.startswith(head[:-1]) if head.endswith("*") else word == head
    return ok and _phrase_at(ws, start + 1, rest)


def _tail_at(ws: tuple[str, ...], start: int, tail: Phrase, plain: bool) -> bool:
    return ws[start:start + len(tail)] == tail if plain else _phrase_at(ws, start, tail)


class PhraseIndex:
    """Every phrase the rules use, numbered, and found in a sentence by the word it starts with."""

    def __init__(self) -> None:
        self.phrases: list[Phrase] = []
        self._ids: dict[Phrase, int] = {}
        # first word -> (id, the words after it, whether those are plain words); prefixes by their first two letters
        self._exact: dict[str, list[tuple[int, Phrase, bool]]] = {}
        self._prefix: dict[str, list[tuple[str, int, Phrase, bool]]] = {}

    def add(self, phrase: Phrase) -> int:
        """The id of the phrase, adding it if new."""
        if phrase not in self._ids:
            self._ids[phrase] = pid = len(self.phrases)
            self.phrases.append(phrase)
            head, tail = phrase[0], phrase[1:]
            plain = not any(w in (GAP, NUMBER) or w.endswith("*") for w in tail)
            if head.endswith("*"):
                self._prefix.setdefault(head[:2], []).append((head[:-1], pid, tail, plain))
            else:
                self._exact.setdefault(head, []).append((pid, tail, plain))
        return self._ids[phrase]

    def ids(self, *phrase: str) -> tuple[int, ...]:
        """The id of a phrase already added, as a tuple of none or one."""
        pid = self._ids.get(phrase)
        return () if pid is None else (pid,)

    def present(self, ws: tuple[str, ...]) -> set[int]:
        """The ids of the phrases that occur in the words."""
        found: set[int] = set()
        for i, word in enumerate(ws, 1):
            for key in (word, NUMBER) if word.isdigit() else (word,):
                for pid, tail, plain in self._exact.get(key, ()):
                    if not tail or (pid not in found and _tail_at(ws, i, tail, plain)):
                        found.add(pid)
            for stem, pid, tail, plain in self._prefix.get(word[:2], ()):
                if word.startswith(stem) and (not tail or (pid not in found and _tail_at(ws, i, tail, plain))):
                    found.add(pid)
        return found

    def vocabulary(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The plain words and the prefix stems used anywhere in a phrase."""
        tokens = {w for p in self.phrases for w in p if w not in (GAP, NUMBER)}
        return frozenset(w for w in tokens if not w.endswith("*")), tuple(sorted(w[:-1] for w in tokens if w.endswith("*")))


class Safety:
    """The compiled rules and the region's reply texts."""

    def __init__(self, rules: Sequence[Rule], replies: Mapping[str, Any], normalizer: Normalizer,
                 index: PhraseIndex, known: frozenset[str] = frozenset()) -> None:
        self.rules = tuple(sorted(rules, key=lambda r: CLASSES.index(r.cls)))
        self.replies = replies
        self.normalizer = normalizer
        self.index = index
        self._exact, self._stems = index.vocabulary()
        self._known = known  # words of the intents' examples: real words, never read as a typo
        self._keywords: dict[str, list[str]] = {}
        self._long_stems: dict[str, list[str]] = {}  # longest first, so "overdos" wins over "over"
        for word in sorted(w for w in self._exact if len(w) >= _FUZZY_MIN and w.isalpha()):
            self._keywords.setdefault(word[0], []).append(word)
        for stem in sorted((s for s in self._stems if len(s) >= _FUZZY_MIN), key=lambda s: (-len(s), s)):
            self._long_stems.setdefault(stem[0], []).append(stem)
        self._context = index.add((CONTEXT,))
        self._keyword = lru_cache(maxsize=16384)(self._closest)
        self._triggers: dict[int, list[int]] = {}  # phrase id -> the rules whose smallest group holds it
        for n, rule in enumerate(self.rules):
            for pid in min(rule.groups, key=len):
                self._triggers.setdefault(pid, []).append(n)

    @classmethod
    def from_content(cls, content: Content) -> Safety:
        normalizer = Normalizer(content.aliases(), content.synonyms)
        index = PhraseIndex()
        rules = compile_rules(cast(LineDict, content.safety_rules), content.files["intents/safety.yaml"], content,
                              normalizer, index)
        replies = check_replies(cast(LineDict, content.safety_replies), content.files["responses/safety.yaml"], content)
        return cls(rules, replies, normalizer, index, _known_words(content))

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

    def explain(self, text: str) -> list[str]:
        """The phrases found in each sentence, for a reviewer tuning rules (never logged)."""
        return [" | ".join(" ".join(self.index.phrases[p]) for p in sorted(self._present(s)))
                for s in _SENTENCE.split(text) if s and not s.isspace()]

    def _present(self, sentence: str) -> set[int]:
        return self.index.present(tuple(self._keyword(w) for w in self.normalizer(sentence).words))

    def _first(self, present: set[int]) -> Finding | None:
        """The strongest rule that fires (rules are kept strongest first)."""
        candidates = sorted({n for pid in present for n in self._triggers.get(pid, ())})
        rule = next((self.rules[n] for n in candidates if self.rules[n].fires(present)), None)
        return Finding(rule.cls, rule) if rule else None

    @staticmethod
    def _stronger(a: Finding | None, b: Finding | None) -> Finding | None:
        if a is None or b is None:
            return a or b
        return b if CLASSES.index(b.cls) < CLASSES.index(a.cls) else a

    def _closest(self, word: str) -> str:
        """A misspelt key word ("tapper", "overodsed") read as the rule word or prefix it is one typo from.

        Words the content itself uses ("talking", "meditation") are real words, not typos.
        """
        if (word in self._exact or word in self._known or len(word) <= _FUZZY_MIN or not word.isalpha()
                or any(word.startswith(s) for s in self._stems)):
            return word
        for key in self._keywords.get(word[0], ()):
            if _one_typo(word, key):
                return key
        for stem in self._long_stems.get(word[0], ()):
            for size in (len(stem), len(stem) + 1, len(stem) - 1):
                if _one_typo(word[:size], stem) and word[:size] != stem[:-1]:  # "letha(rgic)" is not "lethal"
                    return stem + word[size:]
        return word


_VOWELS = frozenset("aeiouy")


def _known_words(content: Content) -> frozenset[str]:
    """Every word the intents' examples use (cached: reading 2,000 examples is a fifth of start-up)."""
    texts = [e for i in content.intents for e in (i.question, *i.examples)]
    key = state_key("known-words", texts)
    state = load_state(key)
    cached = state.get("words") if state else None
    if isinstance(cached, frozenset):
        return cached
    known = frozenset(w for e in texts for w in words(e))
    save_state(key, {"words": known})
    return known


def _one_typo(typed: str, meant: str) -> bool:
    """One slip of the kind people make: a letter missed, doubled or swapped, or the wrong vowel in a long word."""
    if abs(len(typed) - len(meant)) == 1:
        return Indel.distance(typed, meant) == 1
    if len(typed) != len(meant) or typed == meant:
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, meant)) if a != b]
    if len(diff) == 1:
        return len(meant) >= 7 and typed[diff[0]] in _VOWELS and meant[diff[0]] in _VOWELS
    return len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == meant[diff[1]] and typed[diff[1]] == meant[diff[0]]


# -- loading --------------------------------------------------------------------------------------

def _phrases(value: Any, lists: Mapping[str, tuple[Phrase, ...]], path: Path, line: int,
             normalizer: Normalizer) -> tuple[Phrase, ...]:
    """A list of phrases and @list names from the rules file, as word tuples."""
    if not isinstance(value, list) or not value:
        raise ContentError("a group must be a non-empty list of phrases or @list names", path=path, line=line)
    out: dict[Phrase, None] = {}
    for item, item_line in zip(value, getattr(value, "lines", [line] * len(value))):
        if isinstance(item, bool):
            raise ContentError("a phrase read as true/false: YAML takes bare on, off, yes and no as booleans; "
                               "put the word in quotes", path=path, line=item_line)
        if isinstance(item, (int, float)):
            item = str(item)  # a bare number in a YAML list is still a word to match
        if not isinstance(item, str) or not item.strip():
            raise ContentError(f"a phrase must be text, not {item!r}", path=path, line=item_line)
        out.update(dict.fromkeys(_expand(item, lists, normalizer, path, item_line)))
    return tuple(out)


def _expand(item: str, lists: Mapping[str, tuple[Phrase, ...]], normalizer: Normalizer, path: Path,
            line: int) -> list[Phrase]:
    """One phrase, or one per combination when it names lists inside it ("@harm .. @self")."""
    combos: list[Phrase] = [()]
    for part in _LIST_REF.split(item):
        if part.startswith("@"):
            if part[1:] not in lists:
                raise ContentError(f"unknown list {part!r} in {item!r}; define it under 'lists:' above its first use",
                                   path=path, line=line)
            options = lists[part[1:]]
        elif part.strip():
            options = (_compile_words(part, normalizer, item, path, line),)
        else:
            continue
        combos = [c + o for c in combos for o in options]
        if len(combos) > _MAX_COMBINATIONS:
            raise ContentError(f"{item!r} makes more than {_MAX_COMBINATIONS} phrases; split it", path=path, line=line)
    for phrase in combos:
        if not phrase or GAP in (phrase[0], phrase[-1]) or any(a == b == GAP for a, b in pairwise(phrase)):
            raise ContentError(f"phrase {item!r} has no words (or starts or ends with '..')", path=path, line=line)
    return combos


def _compile_words(text: str, normalizer: Normalizer, item: str, path: Path, line: int) -> Phrase:
    """'come off', 'taper*' (a prefix), 'took .. pills' (up to three words between) or 'up to #' (a number).

    Plain words go through the same synonyms and medicine names as messages do, so a rule
    written with "meds" or "zoloft" still matches.
    """
    out: list[str] = []
    plain: list[str] = []
    for token in [*text.split(), GAP]:
        if token in (GAP, NUMBER) or token.endswith("*"):
            if plain:
                out.extend(normalizer(" ".join(plain)).words)
                plain = []
            if token.endswith("*"):
                stem = words(token[:-1])
                if not stem or len(stem[-1]) < 2 or "*" in token[:-1]:
                    raise ContentError(f"prefix {token!r} in {item!r} needs two or more letters before one '*'",
                                       path=path, line=line)
                out.extend([*stem[:-1], stem[-1] + "*"])
            else:
                out.append(token)
        else:
            plain.append(token)
    return tuple(out[:-1])


def compile_rules(data: LineDict, path: Path, content: Content, normalizer: Normalizer,
                  index: PhraseIndex | None = None) -> list[Rule]:
    """Check intents/safety.yaml and turn it into rules; ContentError names the line of any problem."""
    from .content import fields, items, text
    index = index if index is not None else PhraseIndex()
    fields(data, path, required=("lists", "rules"), what="safety.yaml")
    lists: dict[str, tuple[Phrase, ...]] = {
        "medicine": tuple((m.replace(" ", "_"),) for m in sorted(normalizer.canonical)), "context": ((CONTEXT,),)}
    raw_lists = data["lists"]
    if not isinstance(raw_lists, LineDict):
        raise ContentError("'lists' must map names to lists of phrases", path=path, line=data.lines["lists"])
    for name, value in raw_lists.items():
        if name in lists:
            raise ContentError(f"'{name}' is a built-in list; choose another name", path=path, line=raw_lists.lines[name])
        lists[name] = _phrases(value, lists, path, raw_lists.lines[name], normalizer)

    def group(value: Any, line: int) -> frozenset[int]:
        return frozenset(index.add(p) for p in _phrases(value, lists, path, line, normalizer))

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
        if not isinstance(entry["class"], str) or entry["class"] not in CLASSES:
            raise ContentError(f"class must be one of {', '.join(CLASSES)}", path=path, line=entry.lines["class"])
        if not isinstance(entry["comment"], str) or not entry["comment"].strip():
            raise ContentError("a rule's comment must say what it catches", path=path, line=entry.lines["comment"])
        if ("any" in entry) == ("all" in entry):
            raise ContentError("a rule needs exactly one of 'any' (one group) or 'all' (several groups)",
                               path=path, line=entry.line)
        groups: tuple[frozenset[int], ...]
        if "any" in entry:
            groups = (group(entry["any"], entry.lines["any"]),)
        else:
            raw = entry["all"]
            if not isinstance(raw, LineList) or not raw:
                raise ContentError("'all' must be a list of groups", path=path, line=entry.lines["all"])
            groups = tuple(group(g if isinstance(g, list) else [g], ln) for g, ln in zip(raw, raw.lines))
        unless: frozenset[int] = frozenset()
        if "unless" in entry:
            if entry["class"] == "crisis":
                raise ContentError("a crisis rule cannot have 'unless': negation never removes a crisis escalation",
                                   path=path, line=entry.lines["unless"])
            unless = group(entry["unless"], entry.lines["unless"])
        raw_suggest = entry.get("suggest") or []
        if not isinstance(raw_suggest, list):
            raise ContentError("'suggest' must be a list of intent ids", path=path, line=entry.lines["suggest"])
        suggest = tuple(raw_suggest)
        for sid in suggest:
            if not isinstance(sid, str) or sid not in intent_ids:
                raise ContentError(f"suggested intent {sid!r} does not exist", path=path, line=entry.lines["suggest"])
        rules.append(Rule(rid, entry["class"], text(entry, "comment", path), groups, unless, suggest, entry.line))
    for cls in CLASSES:
        if not any(r.cls == cls for r in rules):
            raise ContentError(f"no rule for class {cls!r}; the bot must be able to escalate to it", path=path)
    return rules


def check_replies(data: LineDict, path: Path, content: Content) -> dict[str, Any]:
    """Check responses/safety.yaml: a default region, each region's numbers, and reply templates that fill."""
    from .content import fields, text
    fields(data, path, required=("region", "regions", "replies", "suggestions"), what="safety.yaml")
    regions = data["regions"]
    if not isinstance(regions, LineDict) or not isinstance(data["region"], str) or data["region"] not in regions:
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
        if not isinstance(suggestions[cls] or [], list):
            raise ContentError(f"suggestions for {cls} must be a list of intent ids", path=path,
                               line=suggestions.lines[cls])
        for sid in suggestions[cls] or ():
            if not isinstance(sid, str) or sid not in ids:
                raise ContentError(f"suggested intent {sid!r} does not exist", path=path, line=suggestions.lines[cls])
    return {"default": str(data["region"]), "regions": {k: dict(v) for k, v in regions.items()},
            "replies": {k: str(v).strip() for k, v in replies.items()},
            "suggestions": {k: tuple(v or ()) for k, v in suggestions.items()}}
