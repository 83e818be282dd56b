"""What a content edit changes in how every message is read, before any rule is tried.

    python -m bot.tools.drift                 # the working tree against HEAD
    python -m bot.tools.drift --base REV      # ... against another commit

The safety rules read a message's words at their base form and mend typos towards the rules' own words, so a
word added to any rule can change how other words read everywhere: "rat race" made "racing" read "race", "poison
control said" made "poisoned" read "poison" (and "ok ringing poison control now" an overdose), "sore" made "stores"
read "sores". The statistical detector learnt its weights on the older reading. This lists the words whose reading
changed, so a reviewer can keep an edit that reads only its own phrases differently, or reword it. A new prefix
(`medic*`) is read as a word of its own, so nothing it begins is mended as a typo any more: "medictaion" stayed
unread and "am i on the right medictaion" lost its escalation. The typos of the rules' words a new prefix stops
mending are listed too.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from ..content import load_content
from ..dialogue import Bot
from ..safety import Safety


def safety_of(root: Path) -> Safety:
    return Bot(load_content(root)).safety


def readings(root: Path) -> tuple[dict[str, str], frozenset[str]]:
    """The base forms and the words typos are mended towards, for the content in `root`."""
    return _readings(safety_of(root))


def _readings(safety: Safety) -> tuple[dict[str, str], frozenset[str]]:
    return dict(safety.lexicon.base), safety.lexicon.vocabulary


def unmended(before: Safety, after: Safety) -> list[tuple[str, str]]:
    """(typo, word): a rule word's typo that `before` mended and `after` does not, because a new prefix begins it.
    The typos tried are each pair of neighbouring letters swapped ("medictaion" for "medication")."""
    new = after.lexicon.stems - before.lexicon.stems
    out = []
    for word in sorted(before.lexicon.vocabulary):
        if len(word) < 6 or not any(word.startswith(p) for p in new):
            continue
        for i in range(1, len(word) - 2):
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            if typo != word and before.lexicon.closest(typo) == word and after.lexicon.closest(typo) != word:
                out.append((typo, word))
                break
    return out


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
        before = safety_of(checkout(args.base, args.content, Path(tmp)))
    after = safety_of(args.content)
    (before_base, before_words), (after_base, after_words) = _readings(before), _readings(after)
    changed = sorted(w for w in set(before_base) | set(after_base) if before_base.get(w) != after_base.get(w))
    print(f"words read at another base form ({len(changed)}):")
    for word in changed:
        print(f"  {word}: {before_base.get(word, word)} -> {after_base.get(word, word)}")
    new = sorted(after_words - before_words)
    print(f"new words typos are mended towards ({len(new)}): {' '.join(new)}")
    lost = unmended(before, after)
    print(f"typos no longer mended, a new prefix begins them ({len(lost)}): "
          + " ".join(f"{typo} ({word})" for typo, word in lost))


if __name__ == "__main__":
    main()
