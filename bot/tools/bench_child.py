"""The measuring side of `psychoed bench`, run in a fresh child process.

It imports nothing but the bot (the parent hands it the held-out questions as JSON), so the start-up and
peak memory it reports are the bot's own, not the benchmark's.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

WARMUP = "what is cbt?"
LONG_CHARS, LONG_STORIES = 20_000, 20  # safety reads all of a message up to 20,000 characters: its longest turn
LONG_PASSES = 3


def child(t0: float, t1: float, content_dir: str, cases_file: str, passes: str, profile: str = "") -> None:
    """Load, answer once (announce it), then time every held-out question `passes` times; print JSON."""
    import resource

    from .. import Bot, load_content

    content = load_content(content_dir)
    t2 = time.perf_counter()
    bot = Bot(content)
    del content  # held by the bot, as in the front ends, which pass load_content() straight in
    t3 = time.perf_counter()
    bot.reply(WARMUP)
    t4 = time.perf_counter()
    print("ready", flush=True)
    cases = _cases(Path(cases_file))
    runs: list[list[float]] = []
    right = 0
    for n in range(int(passes)):  # 0 passes: a start-up measurement only
        times: list[float] = []
        for text, want in cases:
            start = time.perf_counter()
            reply = bot.reply(text)
            times.append(time.perf_counter() - start)
            right += n == 0 and (reply.intent if reply.kind == "answer" else None) == want
        runs.append(times)
    long: list[list[float]] = []  # each story, read LONG_PASSES times (each time in a fresh session)
    for story in _stories([text for text, _ in cases]) if int(passes) else ():
        long.append([])
        for _ in range(LONG_PASSES):
            session = bot.session()
            start = time.perf_counter()
            session.send(story)
            long[-1].append(time.perf_counter() - start)
    examples = sum(1 + len(i.examples) for i in bot.content.intents)
    print(json.dumps({
        "examples": examples, "intents": len(bot.content.intents), "import_s": t1 - t0, "load_s": t2 - t1,
        "build_s": t3 - t2, "first_reply_in_s": t4 - t0, "first_pass": runs[0] if runs else [],
        "warm_runs": runs[1:] or runs, "accuracy": right / len(cases), "long_runs": long,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "profile": _profile(bot, [text for text, _ in cases]) if profile else "",
    }))


def _stories(texts: Sequence[str]) -> list[str]:
    """Long messages as a patient might paste them: held-out questions and their words run on as sentences,
    each story LONG_CHARS long."""
    rng = random.Random(20_000)
    out = []
    for _ in range(LONG_STORIES):
        parts: list[str] = []
        while sum(len(p) + 2 for p in parts) < LONG_CHARS:
            parts.append(rng.choice(texts).rstrip("?.! ").capitalize())
        out.append(". ".join(parts)[:LONG_CHARS])
    return out


def _profile(bot: Any, texts: list[str]) -> str:
    """One more pass under cProfile: the functions that take the time, heaviest first."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        bot.reply(text)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    return out.getvalue()



def _cases(path: Path) -> list[tuple[str, str | None]]:
    """The held-out questions and their intents, as the parent wrote them."""
    return [(text, intent) for text, intent in json.loads(path.read_text(encoding="utf-8"))]
