"""The `psychoed` command as a new user meets it: options on either side of the command, unknown commands,
bad files and options as one line and exit code 2, and output piped into `head`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import Bot
from bot.cli import COMMANDS, main, split

ROOT = Path(__file__).resolve().parent.parent
CRISIS = "I want to kill myself"


def psychoed(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=300, check=False)


@pytest.mark.parametrize("args", [
    ["--region", "uk", "ask", "--json", CRISIS],
    ["ask", "--region", "uk", "--json", CRISIS],
    ["ask", "--json", CRISIS, "--region", "uk"],
    ["--region=uk", "ask", "--json", CRISIS],
    ["--region", "UK", "ask", "--json", CRISIS],
])
def test_global_options_go_either_side_of_the_command_and_regions_ignore_case(args: list[str]) -> None:
    result = psychoed(*args)
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["escalation"] == "crisis" and "116 123" in reply["body"]   # the UK's Samaritans, not 988


def test_split_finds_the_command_after_options_and_their_values() -> None:
    assert split(["--content", "test", "ask", "hi"]) == ("ask", ["--content", "test", "hi"])
    assert split(["--no-color", "serve", "--port", "1"]) == ("serve", ["--no-color", "--port", "1"])
    assert split(["--plain"]) == (None, ["--plain"])


def test_region_ignores_case_in_the_chat_too() -> None:
    result = psychoed("--region", "UK", "--json", stdin=CRISIS + "\n")
    assert result.returncode == 0, result.stderr
    assert "116 123" in json.loads(result.stdout)["body"]


@pytest.mark.parametrize("word, hint", [("foo", None), ("tset", "Did you mean 'test'?"),
                                        ("what", 'psychoed ask "what is cbt?"')])
def test_an_unknown_command_lists_the_commands(word: str, hint: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    args = [word, "is", "cbt?"] if word == "what" else [word]
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"psychoed: {word!r} is not a command")
    assert all(name in err for name in COMMANDS)
    assert "unrecognized arguments" not in err
    if hint:
        assert hint in err


@pytest.mark.parametrize("args, names", [
    (["eval", "--cases", "/nope.yaml"], "/nope.yaml"),
    (["eval", "--content", "/nope"], "/nope"),
    (["eval", "--safety", "--content", "/nope"], "/nope"),
    (["bench", "--scales", "x"], "--scales"),
    (["bench", "--scales", "0"], "--scales"),
    (["lint", "--content", "/nope"], "/nope"),
    (["lint", "--sources", "/nope"], "/nope"),
    (["test", "/nope.yaml"], "/nope.yaml"),
    (["test", "--content", "/nope"], "/nope"),
    (["serve", "--content", "/nope"], "/nope"),
    (["ask", "--content", "/nope", "hi"], "/nope"),
    (["--content", "/nope", "--plain"], "/nope"),
])
def test_bad_files_and_options_are_one_line_and_exit_2(args: list[str], names: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("psychoed") and names in lines[0], err
    assert "Traceback" not in err and ":1:" not in err
    assert out == ""   # nothing on stdout either: lint, say, prints no fake `file:1:` problem line


def test_eval_cases_that_are_not_a_cases_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "cases.yaml"
    bad.write_text("just: a mapping\n")
    assert main(["eval", "--cases", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cases" in err[0]


# lint with none of its warnings recorded as reviewed, so that it has more than two lines to print
@pytest.mark.parametrize("command", [["eval"], ["lint", "--reviewed", "{none}"], ["test"], ["--help"],
                                     ["ask", "what is cbt"]])
def test_output_piped_into_head_ends_quietly(command: list[str], tmp_path: Path) -> None:
    none = tmp_path / "lint-reviewed.yaml"
    none.write_text("reviewed: []\n", encoding="utf-8")
    command = [c.format(none=none) for c in command]
    args = " ".join(command if command != ["ask", "what is cbt"] else ["ask", "'what is cbt'"])
    done = subprocess.run(f"{sys.executable} -m bot {args} | head -2", shell=True, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert len(done.stdout.splitlines()) == 2
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr and "Exception ignored" not in done.stderr


def test_ask_prints_no_chat_hints(shared_bot: Bot) -> None:
    result = psychoed("ask", "what is cbt")
    assert result.returncode == 0
    assert "type a number" not in result.stdout.casefold()
    assert "You could also ask:" in result.stdout                       # the follow-ups are still worth reading
    brief = psychoed("ask", "--brief", "what is cbt")
    reply = shared_bot.reply("what is cbt")
    assert reply.short and reply.short in brief.stdout and reply.body[:60] not in brief.stdout
    assert "ask again without --brief" in brief.stdout and 'Type "more"' not in brief.stdout
