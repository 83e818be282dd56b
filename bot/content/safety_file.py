"""The safety files: intents/safety.yaml to rule specs, responses/safety.yaml to regions and reply templates.

The rule language (the header of intents/safety.yaml explains it to clinicians): a phrase is words
in order; `word*` matches a prefix, `..` skips up to three words, `#` is any number and `@list`
inside a phrase stands for each of the list's phrases. Two lists are built in: `@medicine` (every
medicine the lexicon names) and `@context` (the medicine the conversation named earlier). This module
checks the files and expands the lists; the engine in bot/safety.py reads the words as messages are read.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

from ..errors import ContentError
from ..normalize import words
from ..reply import ESCALATIONS
from .model import (
    AFTER_CLINICIAN,
    AFTER_CRISIS,
    AFTER_EMERGENCY,
    CONTEXT,
    CUES,
    GAP,
    MEDICINE,
    MODIFIERS,
    NUMBER,
    OUTCOMES,
    REGION_KEYS,
    SAFETY_REPLIES,
    SPECIAL,
    Phrase,
    Region,
    RuleSpec,
    SafetyReplies,
    SafetyRules,
)
from .schema import fields, hint, items, text
from .yamlfile import LineDict, LineList

_LIST_REF = re.compile(r"(@\w+)")
DENIALS = frozenset({"not", "no", "never", "nor", "neither", "without", "nothing", "none", "dont", "don't", "do", "did"})
_NUMBER_TOKEN = re.compile(r"#(\d+\+)?")
_MAX_COMBINATIONS = 5000


def rule_specs(data: LineDict, path: Path, *, intent_ids: Collection[str]) -> SafetyRules:
    """Check intents/safety.yaml and expand its lists; ContentError names the line of any problem."""
    fields(data, path, required=("lists", "rules"), optional=("cues", "context"), what="safety.yaml")
    lists: dict[str, tuple[Phrase, ...]] = {
        "medicine": ((MEDICINE,),), "context": ((CONTEXT,),),
        "after_crisis": ((AFTER_CRISIS,),), "after_emergency": ((AFTER_EMERGENCY,),),
        "after_clinician": ((AFTER_CLINICIAN,),)}
    raw_lists = data["lists"]
    if not isinstance(raw_lists, LineDict):
        raise ContentError("'lists' must map names to lists of phrases", path=path, line=data.lines["lists"])
    for name, value in raw_lists.items():
        if name in lists:
            raise ContentError(f"'{name}' is a built-in list; choose another name", path=path, line=raw_lists.lines[name])
        lists[name] = _phrases(value, lists, path, raw_lists.lines[name])
    raw_cues = fields(data.get("cues") or LineDict(), path, optional=CUES, what="cues")
    cues = {name: _phrases(raw_cues[name], lists, path, raw_cues.lines[name]) for name in raw_cues}
    defaults = _context_defaults(data.get("context") or LineDict(), path)

    rules: list[RuleSpec] = []
    seen: dict[str, int] = {}
    for entry in items(data, "rules", path, what="safety.yaml"):
        entry = fields(entry, path, required=("id", "class", "comment"),
                       optional=("any", "all", "text", "unless", "suggest", "max_words", "within", "personal", "confirm", "asked",
                                 "reply",
                                 *MODIFIERS), what="a rule")
        rid = str(entry["id"])
        if rid in seen:
            raise ContentError(f"duplicate rule id {rid!r} (first on line {seen[rid]})", path=path, line=entry.line)
        seen[rid] = entry.line
        cls = entry["class"]
        if not isinstance(cls, str) or cls not in ESCALATIONS:
            raise ContentError(f"class must be one of {', '.join(ESCALATIONS)}", path=path, line=entry.lines["class"])
        if not isinstance(entry["comment"], str) or not entry["comment"].strip():
            raise ContentError("a rule's comment must say what it catches", path=path, line=entry.lines["comment"])
        if sum(k in entry for k in ("any", "all", "text")) != 1:
            raise ContentError("a rule needs exactly one of 'any' (one group), 'all' (several groups) or 'text' (pieces "
                               "of text for scripts written without spaces)", path=path, line=entry.line)
        groups: tuple[tuple[Phrase, ...], ...] = ()
        pieces: tuple[str, ...] = ()
        if "text" in entry:
            raw_text = entry["text"]
            if not isinstance(raw_text, list) or not raw_text or not all(isinstance(t, str) and t.strip() for t in raw_text):
                raise ContentError("'text' must be a list of pieces of text", path=path, line=entry.lines["text"])
            pieces = tuple(t.strip().casefold() for t in raw_text)
        elif "any" in entry:
            groups = (_phrases(entry["any"], lists, path, entry.lines["any"]),)
        else:
            raw = entry["all"]
            if not isinstance(raw, LineList) or not raw:
                raise ContentError("'all' must be a list of groups", path=path, line=entry.lines["all"])
            groups = tuple(_phrases(g if isinstance(g, list) else [g], lists, path, ln) for g, ln in zip(raw, raw.lines, strict=False))
        unless: tuple[Phrase, ...] = ()
        if "unless" in entry:
            unless = _phrases(entry["unless"], lists, path, entry.lines["unless"])
            denial = next((p for p in unless if set(p) <= DENIALS), None)
            if cls == "crisis" and denial is not None:
                # An idiom may excuse a crisis word ("dying to know"); a bare denial never does.
                raise ContentError(f"a crisis rule cannot be undone by {' '.join(denial)!r}; a denial is read by "
                                   "'negated:', which a reviewed rule may set to drop", path=path, line=entry.lines["unless"])
        raw_suggest = entry.get("suggest") or []
        if not isinstance(raw_suggest, list):
            raise ContentError("'suggest' must be a list of intent ids", path=path, line=entry.lines["suggest"])
        for sid in raw_suggest:
            if not isinstance(sid, str) or sid not in intent_ids:
                raise ContentError(f"suggested intent {sid!r} does not exist", path=path, line=entry.lines["suggest"])
        context = dict(defaults.get(cls, {}))
        for modifier in MODIFIERS:
            if modifier in entry:
                context[modifier] = _outcome(entry, modifier, path)
        max_words = entry.get("max_words", 0)
        if not isinstance(max_words, int) or isinstance(max_words, bool) or max_words < 0:
            raise ContentError("'max_words' must be a whole number (0: any length)", path=path,
                               line=entry.lines["max_words"])
        within = entry.get("within", 0)
        if not isinstance(within, int) or isinstance(within, bool) or within < 0 or (within and len(groups) < 2):
            raise ContentError("'within' must be a whole number of words, for a rule with 'all' groups (0: a whole "
                               "sentence)", path=path, line=entry.lines.get("within", entry.line))
        flags = {}
        for flag in ("personal", "confirm", "asked"):
            flags[flag] = entry.get(flag, False)
            if not isinstance(flags[flag], bool):
                raise ContentError(f"{flag!r} must be true or false", path=path, line=entry.lines[flag])
        reply = text(entry, "reply", path, optional=True) or None
        rules.append(RuleSpec(rid, cls, text(entry, "comment", path), groups, unless,
                              tuple(raw_suggest), entry.line, context, max_words, within, **flags, reply=reply,
                              text=pieces))
    for escalation in ESCALATIONS:
        if not any(r.cls == escalation for r in rules):
            raise ContentError(f"no rule for class {escalation!r}; the bot must be able to escalate to it", path=path)
    return SafetyRules(tuple(rules), cues)


def _outcome(table: LineDict, modifier: str, path: Path) -> str:
    value = table[modifier]
    if value not in OUTCOMES:
        raise ContentError(f"{modifier!r} must be one of {', '.join(OUTCOMES)}", path=path, line=table.lines[modifier])
    return str(value)


def _context_defaults(data: object, path: Path) -> dict[str, dict[str, str]]:
    """`context:`: per class, what each modifier does unless a rule says otherwise."""
    table = fields(data, path, optional=ESCALATIONS, what="context")
    out: dict[str, dict[str, str]] = {}
    for cls in table:
        per = fields(table[cls], path, optional=MODIFIERS, what=f"context for {cls}")
        out[cls] = {m: _outcome(per, m, path) for m in per}
    return out


def _phrases(value: Any, lists: Mapping[str, tuple[Phrase, ...]], path: Path, line: int) -> tuple[Phrase, ...]:
    """A list of phrases and @list names from the rules file, as token tuples."""
    if not isinstance(value, list) or not value:
        raise ContentError("a group must be a non-empty list of phrases or @list names", path=path, line=line)
    out: dict[Phrase, None] = {}
    for item, item_line in zip(value, getattr(value, "lines", [line] * len(value)), strict=False):
        if isinstance(item, bool):
            raise ContentError("a phrase read as true/false: YAML takes bare on, off, yes and no as booleans; "
                               "put the word in quotes", path=path, line=item_line)
        if isinstance(item, (int, float)):
            item = str(item)  # a bare number in a YAML list is still a word to match
        if not isinstance(item, str) or not item.strip():
            raise ContentError(f"a phrase must be text, not {item!r}", path=path, line=item_line)
        out.update(dict.fromkeys(_expand(item, lists, path, item_line)))
    return tuple(out)


def _expand(item: str, lists: Mapping[str, tuple[Phrase, ...]], path: Path, line: int) -> list[Phrase]:
    """One phrase, or one per combination when it names lists inside it ("@harm .. @self")."""
    combos: list[Phrase] = [()]
    for part in _LIST_REF.split(item):
        if part.startswith("@"):
            if part[1:] not in lists:
                raise ContentError(f"unknown list {part!r} in {item!r}; define it under 'lists:' above its first use",
                                   path=path, line=line)
            options = lists[part[1:]]
        elif part.strip():
            options = (_tokens(part, item, path, line),)
        else:
            continue
        combos = [c + o for c in combos for o in options]
        if len(combos) > _MAX_COMBINATIONS:
            raise ContentError(f"{item!r} makes more than {_MAX_COMBINATIONS} phrases; split it", path=path, line=line)
    for phrase in combos:
        if not phrase or GAP in (phrase[0], phrase[-1]) or any(a == b == GAP for a, b in pairwise(phrase)):
            raise ContentError(f"phrase {item!r} has no words (or starts or ends with '..')", path=path, line=line)
    return combos


def _tokens(part: str, item: str, path: Path, line: int) -> Phrase:
    """'come off', 'taper*' (a prefix), 'took .. pills' (up to three words between) or 'up to #' (a number)."""
    out: list[str] = []
    for token in part.split():
        if token.startswith(NUMBER) and not _NUMBER_TOKEN.fullmatch(token):
            raise ContentError(f"{token!r} in {item!r}: write '#' for any number or '#6+' for 6 or more",
                               path=path, line=line)
        if not any(c.isalnum() for c in token) and token not in (GAP, NUMBER):
            raise ContentError(f"{token!r} in {item!r} has no letters or digits; messages are read as words, so it "
                               "would match nothing (or everything)", path=path, line=line)
        if token.endswith("*") and not token.startswith(NUMBER):
            stem = words(token[:-1])
            if not stem or len(stem[-1]) < 2 or "*" in token[:-1]:
                raise ContentError(f"prefix {token!r} in {item!r} needs two or more letters before one '*'",
                                   path=path, line=line)
            out.extend([*stem[:-1], stem[-1] + "*"])
        else:
            out.append(token)
    return tuple(out)


def safety_replies(data: LineDict, path: Path, *, intent_ids: Collection[str]) -> SafetyReplies:
    """Check responses/safety.yaml: a default region, each region's numbers, and reply templates that fill."""
    fields(data, path, required=("region", "regions", "replies", "suggestions"), optional=("after_crisis",),
           what="safety.yaml")
    raw_regions = data["regions"]
    if not isinstance(raw_regions, LineDict) or not isinstance(data["region"], str) or data["region"] not in raw_regions:
        raise ContentError(f"region {data['region']!r} is not defined under 'regions'", path=path, line=data.lines["region"])
    regions: dict[str, Region] = {}
    for name, entry in raw_regions.items():
        entry = fields(entry, path, required=REGION_KEYS, what=f"region {name!r}")
        regions[name] = Region(name, *(str(entry[k]) for k in REGION_KEYS))
    replies = data["replies"]
    if not isinstance(replies, LineDict):
        raise ContentError("'replies' must map each reply's name to its text", path=path, line=data.lines["replies"])
    fields(replies, path, required=SAFETY_REPLIES, optional=tuple(k for k in replies if k not in SAFETY_REPLIES),
           what="replies")
    _fill(replies, regions, path, "reply")
    suggestions = fields(data["suggestions"], path, required=ESCALATIONS, what="suggestions")
    for escalation in ESCALATIONS:
        if not isinstance(suggestions[escalation] or [], list):
            raise ContentError(f"suggestions for {escalation} must be a list of intent ids", path=path,
                               line=suggestions.lines[escalation])
        for sid in suggestions[escalation] or ():
            if not isinstance(sid, str) or sid not in intent_ids:
                raise ContentError(f"suggested intent {sid!r} does not exist", path=path,
                                   line=suggestions.lines[escalation])
    after = data.get("after_crisis") or LineDict()
    if not isinstance(after, LineDict):
        raise ContentError("'after_crisis' must map intent ids to the text said instead after a crisis", path=path,
                           line=data.lines["after_crisis"])
    for iid in after:
        if iid not in intent_ids:
            raise ContentError(f"after_crisis names intent {iid!r}, which does not exist{hint(iid, intent_ids)}",
                               path=path, line=after.lines[iid])
    _fill(after, regions, path, "after_crisis text for")
    return SafetyReplies(str(data["region"]), regions, {k: str(v).strip() for k, v in replies.items()},
                         {e: tuple(suggestions[e] or ()) for e in ESCALATIONS},
                         {k: " ".join(str(v).split()) for k, v in after.items()})


def _fill(templates: LineDict, regions: Mapping[str, Region], path: Path, what: str) -> None:
    """Every template is text that every region's numbers fill ({crisis_line}, {emergency_number}...)."""
    for name, template in templates.items():
        for region in regions.values():
            try:
                str(template).format(**region.placeholders())
            except (KeyError, IndexError, ValueError) as exc:
                raise ContentError(f"{what} {name!r} does not fill for region {region.key!r}: {exc}",
                                   path=path, line=templates.lines[name]) from None
        text(templates, name, path)


def is_word(token: str) -> bool:
    """Whether a phrase token is a word to read like a message (not a gap, number, prefix or a context mark)."""
    return token != GAP and token not in SPECIAL and not token.startswith(NUMBER) and not token.endswith("*")
