"""pytest plugin: every `test_*.yaml` file is a conversation script, collected as one test item.

Registered as the `psychoed` pytest11 entry point (or load it with `-p bot.tools.conversations.pytest_plugin`).
Only files named test_*.yaml are collected, so YAML data kept beside tests is left alone.
A failing script reports the same located message as `psychoed test`; a malformed one is
a collection error naming the file and line. `--psychoed-content DIR` tests another content folder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from ...content import load_content
from ...errors import BotError, ScriptError
from .load import Script, load_script
from .run import Result, Runner

_RUNNER = pytest.StashKey["Runner | BotError"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("psychoed", "conversation scripts (test_*.yaml)")
    group.addoption("--psychoed-content", metavar="DIR", default=None,
                    help="run conversation scripts against this content directory (default: the shipped content)")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScriptFile | None:
    if file_path.suffix == ".yaml" and file_path.name.startswith("test_"):
        return ScriptFile.from_parent(parent, path=file_path)
    return None


def _runner(config: pytest.Config) -> Runner:
    """One Runner (so one content load) for the whole pytest run; a content error fails every script alike."""
    if _RUNNER not in config.stash:
        folder = config.getoption("psychoed_content")
        try:
            config.stash[_RUNNER] = Runner(load_content(folder) if folder else None)
        except BotError as exc:
            config.stash[_RUNNER] = exc
    found = config.stash[_RUNNER]
    if isinstance(found, BotError):
        raise found
    return found


class ScriptFile(pytest.File):
    """A test_*.yaml file: one script, so one item."""

    def collect(self) -> Iterator[ScriptItem]:
        # messages name the file as pytest's own report does: relative to the rootdir where possible
        shown = Path(self.nodeid.split("::")[0]) if self.nodeid else self.path
        try:
            script = dataclasses.replace(load_script(self.path), path=shown)
            _runner(self.config).validate(script)
        except ScriptError as exc:
            where = f"{shown}:{exc.line}" if exc.line is not None else str(shown)
            raise self.CollectError(f"malformed conversation script: {where}: {exc.problem}") from None
        except BotError as exc:
            raise self.CollectError(f"cannot run conversation scripts: {exc}") from None
        yield ScriptItem.from_parent(self, name=script.name, script=script)


class ScriptFailed(Exception):
    """A script whose replies missed their expectations."""

    def __init__(self, result: Result) -> None:
        self.result = result
        super().__init__("\n\n".join(str(f) for f in result.failures))


class ScriptItem(pytest.Item):
    """One conversation script run against the bot."""

    def __init__(self, *, script: Script, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.script = script

    def runtest(self) -> None:
        result = _runner(self.config).run(self.script)
        if not result.passed:
            raise ScriptFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str:
        if isinstance(excinfo.value, ScriptFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"conversation: {self.script.name}"
