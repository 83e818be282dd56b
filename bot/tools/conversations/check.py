"""`psychoed test`: find the scripts, run each against the bot, report failures, coverage and JUnit XML."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ...content import load_content
from ...errors import ConfigError, ScriptError
from . import report
from .load import DEFAULT_FOLDER, Script, find_scripts, load_script
from .run import Result, Runner


def run(*, paths: Sequence[str] = (), content: str | None = None, junit: Path | None = None,
        coverage: bool = False, require_full: bool = False) -> int:
    """0 when every script passed (and coverage is full if required), 1 when one failed, 2 when one is malformed
    (the others still run, so one broken file does not hide how the rest went)."""
    try:
        found = find_scripts(paths or [DEFAULT_FOLDER])
    except ScriptError as exc:
        if paths:
            raise
        raise ConfigError(f"{exc}; run from the project folder or name the scripts") from None
    if not found:
        print("psychoed test: no test_*.yaml scripts found", file=sys.stderr)
        return 2
    runner = Runner(load_content(content) if content else None)
    malformed: list[str] = []
    scripts: list[Script] = []
    for path in found:
        try:
            script = load_script(path)
            runner.validate(script)
            scripts.append(script)
        except ScriptError as exc:  # reported, and the other scripts still run
            malformed.append(str(exc))
    total = len(found)
    print(f"running {total} conversation script{'s' if total != 1 else ''}")
    results: list[Result] = []
    for script in scripts:
        results.append(runner.run(script))
        print("." if results[-1].passed else "F", end="", flush=True)
    print("E" * len(malformed))
    for problem in malformed:
        print(f"\nmalformed script (not run): {problem}")
    for failure in (f for r in results for f in r.failures):
        print(f"\n{failure}")
    if junit:
        try:
            report.write_junit(junit, results)
        except OSError as exc:
            raise ConfigError(f"cannot write {junit}: {exc.strerror}") from None
    complete = True
    if coverage or require_full:
        reached = report.coverage(runner.content, runner.seen)
        complete = reached.complete
        print()
        print(reached.text())
    failed = sum(not r.passed for r in results)
    print()
    if malformed:
        print(f"{len(malformed)} malformed script{'s' if len(malformed) != 1 else ''} counted as failed "
              "(file and line above)")
    print(f"{len(results) - failed} passed, {failed + len(malformed)} failed")
    if malformed:
        return 2
    return 1 if failed or (require_full and not complete) else 0
