"""Stage 2: escalation. Runs before matching on every turn, on the whole message; what it finds always wins.

The engine compiles the rules content hands it (bot/content/safety_file.py reads the rule file). A rule
fires when, within one sentence (or two short ones side by side), each of its groups has a phrase present
and none of its `unless` phrases is. Words are read as messages are (synonyms, medicine names to the
generic), in any inflection ("wants", "highest"), and key words tolerate one typo. The words around
the rule's own tell what it means (NegEx/ConText): a denial, a time long past, a question in general,
someone else. Each rule says what those do to it. A disguised message ("su1c1de", "k.i.l.l", emoji) gets
a second reading with the disguise undone, and the statistical detector (bot/detector.py), when content
has one, may raise a finding the rules missed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .cache import digest, from_plain, load_state, save_state, state_key, to_plain
from .content.model import (
    AFTER_CLINICIAN,
    AFTER_CRISIS,
    AFTER_EMERGENCY,
    CONTEXT,
    GAP,
    MEDICINE,
    DetectorWeights,
    Phrase,
    RuleSpec,
    SafetyRules,
)
from .content.safety_file import is_word
from .deobfuscate import NUMBERS, fold, unaccented
from .detector import features, probabilities, sentence_scores
from .lexicon import Lexicon, from_lines
from .morphology import base_forms
from .normalize import SENTENCE, Normalized, Normalizer, split, words
from .phrases import PhraseIndex
from .reply import ESCALATIONS, Escalation, stronger

_NEGATION_REACH = 4  # a denial covers this many words after it ("I have not taken any of my pills")
_CARRY_DENIED = 1  # a word a denial stands right before is not carried to the next sentence ("I'm not pregnant. What is ...")
_NEAR = 6  # words either side of a rule's own that the detector confirms it by
_ASKED_DANGER = 0.5  # a "what is <medicine>?" the detector reads as less likely than this to be about danger (Safety._story)
_SENTENCE_ENDS = re.compile(f"({SENTENCE.pattern})", re.IGNORECASE)  # the sentences, and what ended each
_FIRST_REACH = 3  # "I", "me", "my" this soon after a rule's words make a general question one's own
_PAST_REACH = 12  # a time long past this near ("years ago I overdosed"), not "... my pain has been bad this week"
_WINDOW_WORDS = 12  # two sentences side by side are read together when this short in all,
_SHORT = 4  # and one of them this short ("took them. all 30.")
_UPGRADE = 0.9  # the detector this sure may raise the class a rule found (bot/tools/train_detector.py)
_SURE = 0.99  # the detector this sure of danger overrides a rule's denial
_SURE_EVERYDAY = 0.999  # ... and an everyday doing a reviewer named as such ("a lethal combo", "bridge club")
_STRETCH = 24  # the words a rule's groups must meet within in a long sentence (a rule may set its own: `within`)
_DETECT_WHOLE = 80  # a broad rule in a longer message asks the detector about its own sentence and neighbours
# What the start-up cache keeps of a compiled Safety, besides its phrase index.
_STATE = ("rules", "_pieces", "cues", "_base", "_exact", "_stems",
          "_context", "_after_crisis", "_after_emergency", "_after_clinician", "_triggers")
Outcome = Escalation | str  # a class, or "info": a general answer with the help lines


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
    context: Mapping[str, str]
    max_words: int = 0
    within: int = 0
    personal: bool = False
    confirm: bool = False
    reply: str | None = None
    asked: bool = False  # a statement of what one takes, asking nothing, does not meet it

    def fires(self, present: Mapping[int, int],
              within: Callable[[int, Mapping[int, int], Sequence[frozenset[int]]], bool] | None = None) -> bool:
        """Whether the rule fires on a sentence with these phrase ids present (id -> where). `within` says whether
        an `unless` phrase is only part of a phrase of the rule's groups, and so does not count."""
        here = False  # a rule fires on what this sentence says, not on earlier turns alone (-1: said before)
        for group in self.groups:
            if group.isdisjoint(present):
                return False
            here = here or any(present[p] >= 0 for p in group if p in present)
        if not here:
            return False
        hits = self.unless.intersection(present)
        if not hits or within is None:
            return not hits
        return all(within(p, present, self.groups) for p in hits)


@dataclass(frozen=True)
class Finding:
    """What the safety check found: the class (or "info"), the rule, and whether it is about someone else."""

    cls: Outcome
    rule: Rule
    other: bool = False      # about someone else: a child, a partner, a friend
    modifiers: tuple[str, ...] = ()
    where: int = 0           # the sentence it was found in
    excused: bool = False    # the rule fired, but a denial, a time long past or a general question set it aside
    near: tuple[str, ...] = ()  # the words around the rule's own: what the detector confirms it by
    # It rests on the conversation (the medicine named before, the reply just before): the detector, which reads this
    # message alone, cannot confirm it ("what about breastfeeding after" following "and if im pregnant?"). A phrase
    # said turns before ("I'm pregnant") is no such ground: a finding resting on it still needs confirming.
    contextual: bool = False

    @property
    def escalation(self) -> Escalation | None:
        return self.cls if self.cls in ESCALATIONS else None


class Safety:
    """The compiled rules: which escalation, if any, a message calls for."""

    def __init__(self, spec: SafetyRules, normalizer: Normalizer, known: Collection[str] = (),
                 detector: DetectorWeights | None = None, *, typical: Sequence[str] = ()) -> None:
        """`known`: words of the intents' examples (real words, never typos); `typical`: messages like those
        patients send (the examples), to learn which of a rule's groups is rarest and so worth trying it by."""
        self.detector = detector
        self.normalizer = normalizer
        self.known = frozenset(known)
        # Compiling reads some twenty thousand phrases through the normaliser: the start-up cache keeps the result.
        key = spec.digest and state_key("safety", spec.digest, normalizer.fingerprint, sorted(self.known),
                                        digest("\n".join(typical).encode()).hexdigest())
        state = load_state(key) if key else None
        if state is not None:
            try:
                self._restore(state)
                return
            except (KeyError, TypeError, ValueError):  # a cache from older code is just rebuilt
                pass
        self._build(spec, typical)
        if key:
            save_state(key, {"index": {k: v for k, v in vars(self.index).items() if k != "_ids"}, **{k: to_plain(getattr(self, k)) for k in _STATE}})

    def _restore(self, state: dict[str, Any]) -> None:
        self.index = PhraseIndex()
        vars(self.index).update(state["index"])  # all but the phrase -> id map, rebuilt if ever needed
        for name in _STATE:
            setattr(self, name, from_plain(state[name], {"Rule": Rule}))
        self._derive()

    def _derive(self) -> None:
        # The rules read messages in their own words; the detector in the words of the day it was trained.
        self.lexicon = Lexicon.of(self._base, self._exact, self._stems, self.known)
        saved = from_lines(self.detector.reads) if self.detector is not None else None
        self.detector_lexicon = self.lexicon if saved is None or saved == self.lexicon else saved
        # Most words read alike in both: the detector takes the rules' reading of those, and reads only the rest.
        self._alike = self.detector_lexicon.alike(self.lexicon) if self.detector_lexicon is not self.lexicon else frozenset()
        # The phrases that stand for the conversation so far: the medicine named before, the replies before.
        self._turn_tokens = frozenset((self._context, self._after_crisis, self._after_emergency, self._after_clinician))

    def _build(self, spec: SafetyRules, typical: Sequence[str]) -> None:
        normalizer = self.normalizer
        self.index = PhraseIndex({MEDICINE: frozenset(m.replace(" ", "_") for m in normalizer.canonical)})
        self._read: dict[str, tuple[str, ...]] = {}  # the rules' own word runs, each read once while compiling
        plain = {w for r in spec.rules for g in (*r.groups, r.unless) for p in g for w in p if is_word(w)}
        plain |= {w for phrases in spec.cues.values() for p in phrases for w in p if is_word(w)}
        self._base = base_forms(w for run in plain for w in normalizer(run, exact=True).words)
        self.rules = tuple(sorted((self._compile(s) for s in spec.rules if s.groups),
                                  key=lambda r: ESCALATIONS.index(r.cls)))
        # Rules for scripts written without spaces ("我不想活了"): pieces of text, found anywhere in the message.
        self._pieces = [(piece, self._compile(s)) for s in spec.rules for piece in s.text]
        self.cues = {name: frozenset(self.index.add(self._words(p)) for p in phrases)
                     for name, phrases in spec.cues.items()}
        del self._read
        self._exact, self._stems = self.index.vocabulary()
        self._context = self.index.add((CONTEXT,))
        self._after_crisis = self.index.add((AFTER_CRISIS,))
        self._after_emergency = self.index.add((AFTER_EMERGENCY,))
        self._after_clinician = self.index.add((AFTER_CLINICIAN,))
        self._derive()
        # phrase id -> the rules whose rarest group holds it: a rule is only tried where that group has a phrase.
        # A group of everyday words ("i", "my", "should") would make every sentence try it; how often each
        # phrase occurs is counted on typical messages.
        self._triggers: dict[int, list[int]] = {}
        seen: Counter[int] = Counter()
        heads: dict[str, Any] = {}
        for text in typical:
            for sentence in self.normalizer(text, sentences=True).sentences:
                seen.update(self.index.present(self._read_words(sentence, {}), heads))

        def cost(group: frozenset[int]) -> int:
            return sum(seen[p] for p in group) * 10 + len(group)

        for n, rule in enumerate(self.rules):
            for pid in min(rule.groups, key=cost):
                self._triggers.setdefault(pid, []).append(n)

    # -- compiling ----------------------------------------------------------------------------------
    def _compile(self, spec: RuleSpec) -> Rule:
        def group(phrases: tuple[Phrase, ...]) -> frozenset[int]:
            # A phrase written with accents ("el corazón a mil") is also found without them: patients type both, and
            # the second, undisguised reading drops them (bot/deobfuscate.py).
            spelt = dict.fromkeys(q for p in phrases for q in (p, tuple(map(unaccented, p))))
            return frozenset(self.index.add(self._words(q)) for q in spelt)

        # A message that looks disguised is read a second time with number words as digits ("after a bad 1"): an
        # `unless` phrase must excuse that reading too.
        unless = spec.unless + tuple(_as_digits(p) for p in spec.unless if any(w in NUMBERS for w in p))
        return Rule(spec.id, spec.cls, spec.comment, tuple(group(g) for g in spec.groups), group(unless),
                    spec.suggest, spec.line, spec.context, spec.max_words, spec.within, spec.personal, spec.confirm, spec.reply,
                    asked=spec.asked)

    def _words(self, phrase: Phrase) -> Phrase:
        """A phrase as messages are read: runs of plain words through the normaliser to their base forms."""
        out: list[str] = []
        run: list[str] = []
        for token in (*phrase, GAP):
            if is_word(token):
                run.append(token)
                continue
            if run:
                key = " ".join(run)
                if key not in self._read:
                    self._read[key] = tuple(self._base.get(w, w) for w in self.normalizer(key, exact=True).words)
                out.extend(self._read[key])
                run = []
            out.append(token)
        return tuple(out[:-1])

    # -- checking -----------------------------------------------------------------------------------
    def check_all(self, message: str | Normalized, *, medicine: str | None = None, after_crisis: bool = False,
                  after_emergency: bool = False, after_clinician: bool = False, earlier: Collection[int] = (),
                  text: str | None = None, holds: set[int] | None = None) -> Finding | None:
        """The strongest escalation the message calls for, or None.

        `medicine` is the medicine the conversation last named: given one, `@context` is present, so that a follow-up
        such as "what about with a beer?" is read as being about it; `after_crisis` says the conversation has had
        a crisis or emergency reply, `after_clinician` that the reply just before was the clinician's ("for a 15
        yo?" follows a dose question). `text` is the message as typed, for the second, undisguised reading.
        `earlier` are phrases said before in the conversation that still hold ("I'm 12 weeks pregnant"); given
        `holds`, the phrases of this message that will (the `carry_turns` cue) are added to it.
        """
        message_text = message if isinstance(message, str) else text  # what `message` was read from
        if isinstance(message, str):
            text = message if text is None else text
            message = self.normalizer(message, sentences=True)
        extra: dict[int, int] = {}
        if medicine:
            # Only `@context` stands for the medicine named earlier: were it to count as named in this message too,
            # every rule about a named medicine would fire on any later statement ("I'm exhausted", a symptom word).
            extra = {self._context: -1}
        if after_crisis:
            extra[self._after_crisis] = -1
        if after_emergency:
            extra[self._after_emergency] = -1
        if after_clinician:
            extra[self._after_clinician] = -1
        extra.update(dict.fromkeys(earlier, -1))
        memo: dict[str, tuple[str, ...]] = {}
        checked = _Checked()  # windows read once need no second reading
        read = [self._read_words(s, memo) for s in message.sentences]
        findings = self._check(read, len(message.words), extra, checked, text)
        sentences = message.sentences
        if holds is not None:
            keep = self.cues.get("carry_turns", frozenset())
            holds.update(p for found in checked.found.values() for p in (found.keys() - _denied(found, self.cues)) & keep)
        folded = fold(text) if text is not None else None
        if folded is not None and folded != text:
            # Only the sentences undoing the disguise changed are read again ("k.i.l.l" in one of forty).
            first = split(text) if text is not None and text == message_text else []
            before = dict(zip(first, message.sentences, strict=False)) if len(first) == len(message.sentences) else {}
            second = self.normalizer(folded, sentences=True, read_before=before)
            first_read = dict(zip(message.sentences, read, strict=True))  # most sentences are as they were
            read = [first_read.get(s) or self._read_words(s, memo) for s in second.sentences]
            findings += self._check(read, len(second.words), extra, checked, folded)
            sentences = second.sentences  # the detector reads it undisguised
        if text is not None:
            findings += self._piece_findings(text)
        # "I take Cymbalta for my neuropathy", "my nan takes duloxetine 30": which medicine, and no question; "been on
        # nortriptyline 6 wks ... what even is nortriptyline": what it is. The detector has seen such words mostly in
        # questions to the clinician; on its own it does not escalate them. Not where something else said makes it
        # one ("Just found out I'm pregnant. I'm on duloxetine 60."). The phrase tests first: reading the words again
        # for a question is the dearest part, and seldom needed.
        cue = self.cues.get
        held, found = cue("carry_turns", frozenset()), checked.found.values()
        what_is = any(not cue("what_is", frozenset()).isdisjoint(f) for f in found)
        stated = text is not None and held.isdisjoint(earlier) and all(held.isdisjoint(f) for f in found) and (
            what_is or any(not cue("use_statement", frozenset()).isdisjoint(f) for f in found) and _asks_nothing(text))
        reading = None
        if self.detector is not None:
            own = self.detector_lexicon is not self.lexicon
            mine: dict[str, tuple[str, ...]] = {}
            reading = _Reading(self, [self.detector_lexicon.read_words(s, mine, memo, self._alike) for s in sentences]
                               if own else read)
        told = self._story(text, message, reading) if stated and what_is and text is not None else frozenset()
        return self._decide(findings, reading, stated=stated, everyday=checked.everyday, told=told)

    def _story(self, text: str, message: Normalized, reading: _Reading | None) -> frozenset[int]:
        """The sentences that tell what led to a question asking what a medicine is ("His doctor started him on
        mirtazapine for his pain and low mood. What is mirtazapine exactly?"): a broad clinician rule fired in one of
        them does not turn the question into a clinician one. None unless every question names the medicine and the
        detector reads it, alone, as no danger: "vet prescribed my dog fluoxetine. can i just give him my prozac, same
        thing right" asks the prescriber, "... the pharmacy changed the brand. same thing?" names none."""
        if reading is None or len(reading.read) != len(message.sentences):
            return frozenset()
        named = self.normalizer.canonical
        told: list[bool] = []
        # Sentence by sentence, stopping at the first question that fails: a long story seldom gets far.
        for n, said in enumerate(_told(text)):
            if n >= len(message.sentences) or not said and not (
                    any(w.replace("_", " ") in named for w in message.sentences[n]) and reading.alone(n) < _ASKED_DANGER):
                return frozenset()
            told.append(said)
        if len(told) != len(message.sentences) or all(told):
            return frozenset()
        return frozenset(n for n, said in enumerate(told) if said)

    def rule_findings(self, text: str) -> list[Finding]:
        """What the rules alone find in a message (for training and reviewing the detector)."""
        findings: list[Finding] = []
        for reading in dict.fromkeys((text, fold(text))):
            norm = self.normalizer(reading, sentences=True)
            findings += self._check([self._read_words(s, {}) for s in norm.sentences], len(norm.words), {})
        return findings + self._piece_findings(text)

    def _piece_findings(self, text: str) -> list[Finding]:
        """The rules for scripts written without spaces whose pieces the message holds."""
        if not self._pieces or text.isascii():
            return []
        lowered = text.casefold()
        return [Finding(rule.cls, rule) for piece, rule in self._pieces if piece in lowered]

    def _decide(self, findings: list[Finding], reading: _Reading | None, *, stated: bool = False,
                everyday: Collection[int] = (), told: Collection[int] = ()) -> Finding | None:
        """The rules' strongest finding that stands, or the detector's own when it is sure and stronger.

        A rule marked `confirm` stands only when the detector sees danger too, around the sentence it fired in;
        with no detector it stands. `stated`: the message says which medicine is taken and asks nothing, or asks
        what a medicine is, so the detector alone does not make it a clinician question. `everyday`: sentences that
        tell an everyday wish or doing ("I just want to sleep through the night"), which the detector alone does not
        escalate unless it is all but certain.
        """
        best: Finding | None = None
        # Sentences a rule read as a denial, a time long past or a general question (and found nothing else in)
        # are left out of what the detector judges on its own: "I didn't overdose. How does therapy help?"
        denied = {f.where for f in findings if f.excused} - {f.where for f in findings if not f.excused}
        excused = denied | set(everyday)
        # Strongest class first (in order within a class), so a finding that could not change the outcome is
        # never weighed by the detector: a long story's hundred clinician findings after one that stands.
        for finding in sorted(findings, key=lambda f: _rank(f.cls)):
            cls = finding.escalation
            if finding.excused or not _could_change(best, finding):
                continue
            if stated and finding.rule.asked:  # "I take amitriptyline 10mg at night": told, not asked
                continue
            if cls == "clinician" and finding.rule.confirm and finding.where in told:
                continue
            if (cls and finding.rule.confirm and not finding.contextual and reading is not None
                    and reading.danger(finding.where, finding.near) < self._threshold(f"confirm.{cls}")):
                continue
            best = _stronger(best, finding)
        if reading is not None:
            probs = reading.whole_message(without=excused)
            if excused:  # unless the detector is all but certain of danger in them anyway ("not suicidal, i just
                whole = reading.whole_message()  # wish i wouldn't wake up")
                sure = _SURE if denied else _SURE_EVERYDAY
                probs = {cls: whole[cls] if whole[cls] >= sure else p for cls, p in probs.items()}
            for cls in ESCALATIONS:
                bar = self._threshold(f"alone.{cls}")
                if best is not None and best.escalation:  # raising what a rule found takes more (train_detector.UPGRADE)
                    bar = max(bar, _UPGRADE)
                if stated and cls == "clinician":
                    continue
                if probs[cls] >= bar and _rank(cls) < _rank(best.cls if best else "none"):
                    # The situation a rule of the same class saw, though it did not stand alone ("a side effect
                    # now"), still picks the fitted reply.
                    fitted = next((f.rule.reply for f in findings if f.rule.cls == cls and f.rule.reply), None)
                    rule = Rule("detector", cls, f"the statistical detector: {cls} with probability {probs[cls]:.2f}",
                                (), frozenset(), (), 0, {}, reply=fitted)
                    return Finding(cls, rule)
        return best

    def _threshold(self, name: str) -> float:
        assert self.detector is not None
        return self.detector.thresholds.get(name, 1.01)  # an absent threshold never fires

    def _check(self, read: Sequence[tuple[str, ...]], size: int, extra: Mapping[int, int],
               checked: _Checked | None = None, text: str | None = None) -> list[Finding]:
        """The findings in each window of the sentences. `checked` holds what windows read before found: a
        window read again with the same phrases carried into it is skipped, so a long message's second,
        undisguised reading only reads what undoing the disguise changed. `text`: what the sentences were read from."""
        findings: list[Finding] = []
        checked = _Checked() if checked is None else checked
        heads: dict[str, Any] = {}  # this message's words' phrase starts, dropped with it
        uses = self._uses(read, text, checked, heads) if text is not None and len(read) > 1 else frozenset()
        carried: dict[int, int] = {}  # what an earlier sentence named ("my sertraline. can i stop?")
        carry = self.cues.get("carry", frozenset())
        sight = self.cues.get("in_sight", carry)  # what puts a medicine in sight for "it" and "them"
        pronouns = self.cues.get("pronouns", frozenset())
        everyday = self.cues.get("everyday", frozenset())
        for n, window, new in _windows(list(read)):
            seen = window in checked.found
            found = checked.found[window] if seen else self.index.present(_clocked(window), heads)
            checked.found[window] = found
            # "it" and "them" stand for a medicine only once one is in sight, named in this sentence, an earlier one
            # or an earlier turn: in "I only get them twice a week" they are the migraines.
            named = self._context in extra or not sight.isdisjoint(carried) or not sight.isdisjoint(found)
            if not seen or checked.fired.get(window) != carried.keys():
                # "I'm not pregnant" here: "pregnant", said turns before, no longer holds in this sentence.
                held = extra
                if not extra.keys().isdisjoint(found):
                    denied = _denied(found, self.cues)
                    held = {p: at for p, at in extra.items() if p not in denied}
                fired = self._fired({**carried, **found, **held}, window, size, n,
                                    frozenset() if named else pronouns, extra.keys() & self._turn_tokens)
                if n in uses or (not new and n - 1 in uses and len(read[n]) > _SHORT):
                    # "I take sertraline 100mg every morning. What does SSRI stand for?": what is taken, told; a rule
                    # that needs a question about it (`asked`) looks only at the question, with the medicine carried.
                    # A terse question still leans on the telling before it ("on 25mg quetiapine. whats the max?").
                    fired = [f for f in fired if not f.rule.asked]
                findings += fired
                checked.fired[window] = set(carried)
            if new:
                # "I'm not pregnant. What's mirtazapine?": what a sentence denies is not carried into the next.
                carried.update(dict.fromkeys((found.keys() - _denied(found, self.cues)) & carry, -1))
                if not everyday.isdisjoint(found):
                    checked.everyday.add(n)
        return findings

    def _uses(self, read: Sequence[tuple[str, ...]], text: str, checked: _Checked, heads: dict[str, Any]
              ) -> frozenset[int]:
        """The sentences, in a message that asks in another, that only tell which medicine (and dose) is taken."""
        told = _Told(text)
        if len(told) != len(read):
            return frozenset()
        use = self.cues.get("use_statement", frozenset())
        out = set()
        for n, sentence in enumerate(read):
            if not _MORE_THAN_USE.isdisjoint(sentence):
                continue
            if sentence not in checked.found:  # read here once, as the windows would
                checked.found[sentence] = self.index.present(_clocked(sentence), heads)
            dose = any(w[:1].isdigit() for w in sentence) and any(w in self.normalizer.canonical for w in sentence)
            if (dose or not use.isdisjoint(checked.found[sentence])) and told[n]:
                out.add(n)
        # Only where another sentence asks: a message of tellings alone is `stated` (check_all).
        return frozenset(out) if out and any(not told[n] for n in range(len(read)) if n not in out) else frozenset()

    def reading(self, text: str, *, rules: bool = False) -> list[tuple[str, ...]]:
        """The message's sentences as the detector reads them (or, `rules`, as the rules do), disguises undone."""
        memo: dict[str, tuple[str, ...]] = {}
        lexicon = self.lexicon if rules else self.detector_lexicon
        return [lexicon.read_words(s, memo) for s in self.normalizer(fold(text), sentences=True).sentences]

    def explain(self, text: str) -> list[str]:
        """The phrases found in each sentence, for a reviewer tuning rules (never logged)."""
        memo: dict[str, tuple[str, ...]] = {}
        return [" | ".join(" ".join(self.index.phrases[p]) for p in sorted(self.index.present(self._read_words(s, memo))))
                for s in self.normalizer(text, sentences=True).sentences]

    def _read_words(self, sentence: tuple[str, ...], memo: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        """A sentence's words as the rules read them (bot/lexicon.py)."""
        return self.lexicon.read_words(sentence, memo)

    def _fired(self, present: dict[int, int], window: tuple[str, ...], size: int, where: int,
               blind: frozenset[int] = frozenset(), before: Collection[int] = ()) -> list[Finding]:
        """The findings of the rules that fire, after what the words around them say. `blind`: phrases a
        clinician rule may not count here (a pronoun with no medicine in sight); `before`: what earlier turns hold."""
        candidates = sorted({n for pid in present for n in self._triggers.get(pid, ())})
        out: list[Finding] = []
        stretches = _Stretches(self.index, window)
        sighted = {p: at for p, at in present.items() if p not in blind} if blind.intersection(present) else present
        for n in candidates:
            rule = self.rules[n]
            seen = sighted if rule.cls == "clinician" else present
            if (rule.max_words and size > rule.max_words) or not rule.fires(seen, self._within):
                continue
            # A long run-on sentence: the rule's groups must meet within one stretch of it, not be pooled from its two
            # ends ("... two kids under five ... for three years I've had cramps ... an antidepressant"). Not for
            # crisis, whose words are told far apart in a story ("I drove out to the bridge ... and sat there for an
            # hour thinking how easy it would be"), unless its rule says how near.
            width = rule.within or (_STRETCH if rule.cls != "crisis" else 0)
            if width and len(window) > width + width // 4 and len(rule.groups) > 1 \
                    and not stretches.meet(rule, seen, width):
                continue
            finding = self._judge(rule, seen, window, where)
            if before and any(all(p in before for p in group if p in seen) for group in rule.groups):
                finding = replace(finding, contextual=True)
            out.append(finding)
        return out

    def _within(self, pid: int, present: Mapping[int, int], groups: Sequence[frozenset[int]]) -> bool:
        """Whether phrase `pid` is only part of a longer phrase of the rule's own: the "can" of "can not finish"
        is no "can it ...?" question."""
        phrases = self.index.phrases
        at, size = present[pid], len(phrases[pid])
        return any(present[p] <= at and at + size <= present[p] + len(phrases[p]) and len(phrases[p]) > size
                   for group in groups for p in group if p in present and GAP not in phrases[p])

    def _judge(self, rule: Rule, present: dict[int, int], window: tuple[str, ...], where: int) -> Finding:
        """The rule's finding once denials, times long past, general questions and other people are read."""
        anchor = min((present[p] for p in rule.groups[0] if p in present), default=0)
        # A time long past may be told after the medicine rather than after the person: "I came off citalopram
        # with my GP's help two years ago".
        evidence = [present[p] for group in rule.groups for p in group if p in present and present[p] >= 0] or [anchor]
        seen = self._modifiers(present, anchor, window, personal=rule.personal, evidence=evidence)
        near = window[max(0, anchor - _NEAR):max(0, anchor) + _NEAR + 1]
        outcome: Outcome = rule.cls
        for modifier in ("negated", "accidental", "past", "general"):
            if modifier in seen:
                effect = rule.context.get(modifier, "keep")
                if effect == "drop":
                    return Finding(rule.cls, rule, modifiers=tuple(seen), where=where, excused=True, near=near)
                if effect != "keep":
                    outcome = effect
                    break
        other = "other" in seen and rule.context.get("other", "keep") == "keep"
        return Finding(outcome, rule, other, tuple(seen), where, near=near)

    def _modifiers(self, present: dict[int, int], anchor: int, window: tuple[str, ...], *,
                   personal: bool = False, evidence: Sequence[int] = ()) -> list[str]:
        cues = self.cues
        seen: list[str] = []
        if any(anchor - _NEGATION_REACH <= present[p] < anchor for p in cues.get("negation", ()) if p in present):
            seen.append("negated")
        def close_by(cue: str) -> bool:
            return any(abs(present[p] - at) <= _PAST_REACH for p in cues.get(cue, ()) if p in present
                       for at in (anchor, *evidence))
        # "at school" is long past in "when I was 14, at school, I took a load" but not in "a seizure at school today".
        if close_by("past") or close_by("past_unless_now") and not any(p in present for p in cues.get("now", ())):
            seen.append("past")
            if any(p in present for p in cues.get("accident", ())):  # long past, and no one meant it
                seen.append("accidental")
        firsts = [present[p] for p in cues.get("first_person", ()) if p in present]
        others = [present[p] for p in cues.get("other", ()) if p in present and present[p] <= anchor]
        asked = any(present[p] == 0 for p in cues.get("general", ()) if p in present)
        studied = any(p in present for p in cues.get("study", ()))  # a leaflet, an essay, a character in a book
        # "is it a myth that antidepressants make people suicidal? I read an article": the "I" long after the words
        # is the reader, not the one in danger.
        near = [f for f in firsts if f <= anchor + _FIRST_REACH]
        if ((asked or studied) and not near) or (personal and not firsts and not others):
            seen.append("general")
        if others and max(others) >= max((f for f in firsts if f < anchor), default=-1):
            seen.append("other")
        return seen


class _Stretches:
    """A sentence read in stretches of a given width, half overlapping, each read when first needed."""

    def __init__(self, index: PhraseIndex, window: tuple[str, ...]) -> None:
        self.index, self.window = index, window
        self._found: dict[tuple[int, int], dict[int, int]] = {}  # (width, start) -> the stretch's phrases

    def meet(self, rule: Rule, present: Mapping[int, int], width: int) -> bool:
        """Whether some stretch `width` words long has a phrase of every group of the rule (one from earlier
        sentences or turns counts in any)."""
        before = {p: at for p, at in present.items() if at < 0}
        step = max(1, width // 2)
        for start in range(0, max(1, len(self.window) - step), step):
            if (width, start) not in self._found:
                self._found[width, start] = self.index.present(self.window[start:start + width])
            if rule.fires({**before, **self._found[width, start]}):
                return True
        return False


@dataclass
class _Checked:
    """One message's windows as read so far: the phrases each has, and the phrases carried into it when judged."""

    found: dict[tuple[str, ...], dict[int, int]] = field(default_factory=dict)
    fired: dict[tuple[str, ...], set[int]] = field(default_factory=dict)
    everyday: set[int] = field(default_factory=set)  # sentences with an everyday wish or doing in them (cue `everyday`)


class _Reading:
    """The detector's view of one message: whole when short; a long one sentence by sentence, each read with
    its neighbours, so a long story is not pooled into one reading. Probabilities are worked out when asked,
    each sentence's features weighed once."""

    def __init__(self, safety: Safety, read: Sequence[tuple[str, ...]]) -> None:
        assert safety.detector is not None
        self.model = safety.detector
        self.read = list(read)
        self.whole = sum(len(s) for s in read) <= _DETECT_WHOLE
        self._scores: dict[int, list[float]] = {}
        self._probs: dict[int, dict[str, float]] = {}
        self._memo: dict[str, list[int]] = {}  # this message's words' features, dropped with it
        self._weights: dict[str, list[float]] = {}  # ... and what each weighs
        self._danger: dict[tuple[int, tuple[str, ...]], float] = {}

    def around(self, where: int) -> dict[str, float]:
        """The probabilities for the sentence `where` with the one before and after it (or the whole message)."""
        key = -1 if self.whole else where
        if key not in self._probs:
            sentences = range(len(self.read)) if self.whole else range(max(0, where - 1), min(len(self.read), where + 2))
            self._probs[key] = probabilities(self.model, parts=[self._sentence(n) for n in sentences])
        return self._probs[key]

    def danger(self, where: int, near: Sequence[str] = ()) -> float:
        """How sure the detector is that the sentence `where` is about danger: read with its neighbours, alone, or
        just the words around the rule's own (so that "hi, I have had back pain for years", or "thanks, sorry for
        the long message" run on after it, does not dilute what matters)."""
        key = (where, tuple(near))
        if key not in self._danger:
            readings = [self.around(where)]
            if where < len(self.read):
                readings.append(probabilities(self.model, parts=[self._sentence(where)]))
            if near:
                readings.append(probabilities(self.model, features(near, self.model.plain, self._memo)))
            self._danger[key] = 1 - min(r["none"] for r in readings)
        return self._danger[key]

    def alone(self, n: int) -> float:
        """How sure the detector is that the sentence `n`, read by itself, is about danger."""
        return 1 - probabilities(self.model, parts=[self._sentence(n)])["none"]

    def whole_message(self, without: Collection[int] = ()) -> dict[str, float]:
        """The probabilities for the whole message (but the sentences `without`), as the detector was trained."""
        if without or -1 not in self._probs:
            kept = [n for n in range(len(self.read)) if n not in without]
            probs = probabilities(self.model, parts=[self._sentence(n) for n in kept])
            if without:
                return probs
            self._probs[-1] = probs
        return self._probs[-1]

    def _sentence(self, n: int) -> list[float]:
        if n not in self._scores:
            self._scores[n] = sentence_scores(self.model, self.read[n], self._weights)
        return self._scores[n]


def _denied(found: Mapping[int, int], cues: Mapping[str, frozenset[int]]) -> set[int]:
    """The phrases found that a denial stands right before ("I'm not pregnant"): they hold nothing for later."""
    denials = [found[p] for p in cues.get("negation", ()) if p in found]
    return {p for p, at in found.items() if any(0 < at - d <= _CARRY_DENIED for d in denials)} if denials else set()


def _windows(sentences: list[tuple[str, ...]]) -> Iterator[tuple[int, tuple[str, ...], bool]]:
    """(sentence number, words, whether the sentence is read alone): each sentence, and each two side by side
    when one is short and both together are short ("took them. all 30.")."""
    for n, sentence in enumerate(sentences):
        if n and min(len(sentence), len(sentences[n - 1])) <= _SHORT \
                and len(sentence) + len(sentences[n - 1]) <= _WINDOW_WORDS:
            yield n, sentences[n - 1] + sentence, False
        yield n, sentence, True


# Words that make a message ask something, whatever its punctuation ("im on 150 of venlafaxine what if i skip it").
_ASKING = frozenset("what how why when which who should ok okay safe fine alright problem".split())
_ASKS_FIRST = frozenset("is are does do will would can could".split())  # a question when it opens a sentence
_ASK_PAIRS = ("is that", "is it", "is this", "are they", "are these", "do i", "can i", "should i", "will it", "does it",
              "would it", "could i", "is there", "any good", "enough")  # ... or anywhere ("I'm on 10mg, is that a proper dose")


# A number that tells the time of day is read as this word, which a rule may use ("clocktime pm"); "#" and the counts
# in a rule's lists never match it.
_CLOCK = "clocktime"
_CLOCK_BEFORE = frozenset("at by around about till until since from before after".split())


def _clocked(window: tuple[str, ...]) -> tuple[str, ...]:
    """The words as the rules read them: a number that tells the time is `_CLOCK` ("took my pills at 10 pm" counts
    no pills). The detector reads the numbers as they are."""
    if not any(w in ("pm", "am", "oclock", "clock") for w in window):
        return window
    return tuple(_CLOCK if w.isdigit() and _clock_time(window, i) else w for i, w in enumerate(window))


def _clock_time(ws: Sequence[str], i: int) -> bool:
    """Whether the number at ws[i] is a time of day: "2 pm", "9 o clock", "at 2 am" (but "took 8 am i ok" is a count)."""
    after = ws[i + 1] if i + 1 < len(ws) else ""
    if after in ("pm", "oclock") or after == "o" and i + 2 < len(ws) and ws[i + 2] == "clock":
        return True
    return after == "am" and i > 0 and ws[i - 1] in _CLOCK_BEFORE



# Words that tell of a state or a change, which a statement of use may carry ("... n i feel like a zombie").
_TELLING = frozenset("feel feeling felt worse better weird like zombie sick dizzy tired "
                     "anxious expecting pregnant breastfeeding nursing stopped stop missed forgot extra double "
                     "upped increased lowered but".split())
_STATEMENT_WORDS = 12  # a statement of which medicine longer than this says more than that
# Words that make a sentence say more than which medicine is taken (a change, a feeling, another medicine, a
# weight), as the rules read them: "2 extra tramadol at lunch", "she weighs 42kg and is also taking Buscopan".
_MORE_THAN_USE = _TELLING | frozenset("also weigh weighs whenever instead more another extra double stop miss forget "
                                      "up increase lower feel pregnant expect breastfeed nurse".split())


class _Told:
    """Whether each sentence of a text (as `split` finds them) only tells, worked out when asked: a long message
    seldom needs more than a few."""

    def __init__(self, text: str) -> None:
        parts = _SENTENCE_ENDS.split(text)  # sentences and, between them, what ended each
        self.sentences = [(parts[n], parts[n + 1] if n + 1 < len(parts) else "") for n in range(0, len(parts), 2)
                          if parts[n] and not parts[n].isspace()]
        self._memo: dict[int, bool] = {}

    def __len__(self) -> int:
        return len(self.sentences)

    def __getitem__(self, n: int) -> bool:
        if n not in self._memo:
            self._memo[n] = _only_tells(*self.sentences[n])
        return self._memo[n]


def _only_tells(sentence: str, end: str) -> bool:
    """No question mark after it, no asking word, no question's opening."""
    said = words(sentence)
    opening = said[1:2] if said[:1] in (["and"], ["so"], ["but"], ["also"]) else said[:1]  # "and is 300mg normal"
    return "?" not in end and not _asking(said) and not (opening and opening[0] in _ASKS_FIRST)


def _told(text: str) -> Iterator[bool]:
    """For each sentence (as `split` finds them), whether it only tells."""
    told = _Told(text)
    return (told[n] for n in range(len(told)))


def _asks_nothing(text: str) -> bool:
    """A short statement: no question mark, no asking word, and nothing of a state or a change."""
    if "?" in text:
        return False
    said = words(text)
    if len(said) > _STATEMENT_WORDS or _asking(said) or not _TELLING.isdisjoint(said):
        return False
    return _ASKS_FIRST.isdisjoint(ws[0] for ws in map(words, split(text)) if ws)


def _asking(said: Sequence[str]) -> bool:
    """Whether the words have an asking word or an asking pair anywhere ("what", "is that", "should i")."""
    joined = f" {' '.join(said)} "
    return not _ASKING.isdisjoint(said) or any(f" {pair} " in joined for pair in _ASK_PAIRS)


def _as_digits(phrase: Phrase) -> Phrase:
    """The phrase with its number words as the second reading writes them ("one" as "1")."""
    return tuple(str(NUMBERS[w]) if w in NUMBERS else w for w in phrase)


def _rank(cls: Outcome) -> int:
    return ESCALATIONS.index(cls) if cls in ESCALATIONS else len(ESCALATIONS)


def _could_change(best: Finding | None, finding: Finding) -> bool:
    """Whether `_stronger(best, finding)` could be `finding`."""
    if best is None or _rank(finding.cls) < _rank(best.cls):
        return True
    return _rank(finding.cls) == _rank(best.cls) and best.rule.reply is None and finding.rule.reply is not None


def _stronger(a: Finding | None, b: Finding | None) -> Finding | None:
    """The stronger class; of two of one class, the first whose rule has a reply fitted to the situation."""
    if a is None or b is None:
        return a or b
    if _rank(b.cls) == _rank(a.cls):
        return b if a.rule.reply is None and b.rule.reply is not None else a
    return b if _rank(b.cls) < _rank(a.cls) else a


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


__all__ = ["Finding", "Rule", "Safety", "example_words", "stronger"]
