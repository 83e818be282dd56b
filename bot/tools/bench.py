"""`psychoed bench`: per-turn latency, throughput, start-up, memory, and how they grow with the content.

Each content size is measured in a fresh child process, so that start-up, caches and peak
memory belong to that size alone. Figures are printed, a figure a row, and written as JSON;
nothing here passes or fails on time (targets are shown next to the figures, for people).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..content import SPECIAL, default_path, example_key
from ..errors import ConfigError
from .bench_child import LONG_CHARS, WARMUP
from .evaluate import tests_dir

TARGETS = {  # figure -> (content size it applies to, the most it may be), in the figure's own unit
    "p99_ms": ((1, 1.5), (100, 10.0)),
    "long_p99_ms": ((1, 20.0),),
    "first_reply_s": ((1, 0.3),),
    "peak_rss_mb": ((1, 60.0),),
}
# Run in a child: time stamps from before `import bot`, one line as soon as the first reply is back. The child
# imports only the bot and bench_child (no YAML, no tools), so its memory is the bot's.
CHILD = r"""
import sys, time
t0 = time.perf_counter()
import bot
t1 = time.perf_counter()
from bot.tools.bench_child import child
child(t0, t1, *sys.argv[1:])
"""

SYNONYMS = {
    "medicine": ("medication", "meds", "drug"), "medicines": ("medications", "drugs"), "doctor": ("gp", "doc"),
    "help": ("aid",), "pain": ("ache", "hurting"), "work": ("function",), "why": ("how come",),
    "can": ("could",), "does": ("do",), "therapy": ("counselling", "counseling"), "tell": ("explain",),
    "about": ("regarding",), "really": ("actually", "truly"), "good": ("helpful",), "get": ("have",),
    "what": ("wat", "whats"), "is": ("s",), "mean": ("signify",), "take": ("use",), "long": ("lengthy",),
}
FILLERS = ("um", "so", "hey", "ok", "please", "quick question", "thanks", "hmm", "btw", "honestly", "sorry")


# -- synthetic content ------------------------------------------------------------------------------

def perturb(example: str, rng: random.Random, ops: int) -> str:
    """The example with a few word-level slips: a synonym, a dropped word, a typo, a filler word."""
    words = example.split()
    for _ in range(ops):
        op = rng.randrange(4)
        i = rng.randrange(len(words))
        bare = words[i].strip(".,?!").lower()
        if op == 0 and bare in SYNONYMS:
            words[i] = rng.choice(SYNONYMS[bare])
        elif op == 1 and len(words) > 3 and i > 0:
            del words[i]
        elif op == 2 and len(words[i]) >= 5:
            w, j = words[i], rng.randrange(1, len(words[i]) - 2)
            words[i] = rng.choice((w[:j] + w[j + 1] + w[j] + w[j + 2:], w[:j] + w[j + 1:], w[:j] + w[j] + w[j:]))
        else:
            filler = rng.choice(FILLERS)
            words = [filler, *words] if rng.random() < 0.5 else [*words, filler]
    return " ".join(words)


def _strings(data: Any) -> Iterator[str]:
    """Every string in a parsed YAML tree, keys included."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def grow(source: Path, target: Path, factor: int, *, seed: int = 7) -> int:
    """Copy a content folder, every intent given `factor` times its examples; return the example count."""
    shutil.copytree(source / "intents", target / "intents")
    shutil.copytree(source / "responses", target / "responses")
    rng = random.Random(seed)
    files = sorted(p for p in (target / "intents").glob("*.yaml") if p.name not in SPECIAL["intents"])
    loaded = {p: yaml.safe_load(p.read_text(encoding="utf-8")) for p in files}
    # Anything already written anywhere under intents/ is taken: no generated example may repeat it.
    taken = {example_key(s) for p in (target / "intents").glob("*.yaml")
             for s in _strings(yaml.safe_load(p.read_text(encoding="utf-8")))}
    total = 0
    for path, data in loaded.items():
        for intent in data["intents"]:
            real = [intent["question"], *intent["examples"]]
            made: list[str] = []
            for n in range((factor - 1) * len(real)):
                base = real[n % len(real)]
                for attempt in range(200):
                    text = perturb(base, rng, 1 + attempt // 10)
                    if example_key(text) and example_key(text) not in taken:
                        break
                else:
                    continue  # a very short example can run out of variants; it stays a little smaller
                taken.add(example_key(text))
                made.append(text)
            intent["examples"] = [*intent["examples"], *made]
            total += len(intent["examples"]) + 1
        # One file per intent, in the original order: a whole topic file at 100x would pass the loader's size cap.
        path.unlink()
        for n, intent in enumerate(data["intents"]):
            text = yaml.dump({"intents": [intent]}, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                             allow_unicode=True, sort_keys=False, width=1000)
            path.with_name(f"{path.stem}-{n:03d}.yaml").write_text(text, encoding="utf-8")
    return total


def _cases(path: Path) -> list[tuple[str, str | None]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(c["text"], c.get("intent")) if isinstance(c, dict) else (c, None) for c in data["cases"]]


# -- measuring (parent side) ------------------------------------------------------------------------

def run_child(content_dir: Path, cases: Path, passes: int, env: dict[str, str], *,
              profile: bool = False) -> dict[str, Any]:
    """One fresh process: wall time from spawning it to its first reply, and what it measured."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(content_dir), str(cases), str(passes),
                             "profile" if profile else ""],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    ready = time.perf_counter() - start
    # The rest through the same reader: readline may already hold the figures in its buffer (with no passes they
    # follow "ready" at once), and communicate() reads the pipe beneath it, so it lost them now and then.
    out = proc.stdout.read()
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.wait()
    if first.strip() != "ready" or proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({proc.returncode}): {first}{out}{err}"[:2000])
    return {**json.loads(out), "first_reply_s": ready}


def wall(cmd: Sequence[str], env: dict[str, str]) -> float:
    """Wall time of a whole command, start to exit."""
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:])} failed ({done.returncode}): {done.stderr[-1000:]}")
    return time.perf_counter() - start


def ms(values: Sequence[float], q: float) -> float:
    """The q-quantile of durations in seconds, in milliseconds."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def figures(cold: dict[str, Any], runs: list[dict[str, Any]], cli: float | None, python: float | None
            ) -> dict[str, Any]:
    """A scale's figures: latency and memory from the runs with a filled start-up cache (as on every start but
    the first after a content change), start-up from their median; the first, cold start on its own rows."""
    first = runs[0]

    def med(key: str) -> float:
        return float(statistics.median(r[key] for r in runs))

    # A question's time is its median over the warm passes (and a long message's over its readings): one pause
    # of the machine's own is not the bot's, while a question that is slow is slow every time.
    warm_runs = first["warm_runs"]
    per_question = [statistics.median(times) for times in zip(*warm_runs, strict=True)]
    long = [statistics.median(times) for times in first.get("long_runs", [])]
    warm = [t for run in warm_runs for t in run]
    out = {
        "examples": first["examples"], "intents": first["intents"],
        "p50_ms": ms(per_question, 0.50), "p99_ms": ms(per_question, 0.99), "max_ms": ms(per_question, 1.0),
        "long_p50_ms": ms(long, 0.50), "long_p99_ms": ms(long, 0.99),
        "first_pass_p99_ms": ms(first["first_pass"], 0.99), "turns_per_s": len(warm) / sum(warm),
        "first_reply_s": med("first_reply_s"), "cold_first_reply_s": cold["first_reply_s"],
        "import_s": med("import_s"), "load_s": med("load_s"), "build_s": med("build_s"),
        "cold_build_s": cold["build_s"], "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "cold_peak_rss_mb": cold["peak_rss_mb"], "accuracy": first["accuracy"],
    }
    if cli is not None:
        out["cli_ask_s"] = cli
    if python is not None:
        out["python_s"] = python
    return out


ROWS = (  # key, label, format
    ("examples", "examples (intents' questions + examples)", "{:,.0f}"),
    ("p50_ms", "per-turn latency p50, ms (Bot.reply, warm)", "{:.2f}"),
    ("p99_ms", "per-turn latency p99, ms (warm)", "{:.2f}"),
    ("max_ms", "per-turn latency max, ms (warm)", "{:.2f}"),
    ("first_pass_p99_ms", "per-turn latency p99, ms (first pass, lookups not yet cached)", "{:.2f}"),
    ("long_p50_ms", f"a {LONG_CHARS:,}-character message, p50, ms", "{:.1f}"),
    ("long_p99_ms", f"a {LONG_CHARS:,}-character message, p99, ms", "{:.1f}"),
    ("turns_per_s", "throughput, turns/s (one thread)", "{:,.0f}"),
    ("first_reply_s", "start-up: process start to first reply, s", "{:.3f}"),
    ("cold_first_reply_s", "start-up: the same with no start-up cache yet, s", "{:.3f}"),
    ("cli_ask_s", "start-up: `python -m bot ask` start to exit, s", "{:.3f}"),
    ("python_s", "start-up: bare `python -c pass`, s (for scale)", "{:.3f}"),
    ("import_s", "start-up: import bot, s", "{:.3f}"),
    ("load_s", "start-up: load_content, s", "{:.3f}"),
    ("build_s", "start-up: Bot() (compile matcher, safety), s", "{:.3f}"),
    ("cold_build_s", "start-up: Bot() with no start-up cache yet, s", "{:.3f}"),
    ("peak_rss_mb", "peak resident memory, MB (serving every question and the long messages)", "{:.1f}"),
    ("cold_peak_rss_mb", "peak resident memory while building with no start-up cache yet, MB", "{:.1f}"),
    ("accuracy", "held-out top-1 accuracy (sanity check)", "{:.3f}"),
)


def table(results: dict[int, dict[str, Any]]) -> str:
    """The figures as text: one row per figure, one column per content size, then the target."""
    scales = sorted(results)
    width = max(len(label) for _, label, _ in ROWS) + 2
    head = f"{'figure':{width}}" + "".join(f"{('shipped' if s == 1 else f'{s}x'):>10}" for s in scales) + "  target"
    lines = [head, "-" * len(head)]
    for key, label, fmt in ROWS:
        if not any(key in results[s] for s in scales):
            continue
        cells = "".join(f"{fmt.format(results[s][key]) if key in results[s] else '-':>10}" for s in scales)
        lines.append(f"{label:{width}}{cells}  {_target(key, results)}")
    return "\n".join(lines)


# The figures the README shows, a row each: (key, label, unit format).
MARKDOWN_ROWS = (
    ("p50_ms", "per-turn latency p50 (safety + matching + reply)", "{:.2f} ms"),
    ("p99_ms", "per-turn latency p99", "{:.2f} ms"),
    ("long_p99_ms", f"a {LONG_CHARS:,}-character message, p99", "{:.1f} ms"),
    ("turns_per_s", "throughput (one thread)", "{:,.0f} turns/s"),
    ("first_reply_s", "process start to first reply", "{:.2f} s"),
    ("cold_first_reply_s", "the same with an empty start-up cache", "{:.2f} s"),
    ("peak_rss_mb", "peak resident memory", "{:.1f} MB"),
    ("cold_peak_rss_mb", "the same while building with an empty start-up cache", "{:.1f} MB"),
)
BEGIN, END = "<!-- bench:begin", "<!-- bench:end -->"


def _size(scale: int, results: dict[int, dict[str, Any]]) -> str:
    name = "shipped" if scale == 1 else f"{scale}x"
    return f"{name} ({results[scale]['examples']:,} examples)"


def markdown(results: dict[int, dict[str, Any]]) -> str:
    """The figures as a Markdown table for the README: a row per figure, a column per size, then the targets,
    each marked met or missed from the figures themselves (never by hand)."""
    scales = sorted(results)
    lines = ["| figure | " + " | ".join(_size(s, results) for s in scales) + " | target |",
             "|---|" + "---|" * len(scales) + "---|"]
    for key, label, fmt in MARKDOWN_ROWS:
        if not any(key in results[s] for s in scales):
            continue
        cells = [fmt.format(results[s][key]) if key in results[s] else "" for s in scales]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {_verdicts(key, results)} |")
    return "\n".join(lines)


def _verdicts(key: str, results: dict[int, dict[str, Any]]) -> str:
    notes = []
    for scale, limit in TARGETS.get(key, ()):
        if scale in results and key in results[scale]:
            met = results[scale][key] <= limit
            unit = {k: f.split()[-1] for k, _, f in MARKDOWN_ROWS}.get(key, "")
            notes.append(f"<= {limit:g} {unit} {'shipped' if scale == 1 else f'at {scale}x'}: "
                         + ("met" if met else "**missed**"))
    return "; ".join(notes)


def write_readme(path: Path, results: dict[int, dict[str, Any]], meta: dict[str, Any]) -> None:
    """Put the Markdown table between the README's bench markers, replacing what was there."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ConfigError(f"{path} has no '{BEGIN} -->' ... '{END}' markers to put the table between")
    when = str(meta["when"])[:10]
    table = (f"{BEGIN} (written by `psychoed bench --readme`: do not edit by hand) -->\n"
             f"Measured on {when} with Python {meta['python']} on {meta['cpus']} cores "
             f"({meta['passes']} passes over {meta['heldout_questions']} held-out questions):\n\n"
             f"{markdown(results)}\n")
    path.write_text(text[:start] + table + text[end:], encoding="utf-8")


def _target(key: str, results: dict[int, dict[str, Any]]) -> str:
    notes = []
    for scale, limit in TARGETS.get(key, ()):
        if scale in results and key in results[scale]:
            value = results[scale][key]
            verdict = "met" if value <= limit else f"MISSED by {value - limit:.3g} ({value / limit:.1f}x)"
            notes.append(f"<= {limit:g} at {'shipped' if scale == 1 else f'{scale}x'}: {verdict}")
    return "; ".join(notes)


def measure(source: Path, cases: Sequence[tuple[str, str | None]], scales: Sequence[int], passes: int, repeat: int,
            profile: bool = False) -> dict[int, dict[str, Any]]:
    """Every figure at every size, each size in fresh processes."""
    results: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="psychoed-bench-") as tmp:
        questions = Path(tmp) / "cases.json"
        questions.write_text(json.dumps(cases), encoding="utf-8")
        for scale in scales:
            folder = source
            if scale > 1:
                folder = Path(tmp) / f"x{scale}"
                grow(source, folder, scale)
            # A start-up cache of our own: the first run finds it empty (as after any content change), the
            # later ones find it filled (as on every other start); and the user's own cache stays untouched.
            # Bytecode likewise: the first run compiles the bot's source, the later ones find it compiled, as after
            # pip's install or any first start, even where PYTHONDONTWRITEBYTECODE is set (it would make every
            # start compile every module again). The bytecode goes to the bench's own folder, not the checkout.
            env = {**os.environ, "PSYCHOED_CACHE_DIR": str(Path(tmp) / f"cache{scale}"),
                   "PYTHONPYCACHEPREFIX": str(Path(tmp) / "bytecode")}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            times = repeat if scale == 1 else 2  # big sizes take long to load; twice tells enough
            cold = run_child(folder, questions, 0, env)
            runs = [run_child(folder, questions, passes, env, profile=profile)]
            runs += [run_child(folder, questions, 0, env) for _ in range(times - 1)]
            cli = python = None
            if scale == 1:
                ask = [sys.executable, "-m", "bot", "ask", "--content", str(folder), WARMUP]
                cli = statistics.median(wall(ask, env) for _ in range(times))
                python = statistics.median(wall([sys.executable, "-c", "pass"], env) for _ in range(times))
            results[scale] = figures(cold, runs, cli, python)
            print(f"measured {scale}x: {results[scale]['examples']:,} examples", file=sys.stderr)
            if profile:
                print(f"\nwhere the time goes at {scale}x (one pass over the held-out questions):\n"
                      f"{runs[0]['profile']}", file=sys.stderr)
    return results


def run(*, out: Path = Path("bench/results/latest.json"), scales: str = "1,10,100", passes: int = 4,
        repeat: int = 5, content: str | None = None, profile: bool = False, as_markdown: bool = False,
        readme: Path | None = None, figures_from: Path | None = None) -> int:
    """`psychoed bench`: measure every size, print the table (or Markdown), write the JSON (and the README's table).

    With `figures_from`, nothing is measured: the figures of an earlier run's JSON are printed or written.
    """
    if figures_from is not None:
        results, meta = _read_results(figures_from)
        print(markdown(results) if as_markdown or readme else table(results))
        if readme is not None:
            write_readme(readme, results, meta)
            print(f"\nthe table in {readme} is written")
        return 0
    cases = tests_dir() / "eval" / "heldout.yaml"
    if not cases.is_file():
        raise ConfigError(f"no held-out questions at {cases}; run it from a source checkout")
    try:
        sizes = sorted({int(s) for s in scales.split(",")})
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise ConfigError(f"--scales {scales!r}: give whole numbers of 1 or more, separated by commas, e.g. 1,10")
    source = Path(content) if content else default_path()
    questions = _cases(cases)
    try:
        results = measure(source, questions, sizes, passes, repeat, profile)
    except RuntimeError as exc:
        raise ConfigError(str(exc)) from None
    print(markdown(results) if as_markdown else table(results))
    meta = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
            "machine": platform.platform(), "cpus": os.cpu_count(), "passes": passes,
            "heldout_questions": len(questions)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**meta, "targets": {k: [list(t) for t in v] for k, v in TARGETS.items()},
                               "scales": {f"{s}x": r for s, r in results.items()}}, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {out}")
    if readme is not None:
        write_readme(readme, results, meta)
        print(f"the table in {readme} is written")
    return 0


def _read_results(path: Path) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """The figures and the run's details from a JSON file `psychoed bench` wrote."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        results = {int(k.rstrip("x")): v for k, v in data["scales"].items()}
        meta = {k: data[k] for k in ("when", "python", "cpus", "passes", "heldout_questions")}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, KeyError, AttributeError, TypeError):
        raise ConfigError(f"{path} is not a results file that psychoed bench wrote") from None
    return results, meta
