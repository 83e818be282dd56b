"""`psychoed lint`: quiet on the shipped content, and loud, with file and line, on a broken copy of it."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import load_content
from bot.cli import main as psychoed
from bot.content import default_path
from bot.content.yamlfile import read
from bot.tools import lint
from bot.tools.lint import Problem

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<level>error|warning): (?P<message>.+)$")
# Written for this test, not taken from any source: it stands in for a source document's sentence.
SOURCE_SENTENCE = "Gentle walking in the park every evening slowly rebuilds the confidence that long pain wears away."


@dataclass
class Broken:
    """A copy of the shipped content with four things broken, and where each one is."""

    root: Path
    sources: Path
    dose: tuple[str, int]
    copied: tuple[str, int]
    stale: tuple[str, int]
    suggestion: tuple[str, int]


def _copy(tmp: Path) -> Path:
    for sub in ("intents", "responses"):
        shutil.copytree(default_path() / sub, tmp / sub)
    return tmp


def _insert_after(path: Path, line: int, text: str) -> int:
    """Insert a line into a folded `text: >` block right after its key; return the new line's number."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    indent = re.match(r"\s*", lines[line]).group(0)  # the block's first line sets the indentation
    lines.insert(line, f"{indent}{text}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return line + 1


def _replace_line(path: Path, line: int, pattern: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = re.sub(pattern, new, lines[line - 1], count=1)
    assert changed != lines[line - 1], f"nothing to replace on {path}:{line}"
    lines[line - 1] = changed
    path.write_text("".join(lines), encoding="utf-8")


def main(args: list[str]) -> int:
    return psychoed(["lint", *args])


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, str]], str]:
    code = main(args)
    out = capsys.readouterr().out
    found = [m.groupdict() for m in map(LINE.match, out.splitlines()) if m]
    return code, found, out


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Broken:
    root = _copy(tmp_path_factory.mktemp("content"))
    sources = tmp_path_factory.mktemp("sources")
    (sources / "walking.txt").write_text(f"Walking and Pain\n\n{SOURCE_SENTENCE}\n", encoding="utf-8")
    content = load_content(root)
    answers = [a for a in content.answers.values() if content.sourced(a.intent) and a.intent != "medication_info"]
    first, second, third = answers[0], answers[1], answers[2]

    def entry(answer_path: str, intent: str) -> dict:
        data = read(Path(answer_path))
        return next(e for e in data["answers"] if e["intent"] == intent)

    # The text key's line is where the folded block starts; insert each sentence as its first line.
    dose_line = _insert_after(Path(first.path), entry(first.path, first.intent).lines["text"],
                              "Most people take 25 mg at night.")
    copy_line = _insert_after(Path(second.path), entry(second.path, second.intent).lines["text"], SOURCE_SENTENCE)
    stale_line = entry(third.path, third.intent).lines["reviewed"]
    _replace_line(Path(third.path), stale_line, r"date: [0-9-]+", "date: 2020-01-01")
    # A follow-up the bot will not answer: the suggested intent's question now asks for a medicine decision.
    target = content.intent(first.suggestions[0])
    question_line = read(Path(target.path))
    question_line = next(e for e in question_line["intents"] if e["id"] == target.id).lines["question"]
    _replace_line(Path(target.path), question_line, r"question: .*", "question: Should I stop taking my duloxetine?")
    suggestion_line = entry(first.path, first.intent)["suggestions"].lines[0]
    return Broken(root, sources, (first.path, dose_line), (second.path, copy_line), (third.path, stale_line),
                  (first.path, suggestion_line))


@pytest.fixture(scope="module")
def broken_run(broken: Broken) -> tuple[int, list[dict[str, str]], str]:
    # Run once for all the checks below: lint rebuilds the matcher many times and takes seconds.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--content", str(broken.root), "--sources", str(broken.sources)])
    found = [m.groupdict() for m in map(LINE.match, out.getvalue().splitlines()) if m]
    return code, found, out.getvalue()


def _at(found: list[dict[str, str]], where: tuple[str, int], level: str, words: str) -> list[dict[str, str]]:
    path, line = where
    return [p for p in found if Path(p["path"]).resolve() == Path(path).resolve() and int(p["line"]) == line
            and p["level"] == level and words in p["message"]]


def test_shipped_content_passes(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--sources", str(SEEDS)] if SEEDS.is_dir() else []
    code, found, out = _run(args, capsys)
    errors = [p for p in found if p["level"] == "error"]
    assert code == 0 and not errors, out


def test_every_printed_problem_is_located(broken_run: tuple[int, list[dict[str, str]], str]) -> None:
    code, found, out = broken_run
    assert code == 1
    problems = [line for line in out.splitlines() if not line.startswith("lint: ")]
    assert problems and len(found) == len(problems), out


def test_a_dose_in_an_answer_is_an_error(broken: Broken, broken_run: tuple[int, list[dict[str, str]], str]) -> None:
    assert _at(broken_run[1], broken.dose, "error", "'25 mg'"), broken_run[2]


def test_copied_words_are_an_error(broken: Broken, broken_run: tuple[int, list[dict[str, str]], str]) -> None:
    hits = _at(broken_run[1], broken.copied, "error", "words in a row from 'Walking and Pain'")
    assert hits, broken_run[2]
    assert f"copies {len(SOURCE_SENTENCE.split())} words" in hits[0]["message"]


def test_a_stale_review_only_warns(broken: Broken, broken_run: tuple[int, list[dict[str, str]], str]) -> None:
    assert _at(broken_run[1], broken.stale, "warning", "last reviewed on 2020-01-01"), broken_run[2]
    assert not _at(broken_run[1], broken.stale, "error", "")


def test_a_follow_up_the_bot_does_not_answer_is_an_error(
        broken: Broken, broken_run: tuple[int, list[dict[str, str]], str]) -> None:
    hits = _at(broken_run[1], broken.suggestion, "error", "Should I stop taking my duloxetine?")
    assert hits and "escalation, not an answer" in hits[0]["message"], broken_run[2]


@pytest.mark.parametrize("levels, code", [(("warning",), 0), (("warning", "error"), 1), ((), 0)])
def test_only_errors_fail(levels: tuple[str, ...], code: int, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    found = [Problem("responses/x.yaml", n, level, "something") for n, level in enumerate(levels, 1)]
    monkeypatch.setattr(lint, "lint", lambda content, **_: found)
    none_reviewed = _reviewed(tmp_path, "  []\n")  # not the shipped file's, whose warnings these are not
    assert main(["--reviewed", str(none_reviewed)]) == code
    assert capsys.readouterr().out.splitlines()[: len(found)] == [str(p) for p in found]


def test_invalid_content_is_one_located_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy(tmp_path)
    (root / "responses" / "sources.yaml").write_text("sources: [unclosed\n", encoding="utf-8")
    code = main(["--content", str(root)])
    err = capsys.readouterr().err.strip()
    assert code == 2  # the content cannot be linted at all: one line, as for every command
    assert len(err.splitlines()) == 1 and re.search(r"sources\.yaml:\d+: not valid YAML", err), err


# -- reviewed warnings -----------------------------------------------------------------------------

def _fake(monkeypatch: pytest.MonkeyPatch) -> list[Problem]:
    """lint() giving two warnings and no error, so the reviewed file is tested without seconds of linting."""
    found = [Problem("intents/a.yaml", 3, "warning", "examples of 'greeting' land on 'goodbye'", "confusable",
                     "greeting", "goodbye"),
             Problem("responses/b.yaml", 9, "warning", "short form of 'therapy_cbt' reads at grade 9", "short-grade",
                     "therapy_cbt")]
    monkeypatch.setattr(lint, "lint", lambda content, **_: list(found))
    return found


def _reviewed(tmp_path: Path, entries: str) -> Path:
    path = tmp_path / "lint-reviewed.yaml"
    path.write_text("reviewed:\n" + entries, encoding="utf-8")
    return path


ACCEPT_CONFUSABLE = ("  - check: confusable\n    intent: greeting\n    other: goodbye\n"
                     "    why: both are small talk; either reply is fine\n    by: content team\n")


def test_a_reviewed_warning_is_not_printed_and_a_new_one_stands_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    found = _fake(monkeypatch)
    path = _reviewed(tmp_path, ACCEPT_CONFUSABLE)
    code, _, out = _run(["--reviewed", str(path)], capsys)
    assert code == 0
    assert str(found[0]) not in out and str(found[1]) in out
    assert out.splitlines()[-1].startswith("lint: 0 errors, 1 warnings (1 more reviewed in ")
    assert main(["--reviewed", str(path), "--strict"]) == 1          # the unreviewed one fails a strict run
    capsys.readouterr()


def test_strict_passes_when_every_warning_is_reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _fake(monkeypatch)
    path = _reviewed(tmp_path, ACCEPT_CONFUSABLE + "  - check: short-grade\n    intent: therapy_cbt\n"
                               "    why: one sentence; the formula is unreliable on it\n    by: Dr A\n"
                               "    date: 2026-12-01\n")
    code, found, out = _run(["--reviewed", str(path), "--strict"], capsys)
    assert code == 0 and not found, out
    assert "(2 more reviewed in" in out


def test_examples_landing_on_the_out_of_scope_questions_can_be_reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    found = [Problem("intents/a.yaml", 3, "warning", "examples of 'medication_info' land on '(out of scope)'",
                     "confusable", "medication_info", "(out of scope)")]
    monkeypatch.setattr(lint, "lint", lambda content, **_: list(found))
    path = _reviewed(tmp_path, "  - check: confusable\n    intent: medication_info\n    other: (out of scope)\n"
                               "    why: a family of medicines asked about is near the out-of-scope questions\n    by: me\n")
    code, left, out = _run(["--reviewed", str(path), "--strict"], capsys)
    assert code == 0 and not left, out


def test_a_reviewed_warning_that_no_longer_occurs_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    _fake(monkeypatch)
    path = _reviewed(tmp_path, ACCEPT_CONFUSABLE + "  - check: confusable\n    intent: therapy_cbt\n"
                               "    other: therapy_types\n    why: accepted once\n    by: content team\n")
    code, found, out = _run(["--reviewed", str(path)], capsys)
    stale = [p for p in found if "no longer occurs" in p["message"]]
    assert code == 0 and stale and stale[0]["line"] == "7" and "therapy_cbt" in stale[0]["message"], out


@pytest.mark.parametrize("entry, line, problem", [
    ("  - check: confusable\n    intent: greeting\n    other: goodbye\n    by: me\n", 2, "has no 'why'"),
    ("  - check: confusable\n    intent: greeting\n    other: goodbye\n    why: ''\n    by: me\n", 5, "'why' must say"),
    ("  - check: confused\n    intent: greeting\n    why: x\n    by: me\n", 2, "did you mean 'confusable'"),
    ("  - check: short-grade\n    intent: therapy_cbx\n    why: x\n    by: me\n", 3, "unknown intent 'therapy_cbx'"),
])
def test_a_bad_reviewed_entry_is_one_located_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], entry: str, line: int,
                                                   problem: str) -> None:
    _fake(monkeypatch)
    path = _reviewed(tmp_path, entry)
    assert main(["--reviewed", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"lint-reviewed.yaml:{line}: " in err and problem in err, err


def test_the_template_lists_the_unreviewed_warnings_to_fill_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import yaml
    _fake(monkeypatch)
    assert main(["--reviewed", str(_reviewed(tmp_path, ACCEPT_CONFUSABLE)), "--template"]) == 0
    entries = yaml.safe_load(capsys.readouterr().out)["reviewed"]
    assert [(e["check"], e["intent"]) for e in entries] == [("short-grade", "therapy_cbt")]
    assert entries[0]["why"] == ""       # for a person to write; an empty one is refused


def test_shipped_warnings_each_name_their_check_and_intents(broken_run: tuple[int, list[dict[str, str]], str],
                                                            broken: Broken) -> None:
    from bot.tools.lint import lint as run_lint
    content = load_content(broken.root)
    for problem in (p for p in run_lint(content) if p.level == "warning"):
        assert problem.check in ("short-grade", "review-date", "confusable") and problem.intent, problem
