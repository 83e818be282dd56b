"""Stage 1: turn whatever a patient typed into clean, comparable words."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz, process

from .cache import digest

# Contractions and chat shorthand. Apostrophe-less forms are listed too: patients on phones rarely type the apostrophe.
EXPANSIONS = {
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not", "wont": "will not",
    "don't": "do not", "dont": "do not", "doesn't": "does not", "doesnt": "does not",
    "didn't": "did not", "didnt": "did not", "isn't": "is not", "isnt": "is not",
    "aren't": "are not", "arent": "are not", "wasn't": "was not", "wasnt": "was not",
    "weren't": "were not", "shouldn't": "should not", "shouldnt": "should not",
    "wouldn't": "would not", "wouldnt": "would not", "couldn't": "could not", "couldnt": "could not",
    "haven't": "have not", "havent": "have not", "hasn't": "has not", "hasnt": "has not",
    "i'm": "i am", "im": "i am", "i've": "i have", "ive": "i have", "i'll": "i will", "i'd": "i would",
    "you're": "you are", "youre": "you are", "you've": "you have", "you'll": "you will",
    "they're": "they are", "theyre": "they are", "we're": "we are", "it's": "it is",
    "it'll": "it will", "itll": "it will", "they'll": "they will", "theyll": "they will", "that'll": "that will",
    "thatll": "that will", "she'll": "she will", "he'll": "he will", "we'll": "we will",
    "he's": "he is", "hes": "he is", "she's": "she is", "shes": "she is",
    "what's": "what is", "whats": "what is", "that's": "that is", "thats": "that is",
    "there's": "there is", "theres": "there is", "who's": "who is", "whos": "who is",
    "how's": "how is", "hows": "how is", "where's": "where is", "wheres": "where is", "why's": "why is",
    "whys": "why is", "when's": "when is",
    "let's": "let us", "lets": "let us", "y'all": "you all", "gonna": "going to", "wanna": "want to",
    "gotta": "got to", "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please",
    "thx": "thanks", "sideeffects": "side effects", "sideeffect": "side effect", "wat": "what", "wot": "what", "wich": "which", "wnat": "want", "stp": "stop", "goin": "going",
    "takin": "taking", "ty": "thank you", "abt": "about", "bc": "because", "cuz": "because",
    "w/": "with",
}

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
# Emoji sent as a reply, read as the words they stand for ("👍" is an ok, "🤔" a puzzled look, a lone "👋" a goodbye);
# the emoji of harm and death are read by bot/deobfuscate.py.
_EMOJI_WORDS = str.maketrans({"👍": " ok ", "👌": " ok ", "🙏": " thanks ", "🤔": " what do you mean ",
                              "❓": " what do you mean ", "❔": " what do you mean ", "😟": " worried ", "😞": " sad ",
                              "😔": " sad ", "😢": " sad ", "😭": " sad "})
_REPEATS = re.compile(r"(\w)\1{2,}")
_WORD = re.compile(r"w/|[^\W_]+(?:'[^\W_]+)?")
_SPACES = re.compile(r"\s+")
# "25mg" -> "25 mg"; "40th" stays one word, and so does a decade ("back in the 90s"), which counts nothing ("my 50s"
# may be tablets)
_NUMBER_UNIT = re.compile(r"(\d)(?!(?:st|nd|rd|th)\b)(?!(?:(?<=the \d0)|(?<=the \d\d\d0))s\b)([^\W\d_])")
# Where one sentence ends and the next begins, for rules that must see their words together.
SENTENCE = re.compile(r"[.!?;\n]+|\s(?:but|and also|anyway|btw)\s", re.IGNORECASE)  # not "also", "plus": "can i also take", "zoloft plus beer"


# Whole terminal escape sequences (CSI, OSC, and two-byte ones), so no part of one survives as text.
_ESCAPE_SEQ = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")


def clean(text: str) -> str:
    """NFKC-normalise and drop control, format and unpaired characters; safe to echo to a terminal."""
    if text.isascii() and text.isprintable():  # most messages: nothing to drop, and NFKC leaves ASCII as it is
        return _SPACES.sub(" ", text).strip()
    text = _ESCAPE_SEQ.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    if text.isascii() and text.isprintable():
        return _SPACES.sub(" ", text).strip()
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(" " if ch in "\t\n\r\x0b\x0c" else "")
        else:
            kept.append(ch)
    return _SPACES.sub(" ", "".join(kept)).strip()


def split(text: str) -> list[str]:
    """The message's sentences, as typed."""
    return [s for s in SENTENCE.split(text) if s and not s.isspace()]


def words(text: str) -> list[str]:
    """Lowercase words with contractions expanded and emphasis ("sooooo") reduced."""
    text = _REPEATS.sub(r"\1\1", clean(text).casefold().translate(_QUOTES))
    if not text.isascii():
        text = "bye" if text.strip() == "👋" else text.translate(_EMOJI_WORDS)  # a wave with words is a hello
    text = _NUMBER_UNIT.sub(r"\1 \2", text).replace("&", " and ").replace("+", " plus ")  # "g&t", "+ advil?"
    out: list[str] = []
    for word in _WORD.findall(text):
        out.extend(EXPANSIONS.get(word, word).split())
    return [w.replace("'", "") for w in out]


@dataclass(frozen=True)
class Normalized:
    """A message ready for safety and matching."""

    text: str                       # words joined, medicine names in canonical form
    words: tuple[str, ...]
    medicines: tuple[str, ...]      # canonical names, in the order named
    sentences: tuple[tuple[str, ...], ...] = ()  # the words of each sentence, when asked for


class Normalizer:
    """Reads synonyms as their plain form and medicine names, exactly or misspelt, as the generic name.

    Nothing is remembered between calls: a message's words must not outlive its turn.
    """

    def __init__(self, aliases: Mapping[str, str], synonyms: Mapping[str, str] | None = None, *,
                 lexicon: Mapping[str, str] | None = None, min_score: float = 85.0) -> None:
        # aliases: brand, misspelling or generic (possibly several words) -> canonical generic name, for the
        # medicines the documents discuss; lexicon: every other common medicine, read only when spelt right.
        self._aliases = {**(lexicon or {}), **aliases}
        self._medicine_phrases = _phrase_index(self._aliases)
        self._synonyms = {k: tuple(words(v)) for k, v in (synonyms or {}).items()}
        self._synonym_phrases = _phrase_index(self._synonyms)
        self._single: dict[str, list[str]] = {}  # the documents' medicines' names, by first letter
        for alias in aliases:
            if " " not in alias and len(alias) >= 5:
                self._single.setdefault(alias[0], []).append(alias)
        self._real: dict[str, list[str]] = {}  # every medicine name by its first three letters
        for name in self._aliases:
            self._real.setdefault(name[:3], []).append(name)
        self._min_score = min_score
        self.canonical = frozenset(self._aliases.values())

    @cached_property
    def fingerprint(self) -> str:
        """A digest of what this normaliser reads words by, for caches of what was read with it."""
        payload = json.dumps([sorted(self._aliases.items()), sorted(self._synonyms.items()), self._min_score])
        return digest(payload.encode()).hexdigest()

    def __call__(self, text: str, *, sentences: bool = False, exact: bool = False,
                 read_before: Mapping[str, tuple[str, ...]] | None = None) -> Normalized:
        """The message's words; with `sentences`, also each sentence's words (one turn's lookups shared).

        `exact` reads medicine names only as spelt (for text the content itself wrote, such as rules).
        `read_before` maps sentences already read this turn to their words: a second reading of a long message
        (bot/safety.py's, with disguises undone) reads only the sentences that changed. Their medicines are not
        listed again.
        """
        memo: dict[str, str | None] = {}  # this call's lookups only: nothing a patient typed is kept

        def lookup(word: str) -> str | None:
            if exact:
                return self._aliases.get(word)
            if word not in memo:
                memo[word] = self.medicine(word)
            return memo[word]

        parts: tuple[tuple[str, ...], ...] = ()
        if sentences:  # the message is its sentences' words, in order: each read once
            before = read_before or {}
            read = [(list(before[s]), []) if s in before else self._read(words(s), lookup) for s in split(text)]
            parts = tuple(tuple(ws) for ws, _ in read)
            out, meds = [w for ws in parts for w in ws], [m for _, ms in read for m in ms]
        else:
            out, meds = self._read(words(text), lookup)
        return Normalized(" ".join(out), tuple(out), tuple(dict.fromkeys(meds)), parts)

    def _read(self, typed: list[str], lookup: Callable[[str], str | None]) -> tuple[list[str], list[str]]:
        ws = self.rewrite(typed)
        out: list[str] = []
        meds: list[str] = []
        i = 0
        while i < len(ws):
            phrase = _longest(ws, i, self._medicine_phrases)
            name: str | None
            if phrase:
                name = self._aliases[" ".join(phrase)]
                i += len(phrase)
            else:
                word = ws[i]
                name = lookup(word)
                i += 1
                if name is None:
                    out.append(word)
                    continue
            out.append(name.replace(" ", "_"))
            meds.append(name)
        return out, meds

    def rewrite(self, ws: list[str]) -> list[str]:
        """Words with every synonym phrase replaced by its plain form."""
        if not self._synonym_phrases:
            return ws
        out: list[str] = []
        i = 0
        while i < len(ws):
            phrase = _longest(ws, i, self._synonym_phrases)
            if phrase:
                out.extend(self._synonyms[" ".join(phrase)])
                i += len(phrase)
            else:
                out.append(ws[i])
                i += 1
        return out

    def medicine(self, word: str) -> str | None:
        """The canonical medicine a word names, allowing for a typo or two, or None."""
        if word in self._aliases:
            return self._aliases[word]
        if len(word) > 5 and word[-1] == "s" and word[:-1] in self._aliases:  # "paracetamol's", "tylenols"
            return self._aliases[word[:-1]]
        if len(word) < 5 or not word.isalpha():
            return None
        best = process.extractOne(word, self._single.get(word[0], ()), scorer=fuzz.ratio, score_cutoff=self._min_score)
        if best is None:
            return None
        # A name near one of the documents' medicines may be nearer still to another medicine's: the nearer wins, so
        # a real medicine is never read as another ("fluvoxamin" is fluvoxamine, not fluoxetine). The lexicon's own
        # thousands of names are read only when spelt right: near enough to them, everyday words ("control",
        # "convulsing") would be read as medicines.
        near = process.extractOne(word, self._real.get(word[:3], []), scorer=fuzz.ratio, score_cutoff=best[1])
        if near is not None and near[1] > best[1]:
            best = near
        return self._aliases[best[0]] if best else None


def _phrase_index(phrases: Mapping[str, object]) -> dict[str, list[tuple[str, ...]]]:
    """First word -> the phrases (as word tuples) starting with it, longest first."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted(phrases, key=lambda p: len(p.split()), reverse=True):
        index.setdefault(phrase.split()[0], []).append(tuple(phrase.split()))
    return index


def _longest(ws: list[str], i: int, index: Mapping[str, list[tuple[str, ...]]]) -> tuple[str, ...] | None:
    """The longest indexed phrase starting at ws[i], if any."""
    for phrase in index.get(ws[i], ()):
        if tuple(ws[i : i + len(phrase)]) == phrase:
            return phrase
    return None
