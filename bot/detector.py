"""The second safety detector: a linear model over words, word pairs and letter groups (character n-grams).

It reads a message the way the rules do (bot/safety.py gives it the words) and gives the probability of
each class. Trained on a large labelled corpus by `python -m bot.tools.train_detector`, it catches wording
no rule lists; the rules catch what a few examples cannot teach it. bot/safety.py combines the two.
"""

from __future__ import annotations

import math
import zlib
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import pairwise

from .content.model import BUCKETS, LABELS, DetectorWeights

assert LABELS == ("none", "clinician", "crisis", "emergency"), "scores() sums the labels in this order"

_NGRAMS = (3, 4, 5)
_DENIALS = frozenset({"not", "no", "never", "without", "nothing"})


def _hash(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) % BUCKETS


def features(words: Sequence[str], known: Iterable[str] | frozenset[str] = frozenset(),
             memo: dict[str, list[int]] | None = None) -> list[int]:
    """A message's features: words, adjacent word pairs, and letter groups of the words not in `known`
    (everyday words the content uses need no spelling help, and skipping them keeps long messages fast).
    `memo` keeps one message's words' features while it is read: a long story repeats its words."""
    known = known if isinstance(known, frozenset) else frozenset(known)
    memo = {} if memo is None else memo
    out = [f for w in words for f in (memo[w] if w in memo else _word(w, known, memo))]
    return out + _around(words)


def _around(words: Sequence[str]) -> list[int]:
    """The features of words beside each other: adjacent pairs, and a word just after a denial, which reads
    differently ("not" ... "suicidal") and gets a feature of its own too."""
    out = [_hash(f"b:{a} {b}") for a, b in pairwise(words)]
    denied = [n for n, w in enumerate(words) if w in _DENIALS]
    if denied:
        out += [_hash("n:" + w) for n, w in enumerate(words) if any(n - 3 <= d < n for d in denied)]
    return out


def _word(word: str, known: frozenset[str], memo: dict[str, list[int]]) -> list[int]:
    out = [_hash("w:" + word)]
    if word not in known and len(word) <= 24:
        padded = f"<{word}>"
        out += [_hash("c:" + padded[i:i + n]) for n in _NGRAMS for i in range(len(padded) - n + 1)]
    memo[word] = out
    return out


def sentence_scores(model: DetectorWeights, words: Sequence[str], memo: dict[str, list[float]]) -> list[float]:
    """`scores` of a sentence's `features`, each word's own weighed once a message: a long story repeats its words
    (`memo` keeps them while it is read), and a word's letter groups are most of what is looked up."""
    known = model.plain
    total = scores(model, _around(words))
    for w in words:
        part = memo.get(w)
        if part is None:
            memo[w] = part = scores(model, _word(w, known, {}))
        total[0] += part[0]
        total[1] += part[1]
        total[2] += part[2]
        total[3] += part[3]
    return total


def scores(model: DetectorWeights, feats: Iterable[int]) -> list[float]:
    """The summed weights of the features, per label (no bias): what one part of a message adds."""
    keys, values = model.features, model.values
    size = len(keys)
    # One running sum per label, written out: a loop over the four labels took two thirds of a long message's time.
    none = clinician = crisis = emergency = 0.0
    for f in feats:
        at = bisect_left(keys, f)
        if at < size and keys[at] == f:
            at *= 4
            none += values[at]
            clinician += values[at + 1]
            crisis += values[at + 2]
            emergency += values[at + 3]
    return [none, clinician, crisis, emergency]


def probabilities(model: DetectorWeights, feats: Iterable[int] = (), parts: Iterable[Sequence[float]] = ()
                  ) -> dict[str, float]:
    """The probability of each label for a message with these features (and these parts' summed `scores`)."""
    total = list(model.bias)
    for part in (scores(model, feats), *parts):
        for n, w in enumerate(part):
            total[n] += w
    top = max(total)
    exp = [math.exp(s - top) for s in total]
    whole = sum(exp)
    return {label: e / whole for label, e in zip(LABELS, exp, strict=True)}
