"""What a content edit changes in how every message is read, before any rule is tried.

    python -m bot.tools.drift                 # the working tree against HEAD
    python -m bot.tools.drift --base REV      # ... against another commit

The safety rules read a message's words at their base form and mend typos towards the rules' own words, so a
word added to any rule can change how other words read everywhere: "rat race" made "racing" read "race", "poison
control said" made "poisoned" read "poison" (and "ok ringing poison control now" an overdose), "sore" made "stores"
read "sores". The statistical detector learnt its weights on the older reading. This lists the words whose reading
changed, so a reviewer can keep an edit that reads only its own phrases differently, or reword it.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from ..content import load_content
from ..dialogue import Bot


def readings(root: Path) -> tuple[dict[str, str], frozenset[str]]:
    """The base forms and the words typos are mended towards, for the content in `root`."""
    safety = Bot(load_content(root)).safety
    return dict(safety._base), frozenset(safety._vocabulary)


def checkout(rev: str, repo: Path, into: Path) -> Path:
    """The content folders (intents/, responses/) as they were at `rev`."""
    archive = subprocess.run(["git", "-C", str(repo), "archive", rev, "intents", "responses"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.drift", description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="HEAD", help="the commit to compare with (default HEAD)")
    parser.add_argument("--content", type=Path, default=Path("."), help="the checkout holding intents/ and responses/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before_base, before_words = readings(checkout(args.base, args.content, Path(tmp)))
    after_base, after_words = readings(args.content)
    changed = sorted(w for w in set(before_base) | set(after_base) if before_base.get(w) != after_base.get(w))
    print(f"words read at another base form ({len(changed)}):")
    for word in changed:
        print(f"  {word}: {before_base.get(word, word)} -> {after_base.get(word, word)}")
    new = sorted(after_words - before_words)
    print(f"new words typos are mended towards ({len(new)}): {' '.join(new)}")


if __name__ == "__main__":
    main()
