"""The phrases the safety rules use, numbered, and found in a sentence's words.

A phrase is a run of tokens: words (read as messages are), `word*` prefixes, `..` gaps of up to three words,
`#` numbers (`#6+`: six or more) and classes (`<medicine>`: any medicine the lexicon knows). bot/safety.py
compiles the rules into this index and asks it, sentence by sentence, which phrases are present and where.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .content.model import GAP, NUMBER, Phrase

_Entry = tuple[int, Phrase, bool, tuple[str, ...]]  # a phrase's id, the words after its first, whether plain, needs


# The phrases starting with one word (or prefix, or class): the one-word phrases; those whose other words are
# all plain, by their second word; the rest that need no plain word; and the others by the longest plain word
# they need, so that a sentence without it never tries them.
_Heads = tuple[list[int], dict[str, list[tuple[int, Phrase]]], list[_Entry], dict[str, list[_Entry]]]
_Word = tuple[list[_Heads], tuple[str, ...]]  # a word's phrase starts, and the classes and prefixes it stands for


def _number_ok(token: str, word: str) -> bool:
    """'#' any number; '#6+' a number of 6 or more."""
    if not (word.isascii() and word.isdigit()):  # "❶❶" is digits to str.isdigit, but no number to int()
        return False
    # A run of digits longer than any threshold is past it: no need to read a 4,000-digit number.
    return token == NUMBER or len(word) > 9 or int(word) >= int(token[1:-1])


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
        self._numbers: list[tuple[str, _Entry]] = []

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
            entry = (pid, tail, not special, need if special else ())  # a plain tail is compared whole
            if head.startswith(NUMBER):
                self._numbers.append((head, entry))
                return pid
            if head.endswith("*"):
                heads = self._stems.setdefault(head[:-1], ([], {}, [], {}))
            else:
                heads = self._exact.setdefault(head, ([], {}, [], {}))
            if not tail:
                heads[0].append(pid)
            elif not special:
                heads[1].setdefault(tail[0], []).append((pid, tail))
            elif need:
                rarest = max(need, key=lambda w: (w not in self.classes, len(w), w))  # a class is seldom rare
                heads[3].setdefault(rarest, []).append(entry)
            else:
                heads[2].append(entry)
        return self._ids[phrase]

    def present(self, ws: tuple[str, ...], memo: dict[str, _Word] | None = None) -> dict[int, int]:
        """The phrases that occur in the words: id -> where the first occurrence starts.

        `memo` keeps, for one message, which phrases each of its words can start and what it stands for.
        """
        memo = {} if memo is None else memo
        found: dict[int, int] = {}
        read = [memo[w] if w in memo else self._word(w, memo) for w in ws]
        have = set(ws).union(*(marks for _, marks in read))
        for i, word in enumerate(ws):
            after = ws[i + 1] if i + 1 < len(ws) else ""
            for singles, by_next, free, anchored in read[i][0]:
                for pid in singles:
                    if pid not in found:
                        found[pid] = i
                for pid, tail in by_next.get(after, ()):
                    if pid not in found and ws[i + 1:i + 1 + len(tail)] == tail:
                        found[pid] = i
                for entry in free:
                    if entry[0] not in found and self._phrase_at(ws, i + 1, entry[1]):
                        found[entry[0]] = i
                if anchored:
                    for anchor in anchored.keys() & have:
                        for entry in anchored[anchor]:
                            if entry[0] not in found and have.issuperset(entry[3]) and self._phrase_at(ws, i + 1, entry[1]):
                                found[entry[0]] = i
            if word.isascii() and word.isdigit():
                for token, entry in self._numbers:
                    if (entry[0] not in found and _number_ok(token, word)
                            and (not entry[1] or (have.issuperset(entry[3]) and self._phrase_at(ws, i + 1, entry[1])))):
                        found[entry[0]] = i
        return found

    def _word(self, word: str, memo: dict[str, _Word]) -> _Word:
        """The phrases a word can start, and the classes and prefixes ("<medicine>", "dose*") it stands for."""
        classes = tuple(self._class_of.get(word, ()))
        prefixes = tuple(word[:n] for n in self._prefix_sizes if n <= len(word) and word[:n] in self._prefixes)
        heads = [self._exact[k] for k in (word, *classes) if k in self._exact]
        heads += [self._stems[p] for p in prefixes if p in self._stems]
        memo[word] = read = (heads, (*classes, *(p + "*" for p in prefixes)))
        return read

    def _phrase_at(self, ws: Sequence[str], start: int, phrase: Phrase) -> bool:
        for n, token in enumerate(phrase):
            if token == GAP:  # up to three words skipped; what follows is tried after each
                rest = phrase[n + 1:]
                for skip in range(4):  # noqa: SIM110 - a loop: any() and its generator cost twice as much here
                    if self._phrase_at(ws, start + n + skip, rest):
                        return True
                return False
            if start + n >= len(ws) or not self._token_ok(token, ws[start + n]):
                return False
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
