"""Train the statistical safety detector and write intents/detector.tsv.

    pip install '.[train]'                      # scikit-learn, for training only
    python -m bot.tools.train_detector          # reads tests/safety/, the intents, writes intents/detector.tsv

Every labelled message the project has is used: the safety corpora and the blind sets folded into
tests/safety/ (labelled by file or by `expect`/`label`), the held-out questions and every intent example
(`none`). The messages are read the way the bot reads them (bot/safety.py), so the features at training
and at run time are the same. The thresholds that combine it with the rules are chosen on out-of-fold
probabilities (5-fold cross-validation), never on a set whose figure is reported.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..content import load_content
from ..content.model import LABELS
from ..detector import features
from ..dialogue import Bot
from .evaluate import tests_dir, variants

FOLDS = 5
KEEP = 60_000  # features kept, by their largest weight


def corpus(bot: Bot, folder: Path, without: Sequence[Path] = ()) -> list[tuple[str, str]]:
    """Every labelled message: (text, label); `without` leaves files out (to measure on them)."""
    out: list[tuple[str, str]] = []
    skip = {p.resolve() for p in without}
    for path in sorted(folder.rglob("*.yaml")):
        if path.resolve() in skip:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            continue
        default = {"clinician.yaml": "clinician", "crisis.yaml": "crisis", "emergency.yaml": "emergency",
                   "near_miss.yaml": "none"}.get(path.name)
        for case in data.get("cases", []):
            text, label = _labelled(case, default)
            if text and label in LABELS and not (isinstance(case, dict) and case.get("ambiguous")):
                out.append((text, label))
        # Of conversations only the turns that need no escalation: an escalating turn's label often rests on the
        # turns before it ("and can I double it?"), but one that needs none needs none alone either.
        for conversation in data.get("conversations", []):
            for turn in conversation.get("turns", []) if isinstance(conversation, dict) else ():
                text = turn.get("user") or turn.get("text") if isinstance(turn, dict) else None
                if isinstance(text, str) and turn.get("expect", 0) in (None, "none", "null"):
                    out.append((text, "none"))
    # The folded blind conversations: a patient's turns that need no escalation, feelings and all ("it scares me",
    # "so tired of this", "since my husband died") that our single-message corpora had too few of.
    for path in sorted((tests_dir() / "conversations" / "blind").glob("*.yaml")):
        for conversation in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("conversations", []):
            for turn in conversation.get("turns", []):
                wanted = turn.get("expect") if isinstance(turn.get("expect"), list) else [turn.get("expect")]
                if not turn.get("ambiguous") and not any(str(w) in LABELS[1:] for w in wanted):
                    out.append((turn["text"], "none"))
    heldout = yaml.safe_load((tests_dir() / "eval" / "heldout.yaml").read_text(encoding="utf-8"))
    out += [(c["text"], "none") for c in heldout["cases"]]
    out += [(e, "none") for i in bot.content.intents for e in (i.question, *i.examples)]
    out += [(e, "none") for e in bot.content.out_of_scope]
    return out


def _labelled(case: Any, default: str | None) -> tuple[str | None, str | None]:
    if isinstance(case, str):
        return case, default
    if not isinstance(case, dict):
        return None, None
    text = case.get("text") or case.get("user")
    label = case.get("label", case.get("expect", default))
    label = "none" if label in (None, "none", "null") else label
    return (text if isinstance(text, str) else None), label


def featurize(bot: Bot, texts: Sequence[str]) -> list[list[int]]:
    known = bot.safety.known
    # Sentence by sentence, as the bot reads a message (no word pair across two sentences), in the rules' words of
    # today: the lexicon written beside the weights, which the detector reads with from then on.
    return [[f for s in bot.safety.reading(t, rules=True) for f in features(s, known)] for t in texts]


def _matrix(rows: Sequence[Sequence[int]]) -> Any:
    from scipy.sparse import csr_matrix

    from ..content.model import BUCKETS
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for row in rows:
        counts = Counter(row)
        indices.extend(counts)
        data.extend(1.0 for _ in counts)  # presence, not counts: a long message is not more of a class
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(rows), BUCKETS))


def fit(x: Any, y: Sequence[int], c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit(x, y)
    return model


def folds(n: int, k: int, seed: int = 7) -> Iterator[tuple[list[int], list[int]]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    for f in range(k):
        test = order[f::k]
        held = set(test)
        yield [i for i in order if i not in held], test


# How the rules and the detector are combined is chosen out of fold, to catch the most of each class (weighted
# by how much a miss costs) while escalating no more than MAX_FALSE of the messages that need no escalation.
MAX_FALSE = 0.04
WEIGHT = {"clinician": 1.0, "crisis": 3.0, "emergency": 2.0}
# The detector escalates on its own only when this sure. Out of fold, 0.6 looked safe on our corpora's hard
# negatives, but in the folded blind conversations it escalated ordinary feelings ("honestly it scares me", "so
# tired of this"): 13 needless escalations in 255 turns. Our corpora are not patients' conversations.
ALONE_FLOOR = 0.9
ALONE = [0.9, 0.93, 0.96, 0.98, 0.99, 1.01]
CONFIRM = [0.0, 0.01, 0.02, 0.05, 0.08, 0.12, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01]


# The detector alone raises a class the rules found (clinician to emergency) only when this sure: "I took my
# dose twice this morning" is a question for a pharmacist, however often "took ... twice" comes with an overdose.
UPGRADE = 0.9


def decide(p: Sequence[float], firm: int, broad: int, alone: Sequence[float], confirm: Sequence[float]) -> int:
    """The class (index into LABELS) the combination gives one message, for thresholds indexed by class."""
    ruled = max(firm, broad if 1 - p[0] >= confirm[broad] else 0)
    for k in range(len(LABELS) - 1, 0, -1):
        if ruled >= k:
            return k
        if p[k] >= (max(alone[k], UPGRADE) if ruled else alone[k]):
            return k
    return 0


def choose_thresholds(probs: Sequence[Sequence[float]], y: Sequence[int], firm: Sequence[int],
                      broad: Sequence[int]) -> dict[str, float]:
    """`alone.<class>` (the probability at which the detector escalates with no rule) and `confirm.<class>` (the
    danger probability, 1 - P(none), a broad rule needs from the detector). Greedy: from the strictest, loosen
    the one threshold, to whichever looser value, that catches most (weighted) per false escalation it adds, while
    the false escalations stay within MAX_FALSE (looking past the next notch: a notch that catches nothing more
    must not stop the search). `firm` and `broad` are the strongest class (index, 0 for none) that
    the rules without and with `confirm` found in each message. All on out-of-fold probabilities."""
    rows = list(zip(probs, y, firm, broad, strict=True))
    negatives = sum(label == 0 for label in y)
    totals = {k: sum(label >= k for label in y) for k in range(1, len(LABELS))}

    def score(a: list[int], c: list[int]) -> tuple[float, int]:
        alone = [1.01] + [ALONE[i] for i in a]
        confirm = [1.01] + [CONFIRM[i] for i in c]
        caught = dict.fromkeys(totals, 0)
        false = 0
        for p, label, f, b in rows:
            got = decide(p, f, b, alone, confirm)
            false += got > 0 and label == 0
            for k in totals:
                caught[k] += label >= k and got >= k
        gain = sum(WEIGHT[LABELS[k]] * caught[k] / max(1, totals[k]) for k in totals)
        return gain, false

    a, c = [len(ALONE) - 1] * 3, [len(CONFIRM) - 1] * 3
    gain, false = score(a, c)
    while True:
        moves = []
        for n in range(3):
            for which in (a, c):
                was = which[n]
                for looser in range(was - 1, -1, -1):
                    which[n] = looser
                    g, f = score(a, c)
                    if f > MAX_FALSE * negatives:
                        break
                    if g > gain:
                        moves.append(((g - gain) / (f - false + 1), -(was - looser), which, n, looser, g, f))
                which[n] = was
        if not moves:
            break
        _, _, which, n, looser, gain, false = max(moves, key=lambda m: (m[0], m[1]))
        which[n] = looser
    out: dict[str, float] = {}
    for n, k in enumerate(range(1, len(LABELS))):
        out[f"alone.{LABELS[k]}"], out[f"confirm.{LABELS[k]}"] = ALONE[a[n]], CONFIRM[c[n]]
    out["false"] = round(false / max(1, negatives), 4)  # out of fold, for the record
    return out


def suite_floor(bot: Bot, model: Any, thresholds: dict[str, float]) -> dict[str, float]:
    """`confirm.<class>` no higher than our own suites need: every message of tests/safety/<class>.yaml, in every
    variant (a typo, no punctuation, capitals, a friendly sentence around it), that a broad rule catches must stand.
    Those suites are the regression gate (`psychoed eval --safety`); the greedy choice never sees variants."""
    out: dict[str, float] = {}
    blind = [c for path in sorted((tests_dir() / "safety").glob("blind-*.yaml"))
             for c in yaml.safe_load(path.read_text(encoding="utf-8")).get("cases", []) if not c.get("ambiguous")]
    for k in range(1, len(LABELS)):
        cls = LABELS[k]
        path = tests_dir() / "safety" / f"{cls}.yaml"
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
        texts = [v for case in cases for v in variants(case if isinstance(case, str) else case["text"])]
        texts += [c["text"] for c in blind if c.get("expect") == cls]  # the folded blind sets, as written
        firm, broad = rule_classes(bot, texts)
        # As Safety's confirm reads it: the whole, each sentence alone, and the words around each broad rule's own.
        readings = [bot.safety.reading(t, rules=True) for t in texts]
        danger = []
        for text, sentences in zip(texts, readings, strict=True):
            parts = [list(sentences)] + [[s] for s in sentences]
            parts += [[f.near] for f in bot.safety.rule_findings(text) if f.rule.confirm and f.near]
            rows = _matrix([[f for s in part for f in features(s, bot.safety.known)] for part in parts])
            danger.append(max(1 - p[0] for p in model.predict_proba(rows)))
        needed = [d for d, f, b in zip(danger, firm, broad, strict=True) if b >= k > f]
        if needed:
            floor = max((v for v in CONFIRM if v <= min(needed)), default=0.0)
            out[f"confirm.{cls}"] = min(thresholds[f"confirm.{cls}"], floor)
        # What no rule catches, the detector alone must: down to ALONE_FLOOR, never below (there, a rule must).
        alone = [max(p[k] for p in model.predict_proba(_matrix([[f for s in sentences for f in features(s, bot.safety.known)]])))
                 for sentences, f, b in zip(readings, firm, broad, strict=True) if max(f, b) < k]  # whole, as at run time
        reachable = [p for p in alone if p >= ALONE_FLOOR]
        if reachable:
            floor = max((v for v in ALONE if v <= min(reachable)), default=ALONE_FLOOR)
            out[f"alone.{cls}"] = min(thresholds[f"alone.{cls}"], max(floor, ALONE_FLOOR))
    return out


def rule_classes(bot: Bot, texts: Sequence[str]) -> tuple[list[int], list[int]]:
    """For each message, the strongest class (index) the firm rules and the broad (`confirm`) rules found."""
    firm: list[int] = []
    broad: list[int] = []
    for text in texts:
        found = [f for f in bot.safety.rule_findings(text) if f.escalation and not f.excused]
        firm.append(max((LABELS.index(f.cls) for f in found if not f.rule.confirm), default=0))
        broad.append(max((LABELS.index(f.cls) for f in found if f.rule.confirm), default=0))
    return firm, broad


def train(out: Path, c: float, without: Sequence[Path] = ()) -> str:
    bot = Bot(load_content())
    rows = corpus(bot, tests_dir() / "safety", without)
    texts = [t for t, _ in rows]
    y = [LABELS.index(label) for _, label in rows]
    x = _matrix(featurize(bot, texts))
    oof: list[list[float]] = [[0.0] * len(LABELS) for _ in rows]
    for train_idx, test_idx in folds(len(rows), FOLDS):
        model = fit(x[train_idx], [y[i] for i in train_idx], c)
        for i, p in zip(test_idx, model.predict_proba(x[test_idx]), strict=True):
            oof[i] = [float(v) for v in p]
    # What the rules alone find in each message, firm and broad, for choosing how to combine them.
    firm, broad = rule_classes(bot, texts)
    thresholds = choose_thresholds(oof, y, firm, broad)
    model = fit(x, y, c)
    thresholds.update(suite_floor(bot, model, thresholds))
    coef = model.coef_.T  # features x labels
    strength = abs(coef).max(axis=1)
    kept = sorted(range(coef.shape[0]), key=lambda f: -strength[f])[:KEEP]
    plain = sorted(bot.safety.known)
    lines = ["# The statistical safety detector (bot/detector.py): bias, thresholds, then a feature's weight per",
             f"# label ({' '.join(LABELS)}). Built by `python -m bot.tools.train_detector` from {len(rows):,} labelled",
             "# messages; do not edit by hand.",
             "bias " + " ".join(f"{v:.4f}" for v in model.intercept_),
             *(f"threshold {k} {v}" for k, v in sorted(thresholds.items())),
             # The words read without letter groups, fixed here: the detector must read as it was trained,
             # whatever words the intents' examples later use.
             *("plain " + " ".join(plain[n:n + 100]) for n in range(0, len(plain), 100)),
             # ... and the rules' words, as they read messages today (bot/lexicon.py), for the same reason.
             *bot.safety.lexicon.lines(),
             *(f"{f} " + " ".join(f"{v:.3f}" for v in coef[f]) for f in sorted(kept) if strength[f] > 1e-3)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = Counter(label for _, label in rows)
    return f"{len(rows):,} messages ({dict(counts)}); thresholds {thresholds}; written to {out}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.train_detector", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("intents/detector.tsv"))
    parser.add_argument("-C", type=float, default=4.0, help="inverse regularisation strength")
    parser.add_argument("--without", type=Path, nargs="*", default=[], help="corpus files to leave out")
    args = parser.parse_args()
    print(train(args.out, args.C, args.without))


if __name__ == "__main__":
    main()
