"""`load_content`: every file of a content folder read and checked, in order; anything invalid is refused."""

from __future__ import annotations

import contextlib
import datetime as dt
from array import array
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ..cache import digest, from_plain, load_state, save_state, state_key, to_plain
from ..errors import ContentError
from ..normalize import words
from .model import (
    BUCKETS,
    INTENT_KINDS,
    LABELS,
    MATCHER_KEYS,
    REGION_KEYS,
    TYPES,
    UI,
    UI_KEYS,
    WEIGHT_KEYS,
    Answer,
    Content,
    DetectorWeights,
    Intent,
    Medicine,
    MedicineClass,
    Settings,
    Source,
)
from .safety_file import rule_specs, safety_replies
from .schema import example_key, fields, hint, items, number, text
from .yamlfile import LineDict, LineList, read

# The placeholders each template of responses/ui.yaml may use.
UI_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "welcome": REGION_KEYS, "disclaimer": (), "fallback": (), "clarify": (), "unknown_medicine": ("name",),
    "truncated": ("limit",), "empty": (), "no_such_choice": ("number", "count"), "also_asked": ("questions",),
    "repeat_answer": (), "repeat_fallback": (),
}

# Files with a schema of their own; every other *.yaml in intents/ holds intents and in responses/ answers.
SPECIAL = {"intents": ("medicines.yaml", "safety.yaml", "config.yaml", "words.yaml", "out_of_scope.yaml", "drugs.tsv",
                       "detector.tsv"),
           "responses": ("sources.yaml", "safety.yaml", "ui.yaml")}
OPTIONAL = ("intents/config.yaml", "intents/out_of_scope.yaml", "intents/drugs.tsv", "intents/detector.tsv")
MAX_LEXICON_BYTES = 8_000_000


def default_path() -> Path:
    """The content shipped in the wheel, or the checkout's own when running from source."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "data"
    return packaged if (packaged / "intents").is_dir() else package.parent


def load_content(path: str | Path | None = None) -> Content:
    """Read and validate a content directory (holding intents/ and responses/); raise ContentError.

    Content read and checked before, byte for byte the same, comes from the start-up cache (bot/cache.py):
    parsing and checking some thousands of YAML lines is most of start-up.
    """
    root = Path(path) if path is not None else default_path()
    for sub in ("intents", "responses"):
        if not (root / sub).is_dir():
            raise ContentError(f"no {sub}/ folder here; pass the folder that holds intents/ and responses/", path=root)
    key = state_key("content", str(root.resolve()), _digest(root))
    state = load_state(key)
    if state is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError):  # a cache from older code is just rebuilt
            content = from_plain(state["content"], TYPES)
            if isinstance(content, Content):
                return content
    content = _load(root)
    save_state(key, {"content": to_plain(content)})
    return content


def _digest(root: Path) -> str:
    """A digest of every file of the content folder, names and bytes."""
    hashed = digest()
    for file in sorted(f for sub in ("intents", "responses") for f in (root / sub).iterdir() if f.is_file()):
        hashed.update(f"{file.parent.name}/{file.name}\0".encode())
        with contextlib.suppress(OSError):  # an unreadable file is reported by the real reading
            hashed.update(file.read_bytes())
    return hashed.hexdigest()


def _load(root: Path) -> Content:
    files = {f"{sub}/{name}": root / sub / name for sub in SPECIAL for name in SPECIAL[sub]}
    for name, file in files.items():
        if name not in OPTIONAL and not file.is_file():
            raise ContentError(f"missing {name}; every content folder needs it", path=root)
    sources = _sources(read(files["responses/sources.yaml"]), files["responses/sources.yaml"])
    classes, medicines = _medicines(read(files["intents/medicines.yaml"]), files["intents/medicines.yaml"], sources)
    synonyms = _synonyms(read(files["intents/words.yaml"]), files["intents/words.yaml"])
    intents, owners = _intents(root / "intents")
    ids = {i.id for i in intents}
    oos_file = files["intents/out_of_scope.yaml"]
    out_of_scope = _out_of_scope(read(oos_file), oos_file, owners) if oos_file.is_file() else ()
    answers = _answers(root / "responses", intents, sources)
    config_file = files["intents/config.yaml"]
    settings = _settings(read(config_file), config_file) if config_file.is_file() else Settings()
    ui = _ui(read(files["responses/ui.yaml"]), files["responses/ui.yaml"], intents)
    rules = rule_specs(read(files["intents/safety.yaml"]), files["intents/safety.yaml"], intent_ids=ids)
    rules = replace(rules, digest=digest(files["intents/safety.yaml"].read_bytes()).hexdigest())
    replies = safety_replies(read(files["responses/safety.yaml"]), files["responses/safety.yaml"], intent_ids=ids)
    for rule in rules.rules:  # a rule's fitted reply must exist, or the patient would get no reply at all
        if rule.reply is not None and rule.reply not in replies.replies:
            raise ContentError(f"rule {rule.id!r} names reply {rule.reply!r}, which responses/safety.yaml does not "
                               f"have{hint(rule.reply, replies.replies)}", path=files["intents/safety.yaml"], line=rule.line)
    drugs_file = files["intents/drugs.tsv"]
    drugs = _drugs(drugs_file, medicines) if drugs_file.is_file() else {}
    detector_file = files["intents/detector.tsv"]
    detector = _detector(detector_file) if detector_file.is_file() else None
    return Content(path=root, intents=intents, answers=answers, sources=sources, classes=classes,
                   medicines=medicines, synonyms=synonyms, out_of_scope=out_of_scope, settings=settings, ui=ui,
                   rules=rules, safety=replies, files=files, drugs=drugs, detector=detector)


def _lines(path: Path, rebuild: str) -> tuple[bytes, list[str]]:
    """A generated text file's bytes and lines; an unreadable one is a located error saying how to rebuild it."""
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_LEXICON_BYTES:
            raise ContentError(f"file is {len(raw):,} bytes; it must be under {MAX_LEXICON_BYTES:,}", path=path)
        return raw, raw.decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"cannot read it ({exc}); rebuild it with {rebuild}", path=path) from None


def _detector(path: Path) -> DetectorWeights:
    """intents/detector.tsv: `bias`, `threshold`, `plain` and `reads-...` (words) and `feature weight...` lines."""
    _, lines = _lines(path, "python -m bot.tools.train_detector")
    weights: dict[int, list[float]] = {}
    bias: tuple[float, ...] = ()
    thresholds: dict[str, float] = {}
    plain: set[str] = set()
    reads: dict[str, tuple[str, ...]] = {}
    for at, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        head, *rest = line.split()
        try:
            if head == "plain":
                plain.update(rest)
                continue
            if head.startswith("reads-"):
                reads[head] = tuple(rest)
                continue
            if head == "threshold" and len(rest) == 2:
                thresholds[rest[0]] = float(rest[1])
                continue
            values = [float(v) for v in rest]
            if len(values) != len(LABELS):
                raise ValueError(f"{len(values)} weights")
            if head == "bias":
                bias = tuple(values)
            else:
                weights[int(head)] = values
        except ValueError as exc:
            raise ContentError(f"not a detector line ({exc}); rebuild it with python -m bot.tools.train_detector",
                               path=path, line=at) from None
    if not bias:
        raise ContentError("the detector has no 'bias' line; rebuild it with python -m bot.tools.train_detector",
                           path=path)
    if any(not 0 <= f < BUCKETS for f in weights):
        raise ContentError(f"a feature number is not below {BUCKETS}; rebuild it with python -m bot.tools.train_detector",
                           path=path)
    order = sorted(weights)
    # Four-byte floats: the weights are written to four decimals, and sums are worked out in full precision anyway.
    return DetectorWeights(array("I", order), array("f", (w for f in order for w in weights[f])), bias, thresholds,
                           frozenset(plain), reads)


def _drugs(path: Path, medicines: Mapping[str, Medicine]) -> dict[str, str]:
    """intents/drugs.tsv: "name<tab>generic" a line; the medicines of medicines.yaml keep their own names."""
    _, lines = _lines(path, "python -m bot.tools.lexicon")
    curated = {a for m in medicines.values() for a in (m.name, *m.brands, *m.misspellings)}
    out: dict[str, str] = {}
    for at, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise ContentError("each line must be a name, a tab and its generic name", path=path, line=at)
        name, generic = (" ".join(p.lower().replace("-", " ").split()) for p in parts)
        if name not in curated:
            out[name] = generic
    return out


def _sources(data: LineDict, path: Path) -> dict[str, Source]:
    fields(data, path, required=("sources",), what="sources.yaml")
    out: dict[str, Source] = {}
    for entry in items(data, "sources", path, what="sources.yaml"):
        entry = fields(entry, path, required=("id", "title"), optional=("publisher", "kind", "note", "file"),
                       what="a source")
        sid = text(entry, "id", path)
        if sid in out:
            raise ContentError(f"duplicate source id {sid!r}", path=path, line=entry.line)
        out[sid] = Source(sid, text(entry, "title", path), *(text(entry, k, path, optional=True) or None
                                                            for k in ("publisher", "kind", "note", "file")))
    return out


def _source_ref(entry: LineDict, path: Path, sources: Mapping[str, Source], *, nullable: bool) -> str | None:
    sid = entry.get("source")
    if sid is None and nullable:
        return None
    if not isinstance(sid, str) or sid not in sources:
        raise ContentError(f"unknown source id {sid!r}{hint(str(sid), sources)} (known: {', '.join(sources)})",
                           path=path, line=entry.lines.get("source", entry.line))
    return str(sid)


def _medicines(data: LineDict, path: Path, sources: Mapping[str, Source]
               ) -> tuple[dict[str, MedicineClass], dict[str, Medicine]]:
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
            raise ContentError(f"unknown class {entry['class']!r}{hint(str(entry['class']), classes)}",
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
            entry = fields(entry, path, required=("id", "topic", "question", "examples"), optional=("subject", "kind"),
                           what="an intent")
            kind = entry.get("kind", "answer")
            if kind not in INTENT_KINDS:
                raise ContentError(f"kind must be one of {', '.join(INTENT_KINDS)}", path=path, line=entry.lines["kind"])
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
            for example, line in zip([question, *examples], [entry.lines["question"], *examples.lines], strict=False):
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
                                  text(entry, "subject", path, optional=True) or None, str(path), entry.line, str(kind))
    if not intents:
        raise ContentError("no intents found; add a *.yaml file with an 'intents:' list", path=folder)
    return tuple(intents.values()), owner


def _out_of_scope(data: LineDict, path: Path, owners: Owners) -> tuple[str, ...]:
    fields(data, path, required=("out_of_scope",), what="out_of_scope.yaml")
    examples = items(data, "out_of_scope", path, what="out_of_scope.yaml")
    for example, line in zip(examples, examples.lines, strict=False):
        if not isinstance(example, str) or not example.strip():
            raise ContentError("an out-of-scope example is not text", path=path, line=line)
        if example_key(example) in owners:
            iid, fpath, fline = owners[example_key(example)]
            raise ContentError(f"{example!r} is also an example of {iid!r} ({fpath}, line {fline})", path=path, line=line)
    return tuple(" ".join(e.split()) for e in examples)


def _date(entry: LineDict, path: Path) -> tuple[str, dt.date]:
    if "reviewed" not in entry:
        raise ContentError("answer has no 'reviewed: {by: ..., date: YYYY-MM-DD}'", path=path, line=entry.line)
    reviewed = fields(entry["reviewed"], path, required=("by", "date"), what="'reviewed'")
    when = reviewed["date"]
    if isinstance(when, str):
        with contextlib.suppress(ValueError):  # not a date: said below, with the line
            when = dt.date.fromisoformat(when)
    if not isinstance(when, dt.date):
        raise ContentError("reviewed date must be YYYY-MM-DD", path=path, line=reviewed.lines["date"])
    return text(reviewed, "by", path), when


def _answers(folder: Path, intents: tuple[Intent, ...], sources: Mapping[str, Source]) -> dict[str, Answer]:
    ids = {i.id for i in intents}
    kinds = {i.id: i.kind for i in intents}
    answers: dict[str, Answer] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name in SPECIAL["responses"]:
            continue
        data = fields(read(path), path, required=("answers",), what="a responses file")
        for entry in items(data, "answers", path, what="the file's"):
            entry = fields(entry, path, required=("intent", "source", "text", "suggestions", "reviewed"),
                           optional=("short", "help_lines", "passages"), what="an answer")
            iid = text(entry, "intent", path)
            if iid not in ids:
                raise ContentError(f"answer for unknown intent {iid!r}{hint(iid, ids)}", path=path, line=entry.line)
            if iid in answers:
                other = answers[iid]
                raise ContentError(f"second answer for {iid!r} (first in {other.path}, line {other.line})",
                                   path=path, line=entry.line)
            source = _source_ref(entry, path, sources, nullable=kinds[iid] != "answer")
            help_lines = entry.get("help_lines", False)
            if not isinstance(help_lines, bool):
                raise ContentError("'help_lines' must be true or false", path=path, line=entry.lines["help_lines"])
            suggestions = entry.get("suggestions")
            if not isinstance(suggestions, LineList) or not 2 <= len(suggestions) <= 3:
                raise ContentError("'suggestions' must list 2 or 3 intent ids", path=path, line=entry.lines["suggestions"])
            for sid, line in zip(suggestions, suggestions.lines, strict=False):
                if not isinstance(sid, str) or sid not in ids or sid == iid:
                    raise ContentError(f"suggestion {sid!r} is not another intent{hint(str(sid), ids)}",
                                       path=path, line=line)
            passages = entry.get("passages", LineList())
            if not isinstance(passages, list) or not all(isinstance(p, str) and p.strip() for p in passages):
                raise ContentError("'passages' must list a few words of the source each", path=path,
                                   line=entry.lines.get("passages", entry.line))
            by, when = _date(entry, path)
            answers[iid] = Answer(iid, source, text(entry, "text", path), text(entry, "short", path, optional=True) or None,
                                  tuple(suggestions), by, when, str(path), entry.line, help_lines,
                                  tuple(" ".join(p.split()) for p in passages))
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


def _settings(data: LineDict, path: Path) -> Settings:
    """intents/config.yaml over the defaults in Settings; every value range-checked where it is written."""
    fields(data, path, required=("matcher",), optional=("limits", "session"), what="config.yaml")
    matcher = fields(data["matcher"], path, required=MATCHER_KEYS[:2], optional=(*MATCHER_KEYS[2:], "weights"),
                     what="matcher")
    weights = fields(matcher.get("weights") or LineDict(), path, optional=WEIGHT_KEYS, what="weights")
    limits = fields(data.get("limits") or LineDict(), path, optional=("max_chars", "safety_chars"), what="limits")
    session = fields(data.get("session") or LineDict(), path, optional=("idle_timeout",), what="session")
    chosen = {k: number(matcher, k, path, high=1.0) for k in matcher if k != "weights"}
    tuned = {k: number(weights, k, path) for k in weights}
    defaults = Settings()
    if "clarify_floor" not in chosen:  # no floor of its own: as strict as answering
        chosen["clarify_floor"] = chosen["answer_threshold"]
    for key in ("max_chars", "safety_chars"):
        if key in limits:
            chosen[key] = int(number(limits, key, path, above=True))
    if "idle_timeout" in session:
        chosen["idle_timeout"] = number(session, "idle_timeout", path, above=True)
    return replace(defaults, weights=replace(defaults.weights, **tuned), **chosen)  # type: ignore[arg-type]


def _ui(data: LineDict, path: Path, intents: tuple[Intent, ...]) -> UI:
    fields(data, path, required=UI_KEYS, what="ui.yaml")
    said = {k: text(data, k, path) for k in UI_KEYS if k != "examples"}
    said["welcome"] = str(data["welcome"]).strip()
    for key, names in UI_PLACEHOLDERS.items():  # a template that cannot fill would fail mid-conversation
        try:
            said[key].format(**dict.fromkeys(names, "x"))
        except (KeyError, IndexError, ValueError) as exc:
            known = ", ".join("{" + n + "}" for n in names) or "none"
            raise ContentError(f"{key!r} does not fill ({type(exc).__name__}: {exc}); it may use {known}",
                               path=path, line=data.lines[key]) from None
    ids = {i.id: i for i in intents}
    examples = items(data, "examples", path, what="ui.yaml")
    for eid, line in zip(examples, examples.lines, strict=False):
        if not isinstance(eid, str) or eid not in ids:
            raise ContentError(f"example {eid!r} is not an intent id{hint(str(eid), ids)}", path=path, line=line)
    return UI(**said, examples=tuple(ids[e].question for e in examples))
