"""Build intents/drugs.tsv, the lexicon of common medicines, from a maintained drug dictionary.

    pip install '.[lexicon]'          # drug-named-entity-recognition, pinned
    python -m bot.tools.lexicon       # writes intents/drugs.tsv

The dictionary takes over a second and hundreds of MB to load, so the bot never loads it: this script
keeps the medicines with a MedlinePlus or NHS medicines page (the ones patients are given in the US and
the UK, prescription and over the counter, with their brand names), one name a line, and the bot reads
that list at start-up.
Names that are everyday English words are left out, so "iron", "water" or "ivy" are not read as medicines.
"""

from __future__ import annotations

import argparse
import bz2
import importlib.metadata
import pickle
import re
from pathlib import Path

SOURCE = "drug-named-entity-recognition"
VERSION = "2.0.9"  # the version this list was built from; pinned in pyproject.toml's lexicon extra
# Everyday words that the dictionary also lists as medicine names or brands.
EVERYDAY = frozenset("""
    iron water ivy armour colgate salt sugar oxygen air coffee tea milk honey garlic ginger aloe zinc calcium
    vitamin charcoal wax oil alcohol ethanol nicotine caffeine lemon mint balm cream gel spray drops patch
    plan one all aim focus relief calm rest sleep ease clear free care act max pro plus night day
    dona aman rela serc alli ogen zide ifex urso kaon orap ipol deet dhea gaba acth brdu edta dmso hctz
""".split())
_NAME = re.compile(r"[a-z][a-z0-9'\-]*[a-z0-9]")


def build(out: Path) -> int:
    """Write the lexicon; return how many names it holds."""
    version = importlib.metadata.version(SOURCE)
    if version != VERSION:
        raise SystemExit(f"{SOURCE} {version} is installed; this list is built from {VERSION}: "
                         f"pip install '{SOURCE}=={VERSION}'")
    import drug_named_entity_recognition as package

    with bz2.open(Path(package.__file__).with_name("drug_ner_dictionary.pkl.bz2")) as packed:
        data = pickle.load(packed)
    # A MedlinePlus page (US) or an NHS medicines page (UK): the medicines patients are given on either side.
    consumer = {name for name, info in data["drug_canonical_to_data"].items()
                if info.get("medline_plus_id") or info.get("nhs_url")}
    rows: dict[str, str] = {}
    for variant, canonicals in data["drug_variant_to_canonical"].items():
        generic = next((c for c in canonicals if c in consumer), None)
        if generic is None or not _NAME.fullmatch(variant) or len(variant) < 5 or variant in EVERYDAY:
            continue
        if not _NAME.fullmatch(generic):  # combinations ("abacavir, lamivudine, ...") keep their first name
            generic = re.split(r"[,/ ]", generic)[0]
        rows[variant] = generic
    lines = ["# Common medicines: a name (generic or brand) and its generic name, a tab between.",
             f"# Built by `python -m bot.tools.lexicon` from {SOURCE} {VERSION} (medicines with a MedlinePlus or NHS page).",
             "# Do not edit by hand; intents/medicines.yaml holds the medicines the documents discuss.",
             *(f"{name}\t{generic}" for name, generic in sorted(rows.items()))]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.lexicon", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("intents/drugs.tsv"))
    args = parser.parse_args()
    print(f"{build(args.out):,} names written to {args.out}")


if __name__ == "__main__":
    main()
