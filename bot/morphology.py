"""English inflections, generated when rules are compiled, so a rule written "want" also reads "wants",
"wanted" and "wanting". Comparatives are words of their own: "lower" is not "low", "most" is not "many".

A table of forms built from the rules' own words is cheaper at start-up than a lemmatiser's dictionary
(simplemma took 0.2 s and 30 MB to load here, lemminflect 0.35 s and 76 MB) and covers what the rules need.
"""

from __future__ import annotations

from collections.abc import Iterable

_VOWELS = frozenset("aeiou")

# Irregular verbs a patient uses about medicine, harm and feelings: base -> other forms. Forms that are
# more often other words are left out ("a bit", "my left arm", "lay", "rose", "won't").
IRREGULAR: dict[str, tuple[str, ...]] = {
    "begin": ("began", "begun"),
    "bite": ("bitten",), "bleed": ("bled",), "break": ("broke", "broken"), "bring": ("brought",),
    "buy": ("bought",), "catch": ("caught",), "choose": ("chose", "chosen"), "come": ("came",),
    "do": ("did", "done", "does"), "draw": ("drew", "drawn"), "drink": ("drank", "drunk"),
    "drive": ("drove", "driven"), "eat": ("ate", "eaten"), "fall": ("fell", "fallen"), "feel": ("felt",),
    "fight": ("fought",), "find": ("found",), "forget": ("forgot", "forgotten"), "freeze": ("froze", "frozen"),
    "get": ("got", "gotten"), "give": ("gave", "given"), "go": ("went", "gone", "goes"), "grow": ("grew", "grown"),
    "hang": ("hung",), "have": ("had", "has"), "hear": ("heard",), "hide": ("hid", "hidden"), "hold": ("held",),
    "keep": ("kept",), "know": ("knew", "known"), "lay": ("laid",), "lead": ("led",), "leave": (),
    "lie": ("lain", "lying"), "lose": ("lost",), "make": ("made",), "mean": ("meant",), "meet": ("met",),
    "overdo": ("overdid", "overdone"), "pay": ("paid",), "ride": ("rode", "ridden"), "ring": ("rang", "rung"),
    "rise": ("risen",), "run": ("ran",), "say": ("said",), "see": ("saw", "seen"), "sell": ("sold",),
    "send": ("sent",), "shake": ("shook", "shaken"), "shoot": ("shot",), "sink": ("sank", "sunk"),
    "sleep": ("slept",), "slit": ("slit",), "speak": ("spoke", "spoken"), "spend": ("spent",),
    "stand": ("stood",), "steal": ("stole", "stolen"), "stick": ("stuck",), "sting": ("stung",),
    "swallow": ("swallowed",), "swell": ("swelled", "swollen"), "swim": ("swam", "swum"), "take": ("took", "taken"),
    "teach": ("taught",), "tear": ("tore", "torn"), "tell": ("told",), "think": ("thought",),
    "throw": ("threw", "thrown"), "wake": ("woke", "woken"), "wear": ("wore", "worn"), "win": (),
    "write": ("wrote", "written"),
    "child": ("children",), "man": ("men",), "woman": ("women",),
    "person": ("people",), "life": ("lives",), "knife": ("knives",), "wife": ("wives",), "tooth": ("teeth",),
    "foot": ("feet",),
}


# Verbs whose past tense means something has happened ("took", "swallowed"): an overdose taken is not a question
# about taking. Their past forms keep their own spelling; their other forms still read as the base.
TENSE_MATTERS = frozenset("take swallow eat drink pop down neck chug gulp have overdose overdo use finish do".split())


def _double(word: str) -> bool:
    """A short word ending consonant-vowel-consonant doubles its last letter: stop -> stopped, cut -> cutting."""
    return (len(word) <= 4 and len(word) >= 3 and word[-1] not in _VOWELS | {"w", "x", "y"}
            and word[-2] in _VOWELS and word[-3] not in _VOWELS)


def inflections(word: str) -> set[str]:
    """The regular (and listed irregular) forms of a word taken as verb, noun and adjective."""
    w = word
    forms = set(IRREGULAR.get(w, ())) if w not in TENSE_MATTERS else set()
    if not w.isalpha() or len(w) < 3:
        return forms
    stem = w + w[-1] if _double(w) else w
    if w.endswith(("s", "x", "z", "ch", "sh")):
        forms.add(w + "es")
    elif w.endswith("y") and w[-2] not in _VOWELS:
        forms.add(w[:-1] + "ies")
    else:
        forms.add(w + "s")
    past = w not in TENSE_MATTERS
    # No comparatives: "lower", "higher", "most", "number" are words of their own ("lower back", "how many"
    # is not "the most"), so a rule that means them says them.
    if w.endswith("e"):
        forms.update({w + "d"} if past else set())
    elif w.endswith("y") and w[-2] not in _VOWELS:
        forms.update({w[:-1] + "ied"} if past else set())
    else:
        forms.update({stem + "ed"} if past else set())
    if w.endswith("ie"):
        forms.add(w[:-2] + "ying")
    elif w.endswith("e") and not w.endswith(("ee", "ye", "oe")):
        forms.add(w[:-1] + "ing")
    else:
        forms.add(stem + "ing")
    return forms


def base_forms(words: Iterable[str]) -> dict[str, str]:
    """Every inflected form of these words -> the word itself.

    Rules and messages both read through this table, so a form that is itself one of the words ("wants"
    beside "want") is read as its base on both sides alike. The shortest base wins a form two bases share.
    """
    table: dict[str, str] = {}
    for word in sorted(set(words), key=lambda w: (len(w), w)):
        for form in inflections(word):
            if form != word and form not in table:
                table[form] = word
    return {form: base for form, base in table.items() if base not in table or table[base] == base}
