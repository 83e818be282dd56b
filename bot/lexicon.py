"""How the safety check reads a message's words: typos of the rules' words mended, words typed together split,
every word at its base form ("overodsed" -> "overdose", "killmyself" -> "kill myself", "wants" -> "want").

A `Lexicon` is built from the rules' own words, so a word added to any rule changes how other words read ("return
them to the pharmacy" made "returned" read "return"; "in the ground" split "background"). The rules want that: they
read messages in their own words. The statistical detector does not: it learnt its weights on the reading of the
day it was trained, so it reads with the lexicon saved beside its weights (intents/detector.tsv), which no later
edit to the rules moves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

from .deobfuscate import split_joined
from .normalize import EXPANSIONS

FUZZY_MIN = 5  # key words and prefixes this long or longer, typed as longer words, tolerate one typo
_VOWELS = frozenset("aeiouy")
# Contractions typed without an apostrophe, as pieces of a run-together word ("idontwanttobehere"), and what
# they stand for.
RUN_TOGETHER = {k: v for k, v in EXPANSIONS.items() if k.isalpha() and len(k) >= 2 and k not in ("ty", "bc")}
# A sentence opening with one of these, then one of those, is going on from the last reply: the first word is no
# "is it ok?" ("ok so what does it do", "fine and what about therapy").
_GRANTED = frozenset("ok okay k kk alright fine right".split())
_GOING_ON = frozenset("and so but then well thanks thank cool great got".split())


@dataclass(frozen=True)
class Lexicon:
    """The words a reading mends towards: `base` (an inflection -> its base form), `exact` (the rules' words),
    `stems` (the rules' prefixes, "overdos"), `known` (real words, never typos) and `vocabulary` (what a word
    typed together may split into)."""

    base: Mapping[str, str]
    exact: frozenset[str]
    stems: frozenset[str]
    known: frozenset[str]
    vocabulary: frozenset[str]
    _stem_sizes: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _keywords: dict[str, list[str]] = field(init=False, repr=False, compare=False)
    _long_stems: dict[str, list[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Whether a word starts with a rule's prefix, by a few set lookups rather than a try of every prefix.
        object.__setattr__(self, "_stem_sizes", tuple(sorted({len(s) for s in self.stems})))
        keywords: dict[str, list[str]] = {}  # by first letter and length: a typo changes the length by one at most
        # A typo of any inflection of a key word too ("blacikng" for "blacking"), read as that inflection.
        for word in sorted(w for w in self.exact | set(self.base) if len(w) >= FUZZY_MIN and w.isalpha()):
            keywords.setdefault(f"{word[0]}{len(word)}", []).append(word)
        long_stems: dict[str, list[str]] = {}  # longest first, so "overdos" wins over "over"
        for stem in sorted((s for s in self.stems if len(s) >= FUZZY_MIN), key=lambda s: (-len(s), s)):
            long_stems.setdefault(stem[0], []).append(stem)
        object.__setattr__(self, "_keywords", keywords)
        object.__setattr__(self, "_long_stems", long_stems)

    @classmethod
    def of(cls, base: Mapping[str, str], exact: Iterable[str], stems: Iterable[str], known: Iterable[str]) -> Lexicon:
        """The lexicon of a set of rules: their words and prefixes, and the content's real words."""
        exact, known = frozenset(exact), frozenset(known)
        return cls(base, exact, frozenset(stems), known,
                   exact | known | frozenset(base) | frozenset(RUN_TOGETHER))

    def read_words(self, sentence: Iterable[str], memo: dict[str, tuple[str, ...]],
                   other: Mapping[str, tuple[str, ...]] | None = None, same: Collection[str] = ()) -> tuple[str, ...]:
        """A sentence's words as read: typos of key words mended, run-together words split, every word at its base
        form. `memo` keeps one message's words' readings; `other` holds another lexicon's readings of the message,
        taken as they are for the words `same` says both lexicons read alike."""
        out: list[str] = []
        for word in sentence:
            if word not in memo and other is not None and word in same and word in other:
                memo[word] = other[word]
            if word not in memo:
                read = self.closest(word)
                # A word a rule's prefix all but spells ("childproof" for "childproof*") is a word, not words run
                # together; "killmyself" is ("kill*").
                pieces = split_joined(read, self.vocabulary) if len(read) >= 8 and read not in self.vocabulary \
                    and not any(n >= len(read) - 2 and read[:n] in self.stems for n in self._stem_sizes) else None
                if pieces:  # "imdonewithlivingthislife": its "im" is "i am", as it would be written apart
                    pieces = [w for piece in pieces for w in RUN_TOGETHER.get(piece, piece).split()]
                memo[word] = tuple(self.base.get(w, w) for w in (pieces or (read,)))
            out.extend(memo[word])
        if len(out) > 2 and out[0] in _GRANTED and out[1] in _GOING_ON:
            return tuple(out[1:])  # "ok and does it work with the medicine": the "ok" grants, it asks nothing
        return tuple(out)

    def closest(self, word: str) -> str:
        """A misspelt key word ("tapper", "overodsed") read as the rule word or prefix it is one typo from.

        Words the content itself uses ("talking", "meditation") are real words, not typos.
        """
        if (word in self.exact or word in self.known or word in self.base or len(word) <= FUZZY_MIN
                or not word.isalpha() or any(word[:n] in self.stems for n in self._stem_sizes)):
            return word
        size = len(word)
        # Every slip one_typo allows is one edit of OSA distance: rapidfuzz finds those few in C, eight times
        # faster than trying each key word in Python.
        keys = [key for n in (size - 1, size, size + 1)
                for key, _, _ in process.extract(word, self._keywords.get(f"{word[0]}{n}", ()), scorer=OSA.distance,
                                                 score_cutoff=1, limit=None)
                if one_typo(word, key)]
        if keys:
            return min(keys)  # of two a typo away, the first in alphabetical order, as ever
        for stem in self._long_stems.get(word[0], ()):
            for size in (len(stem), len(stem) + 1, len(stem) - 1):
                piece = word[:size]
                # One slip leaves the first two letters or the last two as they were: a cheap test first.
                if piece[1] != stem[1] and piece[-2:] != stem[-2:]:
                    continue
                # "letha(rgic)" is not "lethal"; "hard(ly)" is a word of its own, not "hoard" mistyped.
                if one_typo(piece, stem) and piece != stem[:-1] and piece not in self.known:
                    return stem + word[size:]
        return word

    def alike(self, other: Lexicon) -> frozenset[str]:
        """The words this lexicon and `other` read alike whatever surrounds them: each a word of both (so neither
        mends nor splits it) with one base form in both."""
        mine = self.exact | self.known | frozenset(self.base)
        theirs = other.exact | other.known | frozenset(other.base)
        return frozenset(w for w in mine & theirs if self.base.get(w, w) == other.base.get(w, w))

    def lines(self) -> list[str]:
        """The lexicon as lines of intents/detector.tsv (`reads-...`), for `from_lines` to read back."""
        pairs = " ".join(f"{w} {b}" for w, b in sorted(self.base.items()))
        return [f"reads-base {pairs}", f"reads-exact {' '.join(sorted(self.exact))}",
                f"reads-stems {' '.join(sorted(self.stems))}", f"reads-known {' '.join(sorted(self.known))}",
                f"reads-split {' '.join(sorted(self.vocabulary))}"]


def from_lines(fields: Mapping[str, Collection[str]]) -> Lexicon | None:
    """The lexicon saved with the detector (`reads-base`, `reads-exact`... word lists), or None if there is none."""
    if not fields.get("reads-exact"):
        return None
    pairs = list(fields.get("reads-base", ()))
    if len(pairs) % 2:
        raise ValueError("reads-base needs words in pairs (an inflection, then its base form)")
    base = dict(zip(pairs[::2], pairs[1::2], strict=True))
    return Lexicon(base, frozenset(fields["reads-exact"]), frozenset(fields.get("reads-stems", ())),
                   frozenset(fields.get("reads-known", ())), frozenset(fields.get("reads-split", ())))


def one_typo(typed: str, meant: str) -> bool:
    """One slip of the kind people make: a letter missed, doubled or swapped, or the wrong vowel in a long word."""
    if abs(len(typed) - len(meant)) == 1:
        return Indel.distance(typed, meant) == 1
    if len(typed) != len(meant) or typed == meant:
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
    if len(diff) == 1:
        return len(meant) >= 7 and typed[diff[0]] in _VOWELS and meant[diff[0]] in _VOWELS
    return len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == meant[diff[1]] and typed[diff[1]] == meant[diff[0]]


__all__ = ["FUZZY_MIN", "RUN_TOGETHER", "Lexicon", "from_lines", "one_typo"]
