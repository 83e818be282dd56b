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
    """0 when every script passed (and coverage is full if required), 1 when one failed, 2 when one is malformed."""
    try:
        found = find_scripts(paths or [DEFAULT_FOLDER])
    except ScriptError as exc:
        if paths:
            raise
        raise ConfigError(f"{exc}; run from the project folder or name the scripts") from None
    runner = Runner(load_content(content) if content else None)
    errors: list[str] = []
    scripts: list[Script] = []
    for path in found:
        try:
            script = load_script(path)
            runner.validate(script)
            scripts.append(script)
        except ScriptError as exc:
            errors.append(str(exc))
    if errors or not scripts:
        print("\n".join(f"malformed script: {e}" for e in errors) or "psychoed test: no test_*.yaml scripts found",
              file=sys.stderr)
        return 2
    print(f"running {len(scripts)} conversation script{'s' if len(scripts) != 1 else ''}")
    results: list[Result] = []
    for script in scripts:
        results.append(runner.run(script))
        print("." if results[-1].passed else "F", end="", flush=True)
    print()
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
    print(f"\n{len(results) - failed} passed, {failed} failed")
    return 1 if failed or (require_full and not complete) else 0
