"""The conversation-script runner as a clinic meets it: the format, the messages, the exit codes, the reports."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.cli import main as cli
from bot.tools.conversations.load import (
    EXPECT_KEYS,
    SCRIPT_KEYS,
    SETTINGS_KEYS,
    TURN_KEYS,
    ScriptError,
    find_scripts,
    load_script,
)
from bot.tools.conversations.run import Runner

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "tests" / "conversations"
SCHEMA = ROOT / "docs" / "conversation.schema.json"

WRONG = """\
name: deliberately wrong
turns:
  - user: What is CBT?
    expect: {intent: therapy_cbt}
  - user: What is a neuromodulator?
    expect: {intent: time_to_work, contains: [zebra]}
"""
PASSING = """\
name: greeting passes
turns:
  - user: Hello
    expect: {intent: greeting, disclaimer: true}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def psychoed(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "test", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


# -- the format ---------------------------------------------------------------------------------------

def test_the_documented_example_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "test_example.yaml", """\
        name: pain prescription follow-up
        settings: {region: us}          # optional
        turns:
          - user: my doctor gave me amitriptyline for back pain but I'm not depressed
            expect: {intent: not_depressed_why_prescribed, source: neuromodulators, contains: ["pain"]}
          - user: how long till it works
            expect: {intent: time_to_work}
          - user: can I take two tonight
            expect: {escalation: clinician, not_contains: ["mg"]}
        """)
    script = load_script(path)
    assert script.name == "pain prescription follow-up" and script.region == "us"
    assert [t.line for t in script.turns] == [4, 6, 8]
    assert [c.key for c in script.turns[0].checks] == ["intent", "source", "contains"]
    assert script.turns[2].checks[1].want == ("mg",)


def test_a_bare_number_is_the_message_typed(tmp_path: Path) -> None:
    script = load_script(write(tmp_path, "test_n.yaml", "name: n\nturns:\n  - user: 2\n    expect: {kind: fallback}\n"
                                                        "  - users: [1, first]\n    expect: {kind: answer}\n"))
    assert script.turns[0].users == ("2",) and script.turns[1].users == ("1", "first")


MALFORMED = [
    ("name: x\nturns:\n  - user: hi\n    expect: {intnet: greeting}\n", 4, "did you mean 'intent'"),
    ("name: x\nturns:\n  - user: yes\n    expect: {kind: answer}\n", 3, "put it in quotes"),
    ("name: x\nturns:\n  - user: hi\n    expect: {kind: answer}\n  - user: hi again\n", 5, "the turn has no 'expect'"),
    ("name: x\nturns:\n  - user: hi\n    users: [a]\n", 3, "exactly one of 'user', 'users' or 'reset'"),
    ("name: x\nturns:\n  - user: hi\n    expect: {kind: anwser}\n", 4, "'kind' must be one of"),
    ("name: x\nturns:\n  - user: hi\n    expect: {matches: '([a'}\n", 4, "not a valid regular expression"),
    ("name: x\nturns:\n  - reset: true\n    expect: {kind: answer}\n", 4, "reset turn"),
    ("name: x\nturns:\n  - user: hi\n    expect: {confidence_at_least: 2}\n", 4, "from 0 to 1"),
    ("name: x\nturns:\n  - user: hi\n    expect: {disclaimer: maybe}\n", 4, "must be true (shown) or false"),
    ("name: x\nturns:\n  - user: hi\n    expect: {}\n", 4, "'expect' is empty"),
    ("name: x\nturns:\n  - user: hi\n  expect: {kind: answer\n", 4, "not valid YAML"),
    ("turns:\n  - user: hi\n", 1, "no 'name'"),
    ("name: x\nturns:\n  - hi\n", 3, "a turn must be a mapping"),
    ("name: x\nturns:\n  - reset: true\n", 2, "sends no message"),
    ("name: x\nsettings: {regoin: uk}\nturns:\n  - user: hi\n    expect: {kind: answer}\n", 2, "did you mean 'region'"),
]


@pytest.mark.parametrize(("text", "line", "problem"), MALFORMED, ids=[m[2] for m in MALFORMED])
def test_a_malformed_script_names_file_and_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = write(tmp_path, "test_bad.yaml", text)
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("name: x\nturns:\n  - user: hi\n    expect: {intent: greting}\n", 4, "did you mean 'greeting'"),
    ("name: x\nturns:\n  - user: hi\n    expect: {source: webmd}\n", 4, "unknown source 'webmd'"),
    ("name: x\nsettings:\n  region: fr\nturns:\n  - user: hi\n    expect: {kind: answer}\n", 3, "unknown region 'fr'"),
])
def test_ids_are_checked_against_the_content(tmp_path: Path, runner: Runner, text: str, line: int, problem: str) -> None:
    script = load_script(write(tmp_path, "test_ids.yaml", text))
    with pytest.raises(ScriptError) as caught:
        runner.validate(script)
    assert caught.value.line == line and problem in caught.value.problem


def test_folders_hold_only_test_scripts(tmp_path: Path) -> None:
    write(tmp_path, "test_a.yaml", PASSING)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "test_b.yaml", PASSING)
    write(tmp_path, "heldout.yaml", "cases: []\n")
    assert sorted(p.name for p in find_scripts([tmp_path])) == ["test_a.yaml", "test_b.yaml"]
    assert all(p.name.startswith("test_") for p in find_scripts([ROOT / "tests"]))


# -- running ------------------------------------------------------------------------------------------

def test_variants_each_replay_the_turns_before_them(tmp_path: Path, runner: Runner) -> None:
    script = load_script(write(tmp_path, "test_v.yaml", """\
        name: variants
        turns:
          - user: what is zoloft
            expect: {kind: answer}
          - users: [is it an ssri, what group is it in, is it an snri]
            expect: {intent: medication_info, contains: [sertraline], not_contains: [SSRI]}
        """))
    result = runner.run(script)
    # every variant saw zoloft as "it"; the SSRI check fails for each, reported with its own variant number
    assert [f.variant for f in result.failures] == ["variant 1 of 3", "variant 2 of 3", "variant 3 of 3"]
    assert all(f.problems == ("reply without 'SSRI' (it is there)",) for f in result.failures)


def test_reset_forgets_the_crisis(tmp_path: Path, runner: Runner) -> None:
    script = load_script(write(tmp_path, "test_r.yaml", """\
        name: reset
        turns:
          - user: I want to end my life
            expect: {escalation: crisis}
          - user: What is CBT?
            expect: {resources: true}
          - reset: true
          - user: What is CBT?
            expect: {resources: false}
        """))
    assert runner.run(script).passed


def test_a_failing_turn_does_not_hide_later_ones(tmp_path: Path, runner: Runner) -> None:
    script = load_script(write(tmp_path, "test_f.yaml", """\
        name: two failures
        turns:
          - user: What is CBT?
            expect: {kind: fallback}
          - user: Hello
            expect: {kind: answer}
          - user: What is talk therapy?
            expect: {escalation: crisis}
        """))
    assert [(f.number, f.line) for f in runner.run(script).failures] == [(1, 3), (3, 7)]


def test_a_wrong_script_fails_with_a_located_message(tmp_path: Path) -> None:
    path = write(tmp_path, "test_wrong.yaml", WRONG)
    done = psychoed(path)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert f"{path}:5: 'deliberately wrong', turn 2" in out
    assert "  user:     What is a neuromodulator?" in out
    assert "  expected: intent time_to_work (got neuromodulators_what_are)" in out
    assert "            reply containing 'zebra'" in out
    assert "  got:      kind answer, intent neuromodulators_what_are, escalation none" in out
    assert "  reply:    " in out
    assert out.rstrip().splitlines()[-1] == "0 passed, 1 failed"
    assert out.splitlines()[1] == "F"  # the progress line


def test_passing_scripts_exit_zero(tmp_path: Path) -> None:
    write(tmp_path, "test_ok.yaml", PASSING)
    done = psychoed(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().splitlines()[-1] == "1 passed, 0 failed"


def test_a_malformed_script_is_reported_and_the_rest_still_run(tmp_path: Path) -> None:
    write(tmp_path, "test_ok.yaml", PASSING)
    bad = write(tmp_path, "test_bad.yaml", "name: x\nturns:\n  - user: hi\n    expect: {intnet: greeting}\n")
    write(tmp_path, "test_wrong.yaml", WRONG)
    done = psychoed(tmp_path)
    assert done.returncode == 2
    out = done.stdout
    assert f"malformed script (not run): {bad}:4: unknown key 'intnet'" in out
    assert "'deliberately wrong', turn 2" in out                  # the scripts after it ran
    lines = out.rstrip().splitlines()
    assert lines[-1] == "1 passed, 2 failed" and "1 malformed script counted as failed" in lines[-2]
    assert sorted(lines[1]) == [".", "E", "F"]                     # the progress line: passed, malformed, failed


def test_a_failing_number_shows_the_question_it_stood_for(tmp_path: Path) -> None:
    from bot import Bot
    bot = Bot()
    first = bot.reply("What is CBT?")
    path = write(tmp_path, "test_number.yaml", """\
        name: numbers
        turns:
          - user: What is CBT?
            expect: {intent: therapy_cbt}
          - user: 1
            expect: {intent: greeting}
          - user: What is CBT?
            expect: {intent: therapy_cbt}
          - user: 9
            expect: {intent: therapy_cbt}
        """)
    out = psychoed(path).stdout
    assert f"  user:     1  (question 1: {first.suggestions[0]})" in out
    assert f"  user:     9  (no question 9 in the list of {len(first.suggestions)})" in out


def test_a_number_out_of_range_gets_the_sessions_one_reply(tmp_path: Path, runner: Runner) -> None:
    script = load_script(write(tmp_path, "test_range.yaml", """\
        name: out of range
        turns:
          - user: What is CBT?
            expect: {intent: therapy_cbt}
          - user: 7
            expect: {kind: clarify, contains: "There is no question 7 here", suggestions_include: [therapy_for_pain]}
          - user: 1
            expect: {intent: therapy_for_pain}
        """))
    result = runner.run(script)
    assert result.passed, "\n".join(map(str, result.failures))


def test_disclaimer_false_checks_that_crisis_replies_carry_none(tmp_path: Path, runner: Runner) -> None:
    script = load_script(write(tmp_path, "test_d.yaml", """\
        name: disclaimers
        turns:
          - user: I want to kill myself
            expect: {escalation: crisis, disclaimer: false}
          - user: What is CBT?
            expect: {intent: therapy_cbt, disclaimer: false}
        """))
    failures = runner.run(script).failures
    assert [(f.number, f.problems) for f in failures] == [(2, ("no disclaimer in the reply (it is there)",))]


def test_missing_path_and_bad_content_exit_2(tmp_path: Path) -> None:
    assert psychoed(tmp_path / "nowhere").returncode == 2
    write(tmp_path, "test_ok.yaml", PASSING)
    done = psychoed("--content", tmp_path, tmp_path)
    assert done.returncode == 2 and "intents" in done.stderr


def test_content_option_tests_another_content_folder(tmp_path: Path) -> None:
    import shutil
    for sub in ("intents", "responses"):
        shutil.copytree(ROOT / sub, tmp_path / "clinic" / sub)
    ui = tmp_path / "clinic" / "responses" / "ui.yaml"
    ui.write_text(ui.read_text(encoding="utf-8").replace("Please ask a question.", "Type your question here."),
                  encoding="utf-8")
    write(tmp_path, "test_empty.yaml", 'name: empty\nturns:\n  - user: ""\n    expect: {contains: [Please ask a question]}\n')
    assert psychoed(tmp_path / "test_empty.yaml").returncode == 0
    done = psychoed("--content", tmp_path / "clinic", tmp_path / "test_empty.yaml")
    assert done.returncode == 1 and "reply containing 'Please ask a question'" in done.stdout


# -- reports ------------------------------------------------------------------------------------------

def test_junit_xml(tmp_path: Path) -> None:
    wrong = write(tmp_path, "test_wrong.yaml", WRONG)
    write(tmp_path, "test_ok.yaml", PASSING)
    report = tmp_path / "out" / "junit.xml"
    assert psychoed(tmp_path, "--junit", report).returncode == 1
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"deliberately wrong", "greeting passes"}
    assert cases["greeting passes"].find("failure") is None
    failure = cases["deliberately wrong"].find("failure")
    assert failure is not None and failure.get("message", "").startswith(f"{wrong}:5: turn 2: intent time_to_work")
    assert "got:      kind answer" in (failure.text or "")


def test_coverage_lists_what_no_script_reaches(tmp_path: Path) -> None:
    write(tmp_path, "test_ok.yaml", PASSING)
    done = psychoed(tmp_path, "--coverage")
    assert done.returncode == 0
    out = done.stdout
    assert "coverage: 1/" in out and "0/3 escalation classes" in out
    assert "  intent therapy_cbt (intents/therapy.yaml, line " in out
    assert "  intent greeting " not in out
    assert "  escalation class crisis" in out and "  reply overdose (responses/safety.yaml)" in out
    assert out.rstrip().splitlines()[-1] == "1 passed, 0 failed"
    assert psychoed(tmp_path, "--require-full-coverage").returncode == 1


def test_the_shipped_suite_passes_with_full_coverage(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code = cli(["test", "--require-full-coverage"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "(full)" in out


# -- the schema ---------------------------------------------------------------------------------------

def test_the_schema_knows_the_same_keys_as_the_loader() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    defs = schema["$defs"]
    assert tuple(schema["properties"]) == SCRIPT_KEYS
    assert tuple(schema["properties"]["settings"]["properties"]) == SETTINGS_KEYS
    assert set(defs["turn"]["properties"]) == set(TURN_KEYS)
    assert tuple(defs["expect"]["properties"]) == EXPECT_KEYS


def test_every_shipped_script_validates_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    scripts = find_scripts([SHIPPED])
    assert len(scripts) >= 10
    for path in scripts:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
        assert not errors, (path, errors)
    for text, _, _ in MALFORMED[:9]:  # the schema rejects what the loader rejects (YAML-level ones aside)
        assert list(validator.iter_errors(yaml.safe_load(text))), text


# -- the pytest plugin --------------------------------------------------------------------------------

def _plugin() -> list[str]:
    """`-p bot.pytest_plugin` until the entry point is installed; loading it twice would be an error."""
    plugin = "bot.tools.conversations.pytest_plugin"
    installed = any(ep.value.startswith(plugin) for ep in importlib.metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", plugin]


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", *_plugin(), "-p", "no:cacheprovider", *args, str(folder)],
                          cwd=folder, capture_output=True, text=True, timeout=120, check=False)


def test_plugin_collects_one_item_per_script_and_no_data_files(tmp_path: Path) -> None:
    write(tmp_path, "test_ok.yaml", PASSING)
    write(tmp_path, "test_wrong.yaml", WRONG)
    write(tmp_path, "heldout.yaml", "cases: [{text: hi, intent: greeting}]\n")
    done = run_pytest(tmp_path, "-v")
    assert done.returncode == 1
    assert "test_ok.yaml::greeting passes PASSED" in done.stdout
    assert "test_wrong.yaml::deliberately wrong FAILED" in done.stdout
    assert "heldout" not in done.stdout and "1 failed, 1 passed" in done.stdout
    assert "test_wrong.yaml:5: 'deliberately wrong', turn 2" in done.stdout  # the path as pytest shows it
    assert "  expected: intent time_to_work (got neuromodulators_what_are)" in done.stdout
    assert "Traceback" not in done.stdout


def test_plugin_works_with_k_and_x(tmp_path: Path) -> None:
    write(tmp_path, "test_a_wrong.yaml", WRONG)
    write(tmp_path, "test_b_ok.yaml", PASSING)
    selected = run_pytest(tmp_path, "-k", "greeting")
    assert selected.returncode == 0 and "1 passed, 1 deselected" in selected.stdout
    stopped = run_pytest(tmp_path, "-x")
    assert stopped.returncode == 1 and "1 failed" in stopped.stdout and "passed" not in stopped.stdout


def test_plugin_reports_a_malformed_script_as_a_collection_error(tmp_path: Path) -> None:
    write(tmp_path, "test_bad.yaml", "name: x\nturns:\n  - user: hi\n    expect: {intnet: greeting}\n")
    done = run_pytest(tmp_path)
    assert done.returncode == 2
    assert "malformed conversation script: test_bad.yaml:4: unknown key 'intnet'" in done.stdout


def test_plugin_leaves_the_yaml_data_under_tests_alone() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", *_plugin(), "-p", "no:cacheprovider", "--collect-only", "-q",
                           "tests/eval", "tests/safety", "tests/data"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 5, done.stdout  # "no tests collected"
