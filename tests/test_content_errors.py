"""Broken content: every way of breaking it gives a ContentError that names the file (and line), never a traceback.

Two halves: one small broken copy of the shipped content per ContentError case of the core issue
(the table CASES), and fuzzing (truncated files, wrong types, wrong encodings, huge files).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot import ContentError, load_content
from bot.content import default_path
from bot.content.yamlfile import LineDict, read

# In CI every run sees the same examples; locally each run explores new ones. No shrinking: each example
# loads the whole content, and a failure's draws (file, node, value) already say what broke it.
FUZZ = settings(max_examples=30, deadline=None, database=None, derandomize=os.environ.get("CI") == "true",
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SHIPPED = sorted(p.relative_to(default_path()).as_posix() for sub in ("intents", "responses")
                 for p in (default_path() / sub).glob("*.yaml"))


def copy_content(to: Path) -> Path:
    for sub in ("intents", "responses"):
        shutil.copytree(default_path() / sub, to / sub)
    return to


# -- editing a copy by line ------------------------------------------------------------------------

def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines), encoding="utf-8")


def indent_of(line: str) -> str:
    """The indentation of a mapping's keys, from its first line (`  - id: x` -> 4 spaces)."""
    return " " * len(re.match(r"[\s-]*", line).group(0))


def entries(path: Path, key: str) -> list[LineDict]:
    """The list items of a content file (answers or intents), with their line numbers."""
    return list(read(path)[key])


def files_with(root: Path, sub: str, key: str) -> list[Path]:
    """The files of intents/ or responses/ whose top-level key is `key` (not the special files)."""
    return [p for p in sorted((root / sub).glob("*.yaml")) if re.search(rf"^{key}:", p.read_text(), re.MULTILINE)]


# -- one broken copy per case -----------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    expect: str                                            # words the message must hold
    breaks: Callable[[Path], tuple[Path, int | None]]      # breaks the copy; returns where the error must point


def unknown_key(root: Path) -> tuple[Path, int | None]:
    path = files_with(root, "responses", "answers")[0]
    first = entries(path, "answers")[0]
    lines = lines_of(path)
    lines.insert(first.line, f"{indent_of(lines[first.line - 1])}colour: blue\n")
    write(path, lines)
    return path, first.line + 1


def intent_without_answer(root: Path) -> tuple[Path, int | None]:
    path = files_with(root, "responses", "answers")[0]
    answers = entries(path, "answers")
    gone, after = answers[0], answers[1]
    lines = lines_of(path)
    write(path, lines[: gone.line - 1] + lines[after.line - 1 :])
    for where in files_with(root, "intents", "intents"):
        for intent in entries(where, "intents"):
            if intent["id"] == gone["intent"]:
                return where, intent.line
    raise AssertionError(f"no intent {gone['intent']!r}")


def answer_for_unknown_intent(root: Path) -> tuple[Path, int | None]:
    path = files_with(root, "responses", "answers")[0]
    first = entries(path, "answers")[0]
    lines = lines_of(path)
    lines[first.lines["intent"] - 1] = lines[first.lines["intent"] - 1].replace(first["intent"], first["intent"] + "z")
    write(path, lines)
    return path, first.line


def duplicate_intent_id(root: Path) -> tuple[Path, int | None]:
    path = files_with(root, "intents", "intents")[0]
    first, second = entries(path, "intents")[:2]
    lines = lines_of(path)
    n = second.lines["id"] - 1
    lines[n] = lines[n].replace(second["id"], first["id"])
    write(path, lines)
    return path, second.line


def unknown_source_id(root: Path) -> tuple[Path, int | None]:
    path, answer = next((p, a) for p in files_with(root, "responses", "answers") for a in entries(p, "answers")
                        if a["source"])
    lines = lines_of(path)
    n = answer.lines["source"] - 1
    lines[n] = lines[n].replace(answer["source"], answer["source"] + "-old")
    write(path, lines)
    return path, n + 1


def empty_example_list(root: Path) -> tuple[Path, int | None]:
    path = files_with(root, "intents", "intents")[0]
    intent = entries(path, "intents")[0]
    lines = lines_of(path)
    key = intent.lines["examples"] - 1
    lines[key] = re.sub(r"examples:.*", "examples: []", lines[key])
    for n in sorted(intent["examples"].lines, reverse=True):
        del lines[n - 1]
    write(path, lines)
    return path, key + 1


def example_under_two_intents(root: Path) -> tuple[Path, int | None]:
    path = files_with(root, "intents", "intents")[0]
    first, second = entries(path, "intents")[:2]
    lines = lines_of(path)
    at = second["examples"].lines[0]
    lines.insert(at, f"{indent_of(lines[at - 1])[:-2]}- {json.dumps(first['examples'][0])}\n")
    write(path, lines)
    return path, at + 1


def duplicate_source_id(root: Path) -> tuple[Path, int | None]:
    path = root / "responses" / "sources.yaml"
    sources = entries(path, "sources")
    lines = lines_of(path)
    n = sources[1].lines["id"] - 1
    lines[n] = lines[n].replace(sources[1]["id"], sources[0]["id"])
    write(path, lines)
    return path, sources[1].line


def suggestion_not_an_intent(root: Path) -> tuple[Path, int | None]:
    path = files_with(root, "responses", "answers")[0]
    answer = entries(path, "answers")[0]
    lines = lines_of(path)
    n = answer["suggestions"].lines[0] - 1
    lines[n] = lines[n].replace(answer["suggestions"][0], "no_such_intent", 1)
    write(path, lines)
    return path, n + 1


def within_on_one_group(root: Path) -> tuple[Path, int | None]:
    """A rule of one group has nothing to bring near: `within` on it is a slip a reviewer must hear about."""
    path = root / "intents" / "safety.yaml"
    rule = next(r for r in entries(path, "rules") if "any" in r)
    lines = lines_of(path)
    n = rule.lines["class"]  # the new line goes just after it
    lines.insert(n, "    within: 5\n")
    write(path, lines)
    return path, n + 1


def missing_file(root: Path) -> tuple[Path, int | None]:
    (root / "responses" / "sources.yaml").unlink()
    return root, None


CASES = [
    Case("unknown key", "unknown key 'colour'", unknown_key),
    Case("intent without answer", "has no answer", intent_without_answer),
    Case("answer for unknown intent", "answer for unknown intent", answer_for_unknown_intent),
    Case("duplicate intent id", "duplicate intent id", duplicate_intent_id),
    Case("duplicate source id", "duplicate source id", duplicate_source_id),
    Case("unknown source id", "unknown source id", unknown_source_id),
    Case("empty example list", "empty example list", empty_example_list),
    Case("example under two intents", "is under both", example_under_two_intents),
    Case("suggestion not an intent", "'no_such_intent' is not another intent", suggestion_not_an_intent),
    Case("within on a rule of one group", "'within' must be a whole number of words, for a rule with 'all'",
         within_on_one_group),
    Case("missing file", "missing responses/sources.yaml", missing_file),
]


def test_the_shipped_content_loads() -> None:
    assert load_content().intents


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_broken_copy_names_file_and_line(case: Case, tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    where, line = case.breaks(root)
    with pytest.raises(ContentError) as caught:
        load_content(root)
    error = caught.value
    assert case.expect in str(error), str(error)
    assert error.path is not None and Path(error.path).resolve() == where.resolve(), str(error)
    assert error.line == line, str(error)
    assert str(error).startswith(error.path)


# -- fuzzing ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_content(tmp_path_factory.mktemp("content"))


def loads_or_locates(root: Path) -> None:
    """The one acceptable outcome of any broken content: it loads, or a ContentError says where."""
    try:
        load_content(root)
    except ContentError as error:
        assert error.path, str(error)
        assert Path(error.path).resolve().is_relative_to(root.resolve()), str(error)


@contextlib.contextmanager
def broken_file(root: Path, rel: str, data: bytes) -> Iterator[Path]:
    """One file of the pristine copy replaced for the duration of one example."""
    path = root / rel
    original = path.read_bytes()
    path.write_bytes(data)
    try:
        yield path
    finally:
        path.write_bytes(original)


@FUZZ
@given(data=st.data())
def test_truncated_files(pristine: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(SHIPPED), label="file")
    raw = (pristine / rel).read_bytes()
    cut = data.draw(st.integers(0, len(raw) - 1), label="cut at byte")
    with broken_file(pristine, rel, raw[:cut]):
        loads_or_locates(pristine)


def node_paths(tree: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a parsed YAML tree a value could be swapped."""
    yield at
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from node_paths(value, (*at, key))
    elif isinstance(tree, list):
        for n, value in enumerate(tree):
            yield from node_paths(value, (*at, n))


def swap(tree: Any, at: tuple[Any, ...], value: Any, *, key: bool) -> Any:
    """The tree with the node at `at` replaced by `value` (or, for `key`, its key renamed to `value`)."""
    if not at:
        return value
    parent = tree
    for step in at[:-1]:
        parent = parent[step]
    if key and isinstance(parent, dict):
        parent[value] = parent.pop(at[-1])
    else:
        parent[at[-1]] = value
    return tree


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), st.dates())
values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids,
                                                                                          max_size=3), max_leaves=8)
keys = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12))


@FUZZ
@given(data=st.data())
def test_values_of_the_wrong_type(pristine: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(SHIPPED), label="file")
    tree = yaml.safe_load((pristine / rel).read_text(encoding="utf-8"))
    at = data.draw(st.sampled_from(list(node_paths(tree))), label="node")
    rename = data.draw(st.booleans(), label="rename its key") and bool(at)
    tree = swap(tree, at, data.draw(keys if rename else values, label="new"), key=rename)
    with broken_file(pristine, rel, yaml.safe_dump(tree, allow_unicode=True, sort_keys=False).encode("utf-8")):
        loads_or_locates(pristine)


# Wrong types fuzzing has found before; kept so each stays fixed whatever the random draws are.
WRONG_TYPES = [
    ("responses/sources.yaml", ("sources", 0, "id"), ["a", "list"]),
    ("responses/ui.yaml", ("examples", 0), {"a": 1}),
    ("responses/safety.yaml", ("region",), ["us"]),
    ("responses/safety.yaml", ("suggestions", "clinician", 0), []),
    ("responses/safety.yaml", ("suggestions", "clinician"), 7),
    ("intents/config.yaml", ("limits", "max_chars"), None),
    ("intents/config.yaml", ("session", "idle_timeout"), "soon"),
    ("intents/medicines.yaml", ("medicines", 0, "class"), ["ssri"]),
]


@pytest.mark.parametrize("rel, at, value", WRONG_TYPES, ids=[f"{r}:{'.'.join(map(str, a))}" for r, a, _ in WRONG_TYPES])
def test_known_wrong_types(pristine: Path, rel: str, at: tuple[Any, ...], value: Any) -> None:
    tree = swap(yaml.safe_load((pristine / rel).read_text(encoding="utf-8")), at, value, key=False)
    with broken_file(pristine, rel, yaml.safe_dump(tree, sort_keys=False).encode("utf-8")) as path, \
            pytest.raises(ContentError) as caught:
        load_content(pristine)
    assert caught.value.path == str(path) and caught.value.line is not None, str(caught.value)


def _with_line(raw: bytes, line: int, extra: bytes) -> bytes:
    lines = raw.splitlines(keepends=True)
    lines.insert(line - 1, extra)
    return b"".join(lines)


ENCODINGS = {  # name -> (the file re-encoded from its text and bytes, the line the error must name)
    "utf-16 with BOM": (lambda text, raw: text.encode("utf-16"), 1),
    "utf-16-le": (lambda text, raw: text.encode("utf-16-le"), 1),  # valid UTF-8 bytes: NULs, caught by YAML
    "utf-32": (lambda text, raw: text.encode("utf-32"), 1),
    "latin-1 accent on line 3": (lambda text, raw: _with_line(raw, 3, "# caf\u00e9\n".encode("latin-1")), 3),
    "cp1252 quotes on line 2": (lambda text, raw: _with_line(raw, 2, "# \u201cquoted\u201d\n".encode("cp1252")), 2),
    "stray 0xff on line 5": (lambda text, raw: _with_line(raw, 5, b"# \xff\xfe\n"), 5),
}


@pytest.mark.parametrize("rel", ["responses/sources.yaml", "intents/medicines.yaml"])
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_wrong_encodings(pristine: Path, rel: str, encoding: str) -> None:
    raw = (pristine / rel).read_bytes()
    make, line = ENCODINGS[encoding]
    with broken_file(pristine, rel, make(raw.decode("utf-8"), raw)) as path, pytest.raises(ContentError) as caught:
        load_content(pristine)
    assert caught.value.path == str(path) and caught.value.line == line, str(caught.value)


def test_a_utf8_bom_is_fine_or_located(pristine: Path) -> None:
    raw = (pristine / "responses/sources.yaml").read_bytes()
    with broken_file(pristine, "responses/sources.yaml", b"\xef\xbb\xbf" + raw):
        loads_or_locates(pristine)


MALFORMED = {  # name -> the whole file; each must give a ContentError naming this file and a line
    "tab indentation": "sources:\n\t- id: a\n",
    "unclosed quote": 'sources:\n  - id: "a\n    title: b\n',
    "unclosed bracket": "sources: [\n  {id: a, title: b}\n",
    "duplicate key": "sources: []\nsources: []\n",
    "two documents": "sources: []\n---\nsources: []\n",
    "python tag": "sources: !!python/object/apply:os.system [ls]\n",
    "empty file": "",
    "only a comment": "# nothing here\n",
    "a list at the top": "- id: a\n  title: b\n",
    "a plain string": "just some words\n",
    "null byte": "sources:\n  - id: a\x00b\n    title: c\n",
    "control character": "sources:\n  - id: a\x07b\n    title: c\n",
    "bad escape": 'sources:\n  - id: "a\\qb"\n    title: c\n',
    "huge integer key": "99999999999999999999999999999: x\nsources: []\n",
    "deep nesting": "sources: " + "[" * 5000 + "]" * 5000 + "\n",
    "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                  "sources: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_yaml(pristine: Path, name: str) -> None:
    with broken_file(pristine, "responses/sources.yaml", MALFORMED[name].encode("utf-8")) as path, \
            pytest.raises(ContentError) as caught:
        load_content(pristine)
    assert caught.value.path == str(path), str(caught.value)
    # Nesting too deep to read has no one line to blame; everything else does.
    assert caught.value.line is not None or name == "deep nesting", f"no line: {caught.value}"


def test_a_huge_file_is_refused_by_size(pristine: Path) -> None:
    raw = (pristine / "intents/medicines.yaml").read_bytes()
    with broken_file(pristine, "intents/medicines.yaml", raw + b"# padding\n" * 400_000) as path, \
            pytest.raises(ContentError) as caught:
        load_content(pristine)
    assert caught.value.path == str(path) and "bytes" in caught.value.problem


def test_a_big_but_allowed_file_loads_or_is_located(pristine: Path) -> None:
    rel = next(r for r in SHIPPED if r.startswith("intents/") and "intents:" in (pristine / r).read_text())
    tree = yaml.safe_load((pristine / rel).read_text(encoding="utf-8"))
    tree["intents"][0]["examples"] += [f"made up question number {n}" for n in range(20_000)]
    with broken_file(pristine, rel, yaml.safe_dump(tree, sort_keys=False).encode("utf-8")):
        loads_or_locates(pristine)
