"""Stage 2: escalation. Runs before matching on every turn; what it finds always wins.

The engine compiles the rule specs content hands it (bot/content/safety_file.py reads the rule file):
a rule fires when, in one sentence of the message (or in the whole message), each of its groups has a
phrase present and none of its `unless` phrases is. Plain words of a phrase are read as messages are
(synonyms, medicine names to the generic), key words tolerate one typo, and the medicine the
conversation named earlier counts as named again (the `@context` list says it was).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from .cache import load_state, save_state, state_key
from .content.model import CONTEXT, GAP, NUMBER, Phrase, RuleSpec
from .content.safety_file import is_word
from .normalize import Normalized, Normalizer, words
from .reply import ESCALATIONS, Escalation, stronger

_FUZZY_MIN = 5  # key words and prefixes this long or longer, typed as longer words, tolerate one typo


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
    elif head.endswith("*"):
        ok = word.startswith(head[:-1])
    else:
        ok = word == head
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
    """The compiled rules: which escalation, if any, a message calls for."""

    def __init__(self, specs: Sequence[RuleSpec], normalizer: Normalizer, known: Collection[str] = ()) -> None:
        self.normalizer = normalizer
        self.index = PhraseIndex()
        self._read: dict[str, tuple[str, ...]] = {}  # the rules' own word runs, each read once while compiling
        self.rules = tuple(sorted((self._compile(spec) for spec in specs), key=lambda r: ESCALATIONS.index(r.cls)))
        del self._read
        self._exact, self._stems = self.index.vocabulary()
        self._known = frozenset(known)  # words of the intents' examples: real words, never read as a typo
        self._keywords: dict[str, list[str]] = {}
        self._long_stems: dict[str, list[str]] = {}  # longest first, so "overdos" wins over "over"
        for word in sorted(w for w in self._exact if len(w) >= _FUZZY_MIN and w.isalpha()):
            self._keywords.setdefault(word[0], []).append(word)
        for stem in sorted((s for s in self._stems if len(s) >= _FUZZY_MIN), key=lambda s: (-len(s), s)):
            self._long_stems.setdefault(stem[0], []).append(stem)
        self._context = self.index.add((CONTEXT,))
        self._triggers: dict[int, list[int]] = {}  # phrase id -> the rules whose smallest group holds it
        for n, rule in enumerate(self.rules):
            for pid in min(rule.groups, key=len):
                self._triggers.setdefault(pid, []).append(n)

    def _compile(self, spec: RuleSpec) -> Rule:
        def group(phrases: tuple[Phrase, ...]) -> frozenset[int]:
            return frozenset(self.index.add(self._words(p)) for p in phrases)

        return Rule(spec.id, spec.cls, spec.comment, tuple(group(g) for g in spec.groups), group(spec.unless),
                    spec.suggest, spec.line)

    def _words(self, phrase: Phrase) -> Phrase:
        """A phrase as messages are read: each run of plain words through the normaliser, special tokens kept."""
        out: list[str] = []
        run: list[str] = []
        for token in (*phrase, GAP):
            if is_word(token):
                run.append(token)
                continue
            if run:
                key = " ".join(run)
                if key not in self._read:
                    self._read[key] = self.normalizer(key).words
                out.extend(self._read[key])
                run = []
            out.append(token)
        return tuple(out[:-1])

    def check_all(self, message: str | Normalized, *, medicine: str | None = None) -> Finding | None:
        """The strongest escalation the message calls for, or None.

        `medicine` is the medicine the conversation last named, so that a follow-up such as
        "what about with a beer?" is read as being about it.
        """
        if isinstance(message, str):
            message = self.normalizer(message, sentences=True)
        extra: set[int] = set()
        if medicine:
            extra = {self._context, *self.index.ids(medicine.replace(" ", "_"))}
        memo: dict[str, str] = {}
        best: Finding | None = None
        whole: set[int] = set(extra)
        for sentence in message.sentences:
            present = self._present(sentence, memo) | extra
            whole |= present
            best = _stronger(best, self._first(present))
            if best is not None and best.cls == ESCALATIONS[0]:
                return best
        if len(message.sentences) > 1:
            best = _stronger(best, self._first(whole))
        return best

    def explain(self, text: str) -> list[str]:
        """The phrases found in each sentence, for a reviewer tuning rules (never logged)."""
        memo: dict[str, str] = {}
        return [" | ".join(" ".join(self.index.phrases[p]) for p in sorted(self._present(s, memo)))
                for s in self.normalizer(text, sentences=True).sentences]

    def _present(self, sentence: tuple[str, ...], memo: dict[str, str]) -> set[int]:
        return self.index.present(tuple(memo[w] if w in memo else memo.setdefault(w, self._closest(w)) for w in sentence))

    def _first(self, present: set[int]) -> Finding | None:
        """The strongest rule that fires (rules are kept strongest first)."""
        candidates = sorted({n for pid in present for n in self._triggers.get(pid, ())})
        rule = next((self.rules[n] for n in candidates if self.rules[n].fires(present)), None)
        return Finding(rule.cls, rule) if rule else None

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


def _stronger(a: Finding | None, b: Finding | None) -> Finding | None:
    if a is None or b is None:
        return a or b
    return b if stronger(b.cls, a.cls) else a


def example_words(examples: Sequence[str]) -> frozenset[str]:
    """Every word the intents' examples use (cached: reading 2,000 examples is a fifth of start-up)."""
    key = state_key("known-words", list(examples))
    state = load_state(key)
    cached = state.get("words") if state else None
    if isinstance(cached, frozenset):
        return cached
    known = frozenset(w for e in examples for w in words(e))
    save_state(key, {"words": known})
    return known


_VOWELS = frozenset("aeiouy")


def _one_typo(typed: str, meant: str) -> bool:
    """One slip of the kind people make: a letter missed, doubled or swapped, or the wrong vowel in a long word."""
    if abs(len(typed) - len(meant)) == 1:
        return Indel.distance(typed, meant) == 1
    if len(typed) != len(meant) or typed == meant:
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, meant, strict=False)) if a != b]
    if len(diff) == 1:
        return len(meant) >= 7 and typed[diff[0]] in _VOWELS and meant[diff[0]] in _VOWELS
    return len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == meant[diff[1]] and typed[diff[1]] == meant[diff[0]]
