"""Stage 3: score a message against every intent's examples.

Each example becomes a weighted bag of words and word pairs (weights favour words that
few intents use). A message is compared with every example through an inverted index
(cosine similarity), then the best few intents are re-scored with rapidfuzz's token
ratio, which forgives word order and small slips the bag of words misses. Words the
content never uses count against a match, which is what sends off-topic questions to
the fallback. Everything that does not depend on the message is computed at load.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from .content import Content
from .normalize import Normalized, Normalizer

# Words too common to tell intents apart; everything else is weighted by how few intents use it.
STOP = frozenset("a an the to of and or so just really please um uh like very any some".split())
MED, OTHER_MED = "med", "othermed"
RERANK = 6          # intents re-scored with rapidfuzz
FUZZ_WEIGHT = 0.35  # share of the final score that comes from rapidfuzz


@dataclass(frozen=True)
class Match:
    """One intent's score for a message, and the example that scored it."""

    intent: str
    score: float
    example: str


def stem(word: str) -> str:
    """A plural to its singular, and no more: stronger stemming merged words that matter here."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


class Matcher:
    """Scores messages against the intents of one Content."""

    def __init__(self, content: Content, normalizer: Normalizer) -> None:
        self._normalize = normalizer
        self._med_token = {name.replace(" ", "_"): (f"{MED} class_{m.cls}" if m.in_documents else OTHER_MED)
                           for name, m in content.medicines.items()}
        self._examples: list[tuple[str, str, tuple[str, ...]]] = []  # intent, example text, its tokens
        for intent in content.intents:
            for example in (intent.question, *intent.examples):
                self._examples.append((intent.id, example, tuple(self.tokens(normalizer(example)))))
        df: dict[str, set[str]] = defaultdict(set)
        for iid, _, toks in self._examples:
            for feat in self._features(toks):
                df[feat].add(iid)
        n = len(content.intents)
        self._idf = {f: math.log(1 + n / len(ids)) for f, ids in df.items()}
        self._oov_weight = math.log(1 + n)
        self._vocab = sorted({t for _, _, toks in self._examples for t in toks if t.isalpha() and len(t) >= 4})
        self._vocab_set = frozenset(t for _, _, toks in self._examples for t in toks)
        self._index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._joined: list[str] = []
        for idx, (_, _, toks) in enumerate(self._examples):
            vec = self._vector(toks)
            for feat, weight in vec.items():
                self._index[feat].append((idx, weight))
            self._joined.append(" ".join(toks))
        self.intent_ids = tuple(i.id for i in content.intents)

    def tokens(self, norm: Normalized) -> list[str]:
        """Stemmed words, stop words dropped, medicine names as their class."""
        out: list[str] = []
        for word in norm.words:
            if word in self._med_token:
                out.extend(self._med_token[word].split())
            elif word not in STOP:
                out.append(stem(word))
        return out

    @staticmethod
    def _features(tokens: Sequence[str]) -> list[str]:
        return [*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))]

    def _vector(self, tokens: Sequence[str], *, query: bool = False) -> dict[str, float]:
        vec: dict[str, float] = {}
        for feat in self._features(tokens):
            weight = self._idf.get(feat)
            if weight is None:
                if not query or " " in feat:
                    continue
                weight = self._oov_weight  # an unknown word: the message is about something else
            vec[feat] = weight
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {f: w / norm for f, w in vec.items()}

    @lru_cache(maxsize=8192)
    def correct(self, word: str) -> str:
        """An unknown word read as the closest word the content uses, if one is close enough."""
        if word in self._vocab_set or len(word) < 4 or not word.isalpha():
            return word
        best = process.extractOne(word, self._vocab, scorer=fuzz.ratio, score_cutoff=82)
        return best[0] if best else word

    def rank(self, text: str, *, limit: int = 5) -> list[Match]:
        """The best intents for a message, best first; scores run from 0 to 1."""
        norm = self._normalize(text)
        toks = [self.correct(t) for t in self.tokens(norm)]
        if not toks:
            return []
        qvec = self._vector(toks, query=True)
        sims: dict[int, float] = defaultdict(float)
        for feat, weight in qvec.items():
            for idx, ew in self._index.get(feat, ()):
                sims[idx] += weight * ew
        best: dict[str, tuple[float, int]] = {}
        for idx, sim in sims.items():
            iid = self._examples[idx][0]
            if sim > best.get(iid, (0.0, -1))[0]:
                best[iid] = (sim, idx)
        top = sorted(best.items(), key=lambda kv: kv[1][0], reverse=True)[:RERANK]
        joined = " ".join(toks)
        out: list[Match] = []
        for iid, (sim, idx) in top:
            ratio = max(fuzz.token_sort_ratio(joined, self._joined[i]) for i in self._intent_rows(iid)) / 100
            out.append(Match(iid, (1 - FUZZ_WEIGHT) * sim + FUZZ_WEIGHT * ratio * min(1.0, sim * 2),
                             self._examples[idx][1]))
        out.sort(key=lambda m: m.score, reverse=True)
        return out[:limit]

    @lru_cache(maxsize=None)
    def _intent_rows(self, intent_id: str) -> tuple[int, ...]:
        return tuple(i for i, (iid, _, _) in enumerate(self._examples) if iid == intent_id)
