"""Stage 3: score a message against every intent's examples.

Each example becomes a weighted bag of words and word pairs (weights favour words few
intents use). Four signals are blended:

- similarity to the closest example, and to the intent as a whole (cosine, via an
  inverted index, so only examples sharing a word are touched);
- rapidfuzz's token ratio against the best few intents' examples, which forgives word
  order and small slips the bag of words misses;
- a naive Bayes posterior over the same features, which is better at choosing between
  intents than at saying whether any intent fits; so it reweights, and the similarity
  decides whether to answer at all.

Words the content never uses count against a match, and questions the documents don't
answer (intents/out_of_scope.yaml) compete as one more "intent": both push off-topic
messages to the fallback. Everything not depending on the message is computed at load.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rapidfuzz import fuzz, process

from .cache import load_state, save_state, state_key
from .content import Content, Weights
from .normalize import Normalized, Normalizer

OUT_OF_SCOPE = "(out of scope)"   # the pseudo-intent of intents/out_of_scope.yaml
# Words too common to tell intents apart; everything else is weighted by how few intents use it.
STOP = frozenset(["a", "an", "the", "to", "of", "and", "or", "so", "just", "really", "please", "um", "uh", "like", "very", "any", "some", "is", "are", "am", "was", "be", "it", "its", "this", "that", "these", "those", "they", "them", "again"])
MED, OTHER_MED = "med", "othermed"
CANDIDATES = 6  # intents whose examples are compared one by one
# Per word and intent, the examples where the word weighs most: the nearest example is found
# among them, so a turn costs about the same at 100 times the examples (see bench/README.md).
POSTINGS_CAP = 64
NEAREST = 16  # nearest examples (by cosine) that rapidfuzz re-scores
_CUTOFF = 82  # how like a content word (fuzz.ratio) an unknown word must be to be read as it


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


def features(tokens: Sequence[str]) -> list[str]:
    """Words and adjacent word pairs."""
    return [*tokens, *(f"{a} {b}" for a, b in itertools.pairwise(tokens))]


def _unit(vec: Mapping[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
    return {f: w / norm for f, w in vec.items()}


class Matcher:
    """Scores messages against the intents of one Content."""

    def __init__(self, content: Content, normalizer: Normalizer, weights: Weights | None = None,
                 *, cache: bool = True) -> None:
        self.w = weights if weights is not None else content.settings.weights
        self._normalize = normalizer
        self._by_length: dict[int, list[str]] = {}  # the content's words a typo of each length may be
        key = _state_key(content, self.w)
        state = cache and load_state(key)
        if state:
            self.__dict__.update(state)
        else:
            self._build(content)
            if cache:
                save_state(key, {name: _plain(getattr(self, name)) for name in _STATE})

    def _build(self, content: Content) -> None:
        """Everything that depends on the content and not on the message."""
        self._med_token = {name.replace(" ", "_"): (f"{MED} class_{m.cls}" if m.in_documents else OTHER_MED)
                           for name, m in content.medicines.items()}
        rows = [(i.id, e) for i in content.intents for e in (i.question, *i.examples)]
        rows += [(OUT_OF_SCOPE, e) for e in content.out_of_scope]
        examples = [(iid, tuple(self.tokens(text))) for iid, text in rows]
        self._texts = [text for _, text in rows]
        self._rows: dict[str, list[int]] = defaultdict(list)
        for idx, (iid, _) in enumerate(examples):
            self._rows[iid].append(idx)
        df: dict[str, set[str]] = defaultdict(set)
        for iid, toks in examples:
            for feat in features(toks):
                df[feat].add(iid)
        n = len(self._rows)
        self._idf = {f: math.log(1 + n / len(ids)) for f, ids in df.items()}
        self._oov_weight = math.log(1 + n) * self.w.oov
        self._vocab_set = frozenset(t for _, toks in examples for t in toks)
        self._vocab = sorted(t for t in self._vocab_set if t.isalpha() and len(t) >= 3)
        # Word order does not matter to token_sort_ratio, so sort once here and compare with plain ratio.
        self._sorted = [" ".join(sorted(toks)) for _, toks in examples]
        index: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
        centroid: dict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
        local = {idx: n for rows in self._rows.values() for n, idx in enumerate(rows)}
        for idx, (iid, toks) in enumerate(examples):
            for feat, weight in self._vector(toks).items():
                index[feat][iid].append((local[idx], weight))  # position among the intent's examples
                centroid[iid][feat] += weight
        # Postings are kept flat, (position, weight, position, weight, ...): a tuple per posting was a tenth of
        # the bot's memory. Each is bounded, so the work per turn stays put however large the content grows.
        self._index = {feat: {iid: _flat(sorted(hits, key=lambda hit: hit[1], reverse=True)[:POSTINGS_CAP]
                                         if len(hits) > POSTINGS_CAP else hits)
                              for iid, hits in by_intent.items()}
                       for feat, by_intent in index.items()}
        centroid_index: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for iid, vec in centroid.items():
            for feat, weight in _unit(vec).items():
                centroid_index[feat].append((iid, weight))
        self._centroid_index = {feat: _flat(pairs) for feat, pairs in centroid_index.items()}
        self._bayes_fit(examples)

    def _bayes_fit(self, examples: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        """Log probabilities of each feature under each intent (additive smoothing)."""
        alpha = self.w.bayes_alpha
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for iid, toks in examples:
            counts[iid].update(features(toks))
        size = len(self._idf)
        self._log_unseen = {iid: math.log(alpha / (sum(c.values()) + alpha * size)) for iid, c in counts.items()}
        seen: dict[str, list[tuple[str, float]]] = defaultdict(list)  # feature -> (intent, log p - unseen)
        for iid, c in counts.items():
            total = sum(c.values()) + alpha * size
            for feat, k in c.items():
                seen[feat].append((iid, math.log((k + alpha) / total) - self._log_unseen[iid]))
        self._log_seen = {feat: _flat(pairs) for feat, pairs in seen.items()}

    def tokens(self, text: str | Normalized) -> list[str]:
        """Stemmed words, stop words dropped, medicine names read as their class."""
        out: list[str] = []
        for word in (self._normalize(text) if isinstance(text, str) else text).words:
            if word in self._med_token:
                out.extend(self._med_token[word].split())
            elif word not in STOP:
                out.append(stem(word))
        return out

    def _vector(self, tokens: Sequence[str], *, query: bool = False) -> dict[str, float]:
        vec: dict[str, float] = {}
        for feat in features(tokens):
            weight = self._idf.get(feat)
            if weight is None:
                if not query or " " in feat:
                    continue
                weight = self._oov_weight  # an unknown word: the message is about something else
            vec[feat] = weight
        return _unit(vec)

    def rarity(self, token: str) -> float:
        """How few intents use a token (its inverse document frequency); 0 for a word the content never uses."""
        return self._idf.get(token, 0.0)

    def correct(self, word: str) -> str:
        """An unknown word read as the closest word the content uses, if one is close enough."""
        if word in self._vocab_set or len(word) < 4 or not word.isalpha():
            return word
        single = re.sub(r"(.)\1+", r"\1", word)  # "cbtt", "pleese" after emphasis was cut to two letters
        if single in self._vocab_set:
            return single
        best = process.extractOne(word, self._near_in_length(len(word)), scorer=fuzz.ratio, score_cutoff=_CUTOFF)
        return best[0] if best else word

    def _near_in_length(self, size: int) -> list[str]:
        """The content's words long enough and short enough to reach the cut-off with a word of `size` letters
        (in their usual order, so the choice among equals is as before): a third of the words to compare."""
        if size not in self._by_length:
            # fuzz.ratio is 100 * (1 - distance / (a + b)), and the distance is at least the lengths' difference.
            self._by_length[size] = [w for w in self._vocab if abs(len(w) - size) <= (1 - _CUTOFF / 100) * (len(w) + size)]
        return self._by_length[size]

    def rank(self, text: str | Normalized, *, limit: int = 5, memo: dict[str, str] | None = None) -> list[Match]:
        """The best intents for a message, best first; scores run from 0 to 1.

        `memo` holds one turn's word corrections, shared by the turn's several readings (nothing is kept after it).
        """
        memo = {} if memo is None else memo
        toks = [memo[t] if t in memo else memo.setdefault(t, self.correct(t)) for t in self.tokens(text)]
        # "what is it" with nothing before it: the known words say too little to pick any intent.
        if sum(self._idf.get(t, 0.0) for t in set(toks)) < self.w.evidence:
            return []
        qvec = self._vector(toks, query=True)
        # The whole-intent similarity and naive Bayes cost the same however many examples there are,
        # so they pick the candidates; only the candidates' own examples are then compared one by one.
        whole: dict[str, float] = defaultdict(float)
        for feat, weight in qvec.items():
            items = iter(self._centroid_index.get(feat, ()))
            for iid, cw in zip(items, items, strict=True):
                whole[iid] += weight * cw
        post = self._posterior(toks)
        c, fw, bw = self.w.centroid, self.w.fuzz, self.w.bayes
        candidates = sorted(whole, key=lambda i: whole[i] * ((1 - bw) + bw * post.get(i, 0.0)), reverse=True)
        query = " ".join(sorted(toks))
        out: list[Match] = []
        postings = [(weight, self._index[feat]) for feat, weight in qvec.items() if feat in self._index]
        for iid in candidates[: max(CANDIDATES, limit)]:
            rows = self._rows[iid]
            sims = self._similarities(iid, postings)
            near = _nearest(sims, len(rows))
            sim = (1 - c) * sims.get(near[0], 0.0) + c * whole[iid]
            ratio = process.extractOne(query, [self._sorted[rows[n]] for n in near], scorer=fuzz.ratio)[1] / 100
            base = (1 - fw) * sim + fw * ratio * min(1.0, sim * 2)
            out.append(Match(iid, base * ((1 - bw) + bw * post.get(iid, 0.0)), self._texts[rows[near[0]]]))
        out.sort(key=lambda m: m.score, reverse=True)
        return out[:limit]

    @staticmethod
    def _similarities(iid: str, postings: list[tuple[float, dict[str, tuple[Any, ...]]]]) -> dict[int, float]:
        """Cosine with each of an intent's examples that shares a feature with the message (by position): only the
        few the capped postings reach are touched, however many examples the intent has."""
        sims: dict[int, float] = {}
        get = sims.get
        for weight, by_intent in postings:
            flat = by_intent.get(iid)
            if flat:
                items = iter(flat)  # _pairs inlined: this loop is a fifth of a turn
                for n, ew in zip(items, items, strict=True):
                    sims[n] = get(n, 0.0) + weight * ew
        return sims

    def _posterior(self, toks: Sequence[str]) -> dict[str, float]:
        """Naive Bayes over known features, softened by a temperature so it reweights rather than decides."""
        known = [f for f in features(toks) if f in self._log_seen]
        size = len(known)
        loglik = {iid: v * size for iid, v in self._log_unseen.items()}
        for feat in known:
            items = iter(self._log_seen[feat])
            for iid, gain in zip(items, items, strict=True):
                loglik[iid] += gain
        if not known:
            return {}
        top = max(loglik.values())
        t = self.w.bayes_temperature
        exp = {iid: math.exp((v - top) / t) for iid, v in loglik.items()}
        total = sum(exp.values())
        return {iid: v / total for iid, v in exp.items()}


# What _build computes: saved to the cache and restored from it, so a start-up skips the work.
_STATE = ("_med_token", "_texts", "_rows", "_idf", "_oov_weight", "_vocab_set", "_vocab", "_sorted", "_index",
          "_centroid_index", "_log_unseen", "_log_seen")


# Weights are kept to four places: equal floats then share one object in the marshalled cache (about 3 MB less
# resident), and no score moves a ranking at that precision (every corpus re-scored alike).
ROUND = 4


def _nearest(sims: dict[int, float], size: int) -> list[int]:
    """The NEAREST examples: the most similar first, ties and then the examples sharing no word by position."""
    near = sorted(sorted(sims), key=sims.__getitem__, reverse=True)[:NEAREST]
    if len(near) < NEAREST:
        near += itertools.islice((n for n in range(size) if n not in sims), NEAREST - len(near))
    return near


def _flat(pairs: Sequence[tuple[Any, float]]) -> tuple[Any, ...]:
    """Pairs as one flat tuple, (a, x, b, y, ...): read back two at a time."""
    return tuple(item for key, weight in pairs for item in (key, round(weight, ROUND)))


def _plain(value: Any) -> Any:
    """defaultdicts (nested too) as dicts, so marshal can store them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _state_key(content: Content, weights: Weights) -> str:
    """Changes whenever anything the index is built from changes: the examples, names, words or weights."""
    return state_key(
        "matcher",
        [(i.id, i.question, i.examples) for i in content.intents], content.out_of_scope,
        sorted(content.aliases().items()), sorted(content.synonyms.items()),
        sorted((m.name, m.cls, m.in_documents) for m in content.medicines.values()), sorted(asdict(weights).items()),
    )
