"""Stage 0: load the YAML content (intents, answers, medicines, sources) and refuse anything invalid."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import process

from .errors import ContentError
from .normalize import words
from .yamlfile import LineDict, LineList, read

# Files with a schema of their own; every other *.yaml in intents/ holds intents and in responses/ answers.
SPECIAL = {"intents": ("medicines.yaml", "safety.yaml", "config.yaml", "words.yaml", "out_of_scope.yaml"), "responses": ("sources.yaml", "safety.yaml", "ui.yaml")}
CONVERSATIONAL = frozenset({"greeting", "goodbye", "thanks", "help", "about_bot", "sources"})


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str | None = None


@dataclass(frozen=True)
class Intent:
    id: str
    topic: str
    question: str
    examples: tuple[str, ...]
    subject: str | None = None
    path: str = ""
    line: int = 0


@dataclass(frozen=True)
class Answer:
    intent: str
    source: str | None
    text: str
    short: str | None
    suggestions: tuple[str, ...]
    reviewed_by: str
    reviewed_on: dt.date
    path: str = ""
    line: int = 0


@dataclass(frozen=True)
class MedicineClass:
    key: str
    name: str
    long: str
    about: str
    source: str | None


@dataclass(frozen=True)
class Medicine:
    name: str
    cls: str
    brands: tuple[str, ...]
    misspellings: tuple[str, ...]
    in_documents: bool


@dataclass(frozen=True)
class Content:
    """Everything the bot knows, validated. Build it with `load_content`."""

    path: Path
    intents: tuple[Intent, ...]
    answers: Mapping[str, Answer]
    sources: Mapping[str, Source]
    classes: Mapping[str, MedicineClass]
    medicines: Mapping[str, Medicine]
    synonyms: Mapping[str, str]
    out_of_scope: tuple[str, ...]
    config: Mapping[str, Any]
    ui: Mapping[str, Any]
    safety_rules: Mapping[str, Any] = field(repr=False)
    safety_replies: Mapping[str, Any] = field(repr=False)
    files: Mapping[str, Path] = field(repr=False, default_factory=dict)
    # Compiled forms built while validating, kept so a Bot does not build them twice.
    compiled: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def intent(self, intent_id: str) -> Intent:
        return next(i for i in self.intents if i.id == intent_id)

    def aliases(self) -> dict[str, str]:
        """Every way of writing a medicine name -> its canonical generic name."""
        out: dict[str, str] = {}
        for med in self.medicines.values():
            for alias in (med.name, *med.brands, *med.misspellings):
                out[alias] = med.name
        return out


def default_path() -> Path:
    """The content shipped in the wheel, or the checkout's own when running from source."""
    here = Path(__file__).resolve().parent
    packaged = here / "data"
    return packaged if (packaged / "intents").is_dir() else here.parent


def load_content(path: str | Path | None = None) -> Content:
    """Read and validate a content directory (holding intents/ and responses/); raise ContentError."""
    root = Path(path) if path is not None else default_path()
    for sub in ("intents", "responses"):
        if not (root / sub).is_dir():
            raise ContentError(f"no {sub}/ folder here; pass the folder that holds intents/ and responses/", path=root)
    files = {f"{sub}/{name}": root / sub / name for sub in SPECIAL for name in SPECIAL[sub]}
    for name, file in files.items():
        if name not in ("intents/config.yaml", "intents/out_of_scope.yaml") and not file.is_file():
            raise ContentError(f"missing {name}; every content folder needs it", path=root)
    sources = _sources(read(files["responses/sources.yaml"]), files["responses/sources.yaml"])
    classes, medicines = _medicines(read(files["intents/medicines.yaml"]), files["intents/medicines.yaml"], sources)
    synonyms = _synonyms(read(files["intents/words.yaml"]), files["intents/words.yaml"])
    intents, owners = _intents(root / "intents")
    oos_file = files["intents/out_of_scope.yaml"]
    out_of_scope = _out_of_scope(read(oos_file), oos_file, owners) if oos_file.is_file() else ()
    answers = _answers(root / "responses", intents, sources)
    config_file = files["intents/config.yaml"]
    if not config_file.is_file():
        config_file = default_path() / "intents" / "config.yaml"
    config = _config(read(config_file), config_file)
    ui = _ui(read(files["responses/ui.yaml"]), files["responses/ui.yaml"], intents)
    content = Content(
        path=root, intents=intents, answers=answers, sources=sources, classes=classes, medicines=medicines,
        synonyms=synonyms, out_of_scope=out_of_scope, config=config, ui=ui, safety_rules=read(files["intents/safety.yaml"]),
        safety_replies=read(files["responses/safety.yaml"]), files={**files, "intents/config.yaml": config_file},
    )
    from .safety import Safety  # safety validates its own two files
    content.compiled["safety"] = Safety.from_content(content)
    return content


# -- checking helpers -------------------------------------------------------------------------------

def fields(data: Any, path: Path, *, required: tuple[str, ...], optional: tuple[str, ...] = (), what: str) -> LineDict:
    """Check a mapping's keys: all required present, nothing unknown (with a did-you-mean)."""
    if not isinstance(data, LineDict):
        raise ContentError(f"{what} must be a mapping (key: value)", path=path, line=getattr(data, "line", None))
    known = required + optional
    for key in data:
        if key not in known:
            guess = process.extractOne(key, known)
            hint = f"; did you mean {guess[0]!r}?" if guess and guess[1] >= 60 else f"; known keys: {', '.join(known)}"
            raise ContentError(f"unknown key {key!r} in {what}{hint}", path=path, line=data.lines[key])
    for key in required:
        if key not in data:
            raise ContentError(f"{what} has no {key!r}", path=path, line=data.line)
    return data


def text(data: LineDict, key: str, path: Path, *, optional: bool = False) -> str:
    """A non-empty string value, whitespace tidied."""
    value = data.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{key!r} must be non-empty text", path=path, line=data.lines.get(key, data.line))
    return " ".join(value.split())


def items(data: LineDict, key: str, path: Path, *, what: str) -> LineList:
    """A non-empty list value."""
    value = data.get(key)
    if not isinstance(value, LineList) or not value:
        raise ContentError(f"{what} {key!r} must be a non-empty list", path=path, line=data.lines.get(key, data.line))
    return value


def _suggest(word: str, known: Any) -> str:
    guess = process.extractOne(word, list(known))
    return f"; did you mean {guess[0]!r}?" if guess and guess[1] >= 60 else ""


def example_key(example: str) -> str:
    """What makes two examples the same: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w\s]", " ", example.casefold()).split())


# -- the files --------------------------------------------------------------------------------------

def _sources(data: LineDict, path: Path) -> dict[str, Source]:
    fields(data, path, required=("sources",), what="sources.yaml")
    out: dict[str, Source] = {}
    for entry in items(data, "sources", path, what="sources.yaml"):
        entry = fields(entry, path, required=("id", "title"), optional=("publisher",), what="a source")
        sid = text(entry, "id", path)
        if sid in out:
            raise ContentError(f"duplicate source id {sid!r}", path=path, line=entry.line)
        out[sid] = Source(sid, text(entry, "title", path), text(entry, "publisher", path, optional=True) or None)
    return out


def _source_ref(entry: LineDict, path: Path, sources: Mapping[str, Source], *, nullable: bool) -> str | None:
    sid = entry.get("source")
    if sid is None and nullable:
        return None
    if not isinstance(sid, str) or sid not in sources:
        raise ContentError(f"unknown source id {sid!r}{_suggest(str(sid), sources)} (known: {', '.join(sources)})",
                           path=path, line=entry.lines.get("source", entry.line))
    return str(sid)


def _medicines(data: LineDict, path: Path, sources: Mapping[str, Source]) -> tuple[dict[str, MedicineClass], dict[str, Medicine]]:
    fields(data, path, required=("classes", "medicines"), what="medicines.yaml")
    classes: dict[str, MedicineClass] = {}
    raw_classes = data["classes"]
    if not isinstance(raw_classes, LineDict) or not raw_classes:
        raise ContentError("'classes' must map each class key to its name, long name and text",
                           path=path, line=data.lines["classes"])
    for key, entry in raw_classes.items():
        entry = fields(entry, path, required=("name", "long", "about"), optional=("source",), what=f"class {key!r}")
        classes[key] = MedicineClass(key, text(entry, "name", path), text(entry, "long", path),
                                     text(entry, "about", path), _source_ref(entry, path, sources, nullable=True))
    medicines: dict[str, Medicine] = {}
    seen: dict[str, str] = {}
    for entry in items(data, "medicines", path, what="medicines.yaml"):
        entry = fields(entry, path, required=("name", "class"), optional=("brands", "misspellings", "in_documents"),
                       what="a medicine")
        name = text(entry, "name", path).lower()
        if not isinstance(entry["class"], str) or entry["class"] not in classes:
            raise ContentError(f"unknown class {entry['class']!r}{_suggest(str(entry['class']), classes)}",
                               path=path, line=entry.lines["class"])
        names: dict[str, tuple[str, ...]] = {}
        for key in ("brands", "misspellings"):
            value = entry.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ContentError(f"{key!r} must be a list of names", path=path, line=entry.lines.get(key, entry.line))
            names[key] = tuple(" ".join(v.lower().split()) for v in value)
        for alias in (name, *names["brands"], *names["misspellings"]):
            if alias in seen and seen[alias] != name:
                raise ContentError(f"{alias!r} is listed for both {seen[alias]!r} and {name!r}", path=path, line=entry.line)
            seen[alias] = name
        if name in medicines:
            raise ContentError(f"duplicate medicine {name!r}", path=path, line=entry.line)
        in_docs = entry.get("in_documents", True)
        if not isinstance(in_docs, bool):
            raise ContentError("'in_documents' must be true or false", path=path, line=entry.lines["in_documents"])
        medicines[name] = Medicine(name, str(entry["class"]), names["brands"], names["misspellings"], in_docs)
    return classes, medicines


Owners = dict[str, tuple[str, Path, int]]  # example key -> (intent id, file, line)


def _intents(folder: Path) -> tuple[tuple[Intent, ...], Owners]:
    intents: dict[str, Intent] = {}
    owner: Owners = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name in SPECIAL["intents"]:
            continue
        data = fields(read(path), path, required=("intents",), what="an intents file")
        for entry in items(data, "intents", path, what="the file's"):
            entry = fields(entry, path, required=("id", "topic", "question", "examples"), optional=("subject",),
                           what="an intent")
            iid = text(entry, "id", path)
            if iid in intents:
                other = intents[iid]
                raise ContentError(f"duplicate intent id {iid!r} (also in {other.path}, line {other.line})",
                                   path=path, line=entry.line)
            examples = entry.get("examples")
            if not isinstance(examples, LineList) or not examples:
                raise ContentError(f"intent {iid!r} has an empty example list; give it at least one example",
                                   path=path, line=entry.lines["examples"])
            question = text(entry, "question", path)
            cleaned: list[str] = []
            for example, line in zip([question, *examples], [entry.lines["question"], *examples.lines]):
                if not isinstance(example, str) or not example.strip():
                    raise ContentError(f"an example of {iid!r} is not text", path=path, line=line)
                key = example_key(example)
                if key in owner and owner[key][0] != iid:
                    first, fpath, fline = owner[key]
                    raise ContentError(f"example {example!r} is under both {first!r} ({fpath}, line {fline}) and {iid!r}",
                                       path=path, line=line)
                owner.setdefault(key, (iid, path, line))
                cleaned.append(" ".join(example.split()))
            intents[iid] = Intent(iid, text(entry, "topic", path), question, tuple(cleaned[1:]),
                                  text(entry, "subject", path, optional=True) or None, str(path), entry.line)
    if not intents:
        raise ContentError("no intents found; add a *.yaml file with an 'intents:' list", path=folder)
    return tuple(intents.values()), owner


def _out_of_scope(data: LineDict, path: Path, owners: Owners) -> tuple[str, ...]:
    fields(data, path, required=("out_of_scope",), what="out_of_scope.yaml")
    examples = items(data, "out_of_scope", path, what="out_of_scope.yaml")
    for example, line in zip(examples, examples.lines):
        if not isinstance(example, str) or not example.strip():
            raise ContentError("an out-of-scope example is not text", path=path, line=line)
        if example_key(example) in owners:
            iid, fpath, fline = owners[example_key(example)]
            raise ContentError(f"{example!r} is also an example of {iid!r} ({fpath}, line {fline})", path=path, line=line)
    return tuple(" ".join(e.split()) for e in examples)


def _date(entry: LineDict, path: Path) -> tuple[str, dt.date]:
    reviewed = fields(entry.get("reviewed"), path, required=("by", "date"), what="'reviewed'") \
        if "reviewed" in entry else None
    if reviewed is None:
        raise ContentError("answer has no 'reviewed: {by: ..., date: YYYY-MM-DD}'", path=path, line=entry.line)
    when = reviewed["date"]
    if isinstance(when, str):
        try:
            when = dt.date.fromisoformat(when)
        except ValueError:
            pass
    if not isinstance(when, dt.date):
        raise ContentError("reviewed date must be YYYY-MM-DD", path=path, line=reviewed.lines["date"])
    return text(reviewed, "by", path), when


def _answers(folder: Path, intents: tuple[Intent, ...], sources: Mapping[str, Source]) -> dict[str, Answer]:
    ids = {i.id for i in intents}
    answers: dict[str, Answer] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name in SPECIAL["responses"]:
            continue
        data = fields(read(path), path, required=("answers",), what="a responses file")
        for entry in items(data, "answers", path, what="the file's"):
            entry = fields(entry, path, required=("intent", "source", "text", "suggestions", "reviewed"),
                           optional=("short",), what="an answer")
            iid = text(entry, "intent", path)
            if iid not in ids:
                raise ContentError(f"answer for unknown intent {iid!r}{_suggest(iid, ids)}", path=path, line=entry.line)
            if iid in answers:
                other = answers[iid]
                raise ContentError(f"second answer for {iid!r} (first in {other.path}, line {other.line})",
                                   path=path, line=entry.line)
            source = _source_ref(entry, path, sources, nullable=iid in CONVERSATIONAL)
            suggestions = entry.get("suggestions")
            if not isinstance(suggestions, LineList) or not 2 <= len(suggestions) <= 3:
                raise ContentError("'suggestions' must list 2 or 3 intent ids", path=path, line=entry.lines["suggestions"])
            for sid, line in zip(suggestions, suggestions.lines):
                if not isinstance(sid, str) or sid not in ids or sid == iid:
                    raise ContentError(f"suggestion {sid!r} is not another intent{_suggest(str(sid), ids)}",
                                       path=path, line=line)
            by, when = _date(entry, path)
            answers[iid] = Answer(iid, source, text(entry, "text", path), text(entry, "short", path, optional=True) or None,
                                  tuple(suggestions), by, when, str(path), entry.line)
    for intent in intents:
        if intent.id not in answers:
            raise ContentError(f"intent {intent.id!r} has no answer; add one to a responses/*.yaml file",
                               path=intent.path, line=intent.line)
    return answers


def _synonyms(data: LineDict, path: Path) -> dict[str, str]:
    fields(data, path, required=("synonyms",), what="words.yaml")
    table = data["synonyms"]
    if not isinstance(table, LineDict):
        raise ContentError("'synonyms' must map phrases to their plain words", path=path, line=data.lines["synonyms"])
    out: dict[str, str] = {}
    for phrase, plain in table.items():
        if not isinstance(plain, str) or not plain.strip() or not phrase.strip():
            raise ContentError(f"synonym {phrase!r} needs plain words on the right", path=path, line=table.lines[phrase])
        out[" ".join(words(phrase))] = plain
    return out


def _config(data: LineDict, path: Path) -> dict[str, Any]:
    fields(data, path, required=("matcher",), optional=("limits", "session"), what="config.yaml")
    matcher = fields(data["matcher"], path, required=("answer_threshold", "clarify_margin"),
                     optional=("clarify_floor", "followup_bonus", "weights"), what="matcher")
    from .matcher import DEFAULTS
    weights = fields(matcher.get("weights") or LineDict(), path, required=(), optional=tuple(DEFAULTS), what="weights")
    for table, key in [*((matcher, k) for k in matcher if k != "weights"), *((weights, k) for k in weights)]:
        value = table[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0 or (table is matcher and value > 1):
            raise ContentError(f"{key} must be a number" + (" from 0 to 1" if table is matcher else " >= 0"),
                               path=path, line=table.lines[key])
    limits = fields(data.get("limits") or LineDict(), path, required=(), optional=("max_chars",), what="limits")
    session = fields(data.get("session") or LineDict(), path, required=(), optional=("idle_timeout",), what="session")
    for table, key in ((limits, "max_chars"), (session, "idle_timeout")):
        value = table.get(key, 1)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ContentError(f"{key} must be a number above 0", path=path, line=table.lines[key])
    return {"matcher": {**matcher, "weights": dict(weights)}, "max_chars": int(limits.get("max_chars", 1000)),
            "idle_timeout": float(session.get("idle_timeout", 120))}


def _ui(data: LineDict, path: Path, intents: tuple[Intent, ...]) -> dict[str, Any]:
    keys = ("welcome", "disclaimer", "fallback", "clarify", "unknown_medicine", "truncated", "empty", "examples")
    fields(data, path, required=keys, what="ui.yaml")
    out: dict[str, Any] = {k: text(data, k, path) for k in keys if k != "examples"}
    out["welcome"] = str(data["welcome"]).strip()
    ids = {i.id: i for i in intents}
    examples = items(data, "examples", path, what="ui.yaml")
    for eid, line in zip(examples, examples.lines):
        if not isinstance(eid, str) or eid not in ids:
            raise ContentError(f"example {eid!r} is not an intent id{_suggest(str(eid), ids)}", path=path, line=line)
    out["examples"] = tuple(ids[e].question for e in examples)
    return out
