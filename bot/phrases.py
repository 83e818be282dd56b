"""The phrases the safety rules use, numbered, and found in a sentence's words.

A phrase is a run of tokens: words (read as messages are), `word*` prefixes, `..` gaps of up to three words,
`#` numbers (`#6+`: six or more) and classes (`<medicine>`: any medicine the lexicon knows). bot/safety.py
compiles the rules into this index and asks it, sentence by sentence, which phrases are present and where.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .content.model import GAP, MEDICINE, NUMBER, Phrase

_Entry = tuple[int, tuple[str, ...]]  # a phrase's id, and the words, prefixes and classes it needs after its first


# The phrases starting with one word (or prefix, or class), by id: the one-word phrases; those whose other words are
# all plain, by their second word; the rest that need no plain word; and the others by the longest plain word
# they need, so that a sentence without it never tries them. (Ids, not copies of the phrases' words, and None for
# an empty dictionary: a third of the index's memory was tails of phrases kept twice and empty containers.)
_Heads = tuple[list[int], dict[str, list[int]] | None, list[int], dict[str, list[_Entry]] | None]
_Word = tuple[list[_Heads], tuple[str, ...]]  # a word's phrase starts, and the classes and prefixes it stands for


_YEARS = (1900, 2099)  # four digits read as a year, not a count, where a rule wants a count ("#6+")
# A small number followed by one of these is a tablet's strength ("it was 2 x 10mg"), no count of pills, where a rule
# wants a count; a large one may be many tablets taken at once ("300mg of amitriptyline tonight") and still counts.
_UNITS = frozenset("mg mgs mcg ug ml g milligram milligrams microgram micrograms".split())
_STRENGTH_BELOW = 100
# ... but a number after the name and before one of these is a count ("ibuprofen 40ish", "sertraline 30 tablets").
_COUNTED = frozenset("ish odd plus or and tablets tabs pills caps capsules of x".split())


def _strength(word: str, after: str, *, named: bool, last: bool) -> bool:
    """Whether a number is a strength, not a count: one just after the medicine's name ("sertraline 50, omeprazole,
    vitamin D"), or, ending a phrase, a small one before a unit ("10" in "10 mg"; a phrase that goes on may read
    the unit itself, "# mg")."""
    return (named and len(word) <= 4 and after not in _COUNTED
            or last and after in _UNITS and len(word) <= 3 and int(word) < _STRENGTH_BELOW)


def _number_ok(token: str, word: str) -> bool:
    """'#' any number; '#6+' a number of 6 or more."""
    if not (word.isascii() and word.isdigit()):  # "❶❶" is digits to str.isdigit, but no number to int()
        return False
    # A run of digits longer than any threshold is past it: no need to read a 4,000-digit number.
    if token == NUMBER or len(word) > 9:
        return True
    number, floor = int(word), int(token[1:-1])
    # "one hip replaced in 2018": a year is no count of anything ("#1900+" asks for years and gets them).
    return number >= floor and (floor >= _YEARS[0] or not _YEARS[0] <= number <= _YEARS[1])


class PhraseIndex:
    """Every phrase the rules use, numbered, and found in a sentence by the word it starts with.

    `classes` name sets of words a phrase can stand for with one token ("<medicine>": any medicine).
    A phrase is only tried where the sentence has the words it needs: a common first word ("it", "a")
    starts hundreds of phrases.
    """

    def __init__(self, classes: Mapping[str, frozenset[str]] | None = None) -> None:
        self.classes = dict(classes or {})
        self._class_of: dict[str, list[str]] = {}
        for token, members in self.classes.items():
            for word in members:
                self._class_of.setdefault(word, []).append(token)
        self.phrases: list[Phrase] = []
        self._ids: dict[Phrase, int] = {}
        self._exact: dict[str, _Heads] = {}  # by first word or class token
        self._stems: dict[str, _Heads] = {}  # by the prefix a first word "overdos*" stands for
        self._prefixes: set[str] = set()  # every prefix any phrase uses, and their lengths
        self._prefix_sizes: tuple[int, ...] = ()
        self._numbers: list[tuple[str, int, tuple[str, ...]]] = []  # (the number token, id, needs)

    def add(self, phrase: Phrase) -> int:
        """The id of the phrase, adding it if new."""
        if len(self._ids) < len(self.phrases):  # restored from the start-up cache, which leaves this out
            self._ids = {p: n for n, p in enumerate(self.phrases)}
        if phrase not in self._ids:
            self._ids[phrase] = pid = len(self.phrases)
            self.phrases.append(phrase)
            head, tail = phrase[0], phrase[1:]
            for token in phrase:
                if token.endswith("*") and token[:-1] not in self._prefixes:
                    self._prefixes.add(token[:-1])
                    self._prefix_sizes = tuple(sorted({*self._prefix_sizes, len(token) - 1}))
            special = {w for w in tail if w == GAP or w.startswith(NUMBER) or w.endswith("*") or w in self.classes}
            # What a sentence must have for the phrase to be there: its words, prefixes ("dose*") and classes.
            # (A tuple, not a frozenset: seven thousand small sets were 1.2 MB of the bot's memory.)
            need = tuple(sorted({w for w in tail if w != GAP and not w.startswith(NUMBER)}))
            if head.startswith(NUMBER):
                self._numbers.append((head, pid, need))
                return pid
            table = self._stems if head.endswith("*") else self._exact
            key = head.removesuffix("*")
            singles, by_next, free, anchored = table.get(key) or ([], None, [], None)
            if not tail:
                singles.append(pid)
            elif not special:  # a plain tail is compared whole
                by_next = by_next or {}
                by_next.setdefault(tail[0], []).append(pid)
            elif need:
                rarest = max(need, key=lambda w: (w not in self.classes, len(w), w))  # a class is seldom rare
                anchored = anchored or {}
                anchored.setdefault(rarest, []).append((pid, need))
            else:
                free.append(pid)
            table[key] = (singles, by_next, free, anchored)
        return self._ids[phrase]

    def present(self, ws: tuple[str, ...], memo: dict[str, _Word] | None = None) -> dict[int, int]:
        """The phrases that occur in the words: id -> where the first occurrence starts.

        `memo` keeps, for one message, which phrases each of its words can start and what it stands for.
        """
        memo = {} if memo is None else memo
        found: dict[int, int] = {}
        phrases = self.phrases
        read = [memo[w] if w in memo else self._word(w, memo) for w in ws]
        have = set(ws).union(*(marks for _, marks in read))
        for i, word in enumerate(ws):
            after = ws[i + 1] if i + 1 < len(ws) else ""
            for singles, by_next, free, anchored in read[i][0]:
                for pid in singles:
                    if pid not in found:
                        found[pid] = i
                if by_next and after in by_next:
                    for pid in by_next[after]:
                        phrase = phrases[pid]
                        if pid not in found and ws[i + 1:i + len(phrase)] == phrase[1:]:
                            found[pid] = i
                for pid in free:
                    if pid not in found and self._phrase_at(ws, i + 1, phrases[pid]):
                        found[pid] = i
                if anchored:
                    for anchor in anchored.keys() & have:
                        for pid, need in anchored[anchor]:
                            if pid not in found and have.issuperset(need) and self._phrase_at(ws, i + 1, phrases[pid]):
                                found[pid] = i
            if word.isascii() and word.isdigit():
                named = i > 0 and MEDICINE in read[i - 1][1]
                for token, pid, need in self._numbers:
                    if (pid not in found and _number_ok(token, word)
                            and (token == NUMBER or not _strength(word, after, named=named, last=len(phrases[pid]) == 1))
                            and (len(phrases[pid]) == 1
                                 or have.issuperset(need) and self._phrase_at(ws, i + 1, phrases[pid]))):
                        found[pid] = i
        return found

    def _word(self, word: str, memo: dict[str, _Word]) -> _Word:
        """The phrases a word can start, and the classes and prefixes ("<medicine>", "dose*") it stands for."""
        classes = tuple(self._class_of.get(word, ()))
        prefixes = tuple(word[:n] for n in self._prefix_sizes if n <= len(word) and word[:n] in self._prefixes)
        heads = [self._exact[k] for k in (word, *classes) if k in self._exact]
        heads += [self._stems[p] for p in prefixes if p in self._stems]
        memo[word] = read = (heads, (*classes, *(p + "*" for p in prefixes)))
        return read

    def _phrase_at(self, ws: Sequence[str], start: int, phrase: Phrase, first: int = 1) -> bool:
        """Whether the phrase from its token `first` on (its first word is already found) is at ws[start:]."""
        for n in range(first, len(phrase)):
            token, at = phrase[n], start + n - first
            if token == GAP:  # up to three words skipped; what follows is tried after each
                for skip in range(4):  # noqa: SIM110 - a loop: any() and its generator cost twice as much here
                    if self._phrase_at(ws, at + skip, phrase, n + 1):
                        return True
                return False
            if at >= len(ws) or not self._token_ok(token, ws[at]):
                return False
            if n == len(phrase) - 1 and token != NUMBER and (token.startswith(NUMBER) or token.isdigit()) \
                    and _strength(ws[at], ws[at + 1] if at + 1 < len(ws) else "",
                                  named=at > 0 and ws[at - 1] in self.classes.get(MEDICINE, ()), last=True):
                return False  # "took #6+" (or "took .. 10") is no count in "took 10 mg"
        return True

    def _token_ok(self, token: str, word: str) -> bool:
        if token.startswith(NUMBER):
            return _number_ok(token, word)
        if token.endswith("*"):
            return word.startswith(token[:-1])
        if token in self.classes:
            return word in self.classes[token]
        return word == token

    def vocabulary(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The plain words and the prefix stems used anywhere in a phrase."""
        tokens = {w for p in self.phrases for w in p if w != GAP and not w.startswith(NUMBER) and w not in self.classes}
        return frozenset(w for w in tokens if not w.endswith("*")), tuple(sorted(w[:-1] for w in tokens if w.endswith("*")))


__all__ = ["PhraseIndex"]
