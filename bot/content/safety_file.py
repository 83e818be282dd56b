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
from typing import Any, cast

from ..errors import ContentError
from ..normalize import words
from ..reply import ESCALATIONS, Escalation
from .model import CONTEXT, GAP, NUMBER, REGION_KEYS, SAFETY_REPLIES, Phrase, Region, RuleSpec, SafetyReplies
from .schema import fields, items, text
from .yamlfile import LineDict, LineList

_LIST_REF = re.compile(r"(@\w+)")
_MAX_COMBINATIONS = 5000


def rule_specs(data: LineDict, path: Path, *, medicines: Collection[str], intent_ids: Collection[str]
               ) -> tuple[RuleSpec, ...]:
    """Check intents/safety.yaml and expand its lists; ContentError names the line of any problem."""
    fields(data, path, required=("lists", "rules"), what="safety.yaml")
    lists: dict[str, tuple[Phrase, ...]] = {
        "medicine": tuple(tuple(m.split()) for m in sorted(medicines)), "context": ((CONTEXT,),)}
    raw_lists = data["lists"]
    if not isinstance(raw_lists, LineDict):
        raise ContentError("'lists' must map names to lists of phrases", path=path, line=data.lines["lists"])
    for name, value in raw_lists.items():
        if name in lists:
            raise ContentError(f"'{name}' is a built-in list; choose another name", path=path, line=raw_lists.lines[name])
        lists[name] = _phrases(value, lists, path, raw_lists.lines[name])

    rules: list[RuleSpec] = []
    seen: dict[str, int] = {}
    for entry in items(data, "rules", path, what="safety.yaml"):
        entry = fields(entry, path, required=("id", "class", "comment"), optional=("any", "all", "unless", "suggest"),
                       what="a rule")
        rid = str(entry["id"])
        if rid in seen:
            raise ContentError(f"duplicate rule id {rid!r} (first on line {seen[rid]})", path=path, line=entry.line)
        seen[rid] = entry.line
        cls = entry["class"]
        if not isinstance(cls, str) or cls not in ESCALATIONS:
            raise ContentError(f"class must be one of {', '.join(ESCALATIONS)}", path=path, line=entry.lines["class"])
        if not isinstance(entry["comment"], str) or not entry["comment"].strip():
            raise ContentError("a rule's comment must say what it catches", path=path, line=entry.lines["comment"])
        if ("any" in entry) == ("all" in entry):
            raise ContentError("a rule needs exactly one of 'any' (one group) or 'all' (several groups)",
                               path=path, line=entry.line)
        groups: tuple[tuple[Phrase, ...], ...]
        if "any" in entry:
            groups = (_phrases(entry["any"], lists, path, entry.lines["any"]),)
        else:
            raw = entry["all"]
            if not isinstance(raw, LineList) or not raw:
                raise ContentError("'all' must be a list of groups", path=path, line=entry.lines["all"])
            groups = tuple(_phrases(g if isinstance(g, list) else [g], lists, path, ln) for g, ln in zip(raw, raw.lines, strict=False))
        unless: tuple[Phrase, ...] = ()
        if "unless" in entry:
            if cls == "crisis":
                raise ContentError("a crisis rule cannot have 'unless': negation never removes a crisis escalation",
                                   path=path, line=entry.lines["unless"])
            unless = _phrases(entry["unless"], lists, path, entry.lines["unless"])
        raw_suggest = entry.get("suggest") or []
        if not isinstance(raw_suggest, list):
            raise ContentError("'suggest' must be a list of intent ids", path=path, line=entry.lines["suggest"])
        for sid in raw_suggest:
            if not isinstance(sid, str) or sid not in intent_ids:
                raise ContentError(f"suggested intent {sid!r} does not exist", path=path, line=entry.lines["suggest"])
        rules.append(RuleSpec(rid, cast(Escalation, cls), text(entry, "comment", path), groups, unless,
                              tuple(raw_suggest), entry.line))
    for escalation in ESCALATIONS:
        if not any(r.cls == escalation for r in rules):
            raise ContentError(f"no rule for class {escalation!r}; the bot must be able to escalate to it", path=path)
    return tuple(rules)


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
        if token.endswith("*"):
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
    fields(data, path, required=("region", "regions", "replies", "suggestions"), what="safety.yaml")
    raw_regions = data["regions"]
    if not isinstance(raw_regions, LineDict) or not isinstance(data["region"], str) or data["region"] not in raw_regions:
        raise ContentError(f"region {data['region']!r} is not defined under 'regions'", path=path, line=data.lines["region"])
    regions: dict[str, Region] = {}
    for name, entry in raw_regions.items():
        entry = fields(entry, path, required=REGION_KEYS, what=f"region {name!r}")
        regions[name] = Region(name, *(str(entry[k]) for k in REGION_KEYS))
    replies = fields(data["replies"], path, required=SAFETY_REPLIES, what="replies")
    for name, template in replies.items():
        for region in regions.values():
            try:
                str(template).format(**region.placeholders())
            except (KeyError, IndexError, ValueError) as exc:
                raise ContentError(f"reply {name!r} does not fill for region {region.key!r}: {exc}",
                                   path=path, line=replies.lines[name]) from None
        text(replies, name, path)
    suggestions = fields(data["suggestions"], path, required=ESCALATIONS, what="suggestions")
    for escalation in ESCALATIONS:
        if not isinstance(suggestions[escalation] or [], list):
            raise ContentError(f"suggestions for {escalation} must be a list of intent ids", path=path,
                               line=suggestions.lines[escalation])
        for sid in suggestions[escalation] or ():
            if not isinstance(sid, str) or sid not in intent_ids:
                raise ContentError(f"suggested intent {sid!r} does not exist", path=path,
                                   line=suggestions.lines[escalation])
    return SafetyReplies(str(data["region"]), regions, {k: str(v).strip() for k, v in replies.items()},
                         {e: tuple(suggestions[e] or ()) for e in ESCALATIONS})


def is_word(token: str) -> bool:
    """Whether a phrase token is a word to read like a message (not a gap, number, prefix or the context mark)."""
    return token not in (GAP, NUMBER, CONTEXT) and not token.endswith("*")
