"""Plain mode, JSON lines, `psychoed ask` and the options, through a real subprocess with piped input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import Bot, __version__
from bot.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bot() -> Bot:
    return Bot()


def psychoed(*args: str, stdin: bytes | str = b"",
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` with stdin piped (so never a terminal) and capture what it prints."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run([sys.executable, "-m", "bot", *args], input=data, capture_output=True, cwd=ROOT,
                            env={**os.environ, **(env or {})}, timeout=120, check=False)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode("utf-8"),
                                       result.stderr.decode("utf-8"))


def flat(text: str) -> str:
    return " ".join(text.split())


def cbt(bot: Bot) -> str:
    return bot.content.intent("therapy_cbt").question


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_piped_input_gets_one_plain_reply_per_line_without_prompt_or_colour(bot: Bot) -> None:
    first = bot.reply(cbt(bot))
    follow = first.suggestions[0]
    result = psychoed(stdin=f"{cbt(bot)}\n1\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "\x1b" not in out
    assert not any(line.startswith(">") for line in out.splitlines())  # no prompt
    assert bot.welcome.splitlines()[0] not in out                       # and no welcome screen
    assert flat(first.body) in flat(out)
    assert f"Source: {first.source_title}" in out
    assert f"1) {follow}" in out
    assert flat(bot.reply(follow).body) in flat(out)
    assert out.count(bot.disclaimer.strip()) == 2


def test_plain_flag_and_commands(bot: Bot) -> None:
    result = psychoed("--plain", stdin="/sources\n/topics\n/why\n/nope\n/quit\nWhat is CBT?\n")
    assert result.returncode == 0
    out = result.stdout
    for source in bot.sources:
        assert source.title in out
    for topic in bot.topics:
        assert topic in out
    assert "Nothing to explain yet" in out
    assert "Unknown command /nope" in out
    assert "Goodbye" in out and "Source:" not in out  # nothing after /quit


def test_json_gives_one_reply_object_per_line_and_follows_numbers(bot: Bot) -> None:
    first = bot.reply(cbt(bot))
    result = psychoed("--json", stdin=f"{cbt(bot)}\n1\nI want to kill myself\n{cbt(bot)}\n")
    assert result.returncode == 0, result.stderr
    replies = json_lines(result.stdout)
    assert len(replies) == 4
    assert set(replies[0]) == set(first.to_dict())
    assert replies[0]["kind"] == "answer" and replies[0]["intent"] == "therapy_cbt"
    assert replies[0]["suggestions"] == list(first.suggestions)
    assert replies[1]["body"] == bot.reply(first.suggestions[0]).body
    assert replies[2]["kind"] == "escalation" and replies[2]["escalation"] == "crisis"
    assert replies[3]["intent"] == "therapy_cbt" and replies[3]["resources"]  # the session remembers the crisis


def test_no_session_answers_each_line_alone(bot: Bot) -> None:
    result = psychoed("--json", "--no-session", stdin=f"{cbt(bot)}\n1\nI want to kill myself\n{cbt(bot)}\n")
    replies = json_lines(result.stdout)
    assert len(replies) == 4
    assert replies[1]["body"] != bot.reply(bot.reply(cbt(bot)).suggestions[0]).body  # "1" means nothing alone
    assert replies[2]["escalation"] == "crisis"
    assert replies[3]["resources"] is None


def test_no_session_in_plain_text_mode(bot: Bot) -> None:
    result = psychoed("--plain", "--no-session", stdin=f"I want to kill myself\n{cbt(bot)}\n")
    assert result.returncode == 0
    resources = bot.session()
    resources.send("I want to kill myself")
    kept = resources.send(cbt(bot)).resources
    assert kept and flat(kept) not in flat(result.stdout.split("CRISIS SUPPORT")[1])


def test_hostile_lines_each_get_a_reply_and_nothing_is_echoed_raw() -> None:
    lines = [b"", b"   ", b"\xff\xfe\x00binary", "😀 ¿qué es la terapia? 什么".encode(), b"x" * 200_000,
             b"\x1b[2J\x1b]0;title\x07what is cbt\r", b"/x\x1b[31m"]
    result = psychoed("--json", stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 0 and result.stderr == ""
    replies = json_lines(result.stdout)
    assert len(replies) == len(lines)
    assert all(r["disclaimer"] for r in replies)
    assert replies[4]["notice"]  # the long line was shortened, and the reply says so
    assert all("\x1b" not in str(r["text"]) and "\x07" not in str(r["text"]) for r in replies)
    plain = psychoed(stdin=b"\n".join(lines) + b"\n")
    assert plain.returncode == 0 and plain.stderr == ""
    assert "\x1b" not in plain.stdout and "\x07" not in plain.stdout and "\x00" not in plain.stdout
    assert "Unknown command /x." in plain.stdout and "[31m" not in plain.stdout  # the whole sequence is gone
    assert replies[5]["intent"] == "therapy_cbt"  # the question after the escape sequences still reads


def test_ask_answers_one_question(bot: Bot) -> None:
    result = psychoed("ask", "What", "is", "CBT?")
    assert result.returncode == 0
    assert flat(bot.reply(cbt(bot)).body) in flat(result.stdout)
    assert bot.disclaimer.strip() in result.stdout
    assert "\x1b" not in result.stdout
    as_json = json.loads(psychoed("ask", "--json", cbt(bot)).stdout)
    assert as_json["intent"] == "therapy_cbt"


def test_ask_without_a_question_is_a_usage_error() -> None:
    result = psychoed("ask")
    assert result.returncode == 2
    assert "usage: psychoed ask" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [("--content", "/nonexistent/content"), ("--region", "atlantis"),
                                  ("ask", "--region", "atlantis", "hi")])
def test_bad_content_or_region_is_one_clear_line_and_exit_2(args: tuple[str, ...]) -> None:
    result = psychoed(*args, stdin="What is CBT?\n")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("psychoed: ")


def test_broken_content_names_the_file(tmp_path: Path) -> None:
    import shutil

    from bot.content import default_path
    shutil.copytree(default_path() / "intents", tmp_path / "intents")
    shutil.copytree(default_path() / "responses", tmp_path / "responses")
    (tmp_path / "responses" / "ui.yaml").write_text("welcome: [unclosed\n")
    result = psychoed("--content", str(tmp_path), stdin="hi\n")
    assert result.returncode == 2
    assert "ui.yaml" in result.stderr and "Traceback" not in result.stderr


def test_version_and_help() -> None:
    assert psychoed("--version").stdout.strip() == f"psychoed {__version__}"
    result = psychoed("--help")
    assert result.returncode == 0
    for option in ("--content DIR", "--region", "--no-color", "--plain", "--json", "--session, --no-session",
                   "--version", "--startup-time"):
        assert option in result.stdout
    for name, (_, _, about) in COMMANDS.items():
        assert name in result.stdout and about in result.stdout
    assert "examples:" in result.stdout and 'psychoed ask "What is CBT?"' in result.stdout


def test_startup_time_runs_without_a_terminal() -> None:
    result = psychoed("--startup-time", "--json")
    assert result.returncode == 0, result.stderr
    times = json.loads(result.stdout)
    assert 0 < times["prompt_ready_seconds"] <= times["welcome_shown_seconds"] < 60
    assert "prompt ready" in psychoed("--startup-time").stdout


def test_output_closed_early_is_quiet() -> None:
    proc = subprocess.Popen(f"{sys.executable} -m bot --plain | head -c 10", shell=True, cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(("What is CBT?\n" * 200).encode(), timeout=120)
    assert len(out) == 10
    assert b"Traceback" not in err


def test_a_number_out_of_range_keeps_the_list_in_plain_and_json_modes(bot: Bot) -> None:
    first = bot.reply(cbt(bot))
    n = len(first.suggestions)
    plain = psychoed(stdin=f"{cbt(bot)}\n{n + 4}\n1\n")
    assert f"There is no question {n + 4} here. Choose a number from 1 to {n}" in plain.stdout
    assert flat(bot.reply(first.suggestions[0]).body) in flat(plain.stdout.split(f"no question {n + 4}")[1])
    replies = json_lines(psychoed("--json", stdin=f"{cbt(bot)}\n{n + 4}\n1\n").stdout)
    assert replies[1]["kind"] == "clarify" and replies[1]["suggestions"] == list(first.suggestions)
    assert replies[2]["body"] == bot.reply(first.suggestions[0]).body
