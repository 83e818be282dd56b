"""Undo the ways people disguise or garble danger words, for the safety check only.

"su1c1dal", "k.i.l.l m.y.s.e.l.f", "s u i c i d e", "іwаnt" (Cyrillic letters), "iwanttodie", emoji and
numbers written as words are read as the plain words they stand for. The matcher never sees this text;
it only gives the safety rules a second reading of a message that looks disguised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

# Letters from other alphabets that look like Latin ones (Cyrillic, Greek, and a few symbols).
LOOKALIKE = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l",
    "ԛ": "q", "ԝ": "w", "ɡ": "g", "ᴜ": "u", "ɑ": "a", "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k",
    "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ⅰ": "i", "ⅼ": "l", "ℓ": "l", "¡": "i", "ı": "i",
    "ł": "l", "ø": "o", "¢": "c",
    # Small capitals ("ᴡᴀɴɴᴀ ᴅɪᴇ"), which NFKC leaves as they are.
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k",
    "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ǫ": "q", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴠ": "v", "ᴡ": "w",
    "ʏ": "y", "ᴢ": "z",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "І": "I", "Ѕ": "S", "Α": "A", "Β": "B", "Ε": "E", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})
# Digits and symbols used as letters, inside a word that has letters too ("k1ll", "d!e", "h@rm").
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i",
                      "|": "l", "€": "e", "8": "b", "9": "g", "+": "t"})
# Only runs with a letter and a digit or symbol are looked at: a long message has thousands of plain words.
_TOKEN = re.compile(r"(?<![A-Za-z0-9@$!|€+])(?=[A-Za-z0-9@$!|€+]*[0-9@$!|€+])(?=[A-Za-z0-9@$!|€+]*[A-Za-z])"
                    r"[A-Za-z0-9@$!|€+]{3,}")
_AMOUNT = re.compile(r"(?!0[a-z])\d+(?:[a-z]{1,3}|s)", re.IGNORECASE)  # "25mg", "2x", "1st", "90s": numbers, not disguise ("0ff" is "off")
# Single letters spaced or dotted out: "s u i c i d e", "k.i.l.l", "K I L L I N G  M Y S E L F".
_SPACED = re.compile(r"(?<![\w])(?:[a-z][ .\-_*]{1,2}){2,}[a-z](?![\w])", re.IGNORECASE)
# The same dotted or dashed out with digits for letters: "s-u-1-c-1-d-3" (a run of letters alone is _SPACED's).
_SPACED_LEET = re.compile(r"(?<![\w.\-])(?:[a-z0-9@$][.\-_*]){3,}[a-z0-9@$](?![\w\-])", re.IGNORECASE)
# Emoji people use for harm and death, read as the words they stand for.
EMOJI = {
    "⚰": " coffin ", "🪦": " grave ", "🪢": " rope hang ", "🔫": " gun ", "🩸": " blood ", "🔪": " knife ",
    "💊": " pills ", "💀": " dead ", "☠": " dead ", "🌉": " bridge ", "👋": " goodbye ", "🥀": " wilted ", "🤢": " sick ",
    "🚑": " ambulance ", "🤮": " vomit ", "😵": " dizzy ", "🥵": " fever ", "💔": " heartbroken ", "🔥": " burn ",
}
_EMOJI = re.compile("|".join(map(re.escape, EMOJI)))
# A small "l" typed for a capital "I" in a word otherwise in capitals ("SUlClDAL"); capitals it is.
_CAPS_L = re.compile(r"\b(?=[A-Z]*l)(?=(?:l*[A-Z]){2})[A-Zl]{4,}\b")
# A letter held down ("iwanttodieeeee", "killlll", "byeeee"): a run of three or more read as one at a word's end
# (two for letters English doubles there: "kill", "less", "off", "buzz") and as two inside it.
_HELD = re.compile(r"([a-zA-Z])\1{2,}")
_DOUBLED_AT_END = frozenset("lsfzLSFZ")
NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
# Each pattern first checks the letter a number word can start with: most places in a message fail there.
_TENS = re.compile(r"\b(?=[tfsenTFSEN])(twenty|thirty|fou?rty|fifty|sixty|seventy|eighty|ninety)[\s-]+(one|two|three|four|five|six|"
                   r"seven|eight|nine)\b", re.IGNORECASE)
_FIRST = "".join(sorted({w[0] for w in NUMBERS}))
_NUMBER_WORD = re.compile(rf"\b(?=[{_FIRST}{_FIRST.upper()}])(" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")\b",
                          re.IGNORECASE)


# Text written upside down ("ʇı puǝ oʇ ʇuɐʍ"): its letters turned back and read from the other end.
_FLIPPED = {"ɐ": "a", "ɔ": "c", "ǝ": "e", "ɟ": "f", "ƃ": "g", "ɥ": "h", "ᴉ": "i", "ı": "i", "ɾ": "j", "ʞ": "k",
            "ɯ": "m", "ɹ": "r", "ʇ": "t", "ʌ": "v", "ʍ": "w", "ʎ": "y", "u": "n", "n": "u", "p": "d", "d": "p",
            "q": "b", "b": "q"}
_UPSIDE_DOWN = frozenset("ɐɔǝɟƃɥᴉɾʞɯɹʇʌʍʎ")


def _unflip(text: str) -> str:
    """Upside-down text read the right way up; other text as it was."""
    if text.isascii() or sum(c in _UPSIDE_DOWN for c in text) < 3:
        return text
    return "".join(_FLIPPED.get(c, c) for c in reversed(text))


# A danger word with letters starred out ("d*e", "k*ll", "s**cide"), read as the one word it can stand for.
_MASKED = re.compile(r"\b[a-z]*\*+[a-z]+\b|\b[a-z]+\*+[a-z]*(?=\W|$)", re.IGNORECASE)
_STARRED = ("die", "dying", "dead", "kill", "killing", "myself", "suicide", "suicidal", "overdose", "overdosed",
            "unalive", "hang", "self", "harm", "cut", "cutting")


def _unstar(match: re.Match[str]) -> str:
    token = match.group(0)
    pattern = re.compile(re.escape(token.lower()).replace(r"\*", "[a-z]"))
    words = [w for w in _STARRED if pattern.fullmatch(w)]
    return words[0] if len(words) == 1 else token


# "ODd", "OD'd", "ODed" in capitals: an overdose, which lowercase would read as "odd".
_OD = re.compile(r"\bOD(?:'?d|ed|'ed)\b")


def unaccented(text: str) -> str:
    """The text with the accents of its letters dropped ("corazón" as "corazon")."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def fold(text: str) -> str:
    """The message with look-alike letters, leetspeak, spaced-out letters, harm emoji and written numbers
    read as plain words and digits. Returns the text unchanged when there is nothing of that kind."""
    out = _unflip(text).translate(LOOKALIKE)
    if not out.isascii():
        out = _EMOJI.sub(lambda m: EMOJI[m.group(0)], out)
        out = unaccented(out)
    out = _CAPS_L.sub(lambda m: m.group(0).replace("l", "I"), out)
    out = _OD.sub("overdosed", out)
    if "*" in out:
        out = _MASKED.sub(_unstar, out)
    out = _HELD.sub(_unheld, out)
    out = _TOKEN.sub(_unleet, out)
    out = _SPACED_LEET.sub(_join_leet, out)
    out = _SPACED.sub(_join_spaced, out)
    out = _TENS.sub(lambda m: str(NUMBERS[m.group(1).lower()] + NUMBERS[m.group(2).lower()]), out)
    return _NUMBER_WORD.sub(lambda m: str(NUMBERS[m.group(1).lower()]), out)


def _unheld(match: re.Match[str]) -> str:
    letter, end = match.group(1), match.end()
    at_end = end == len(match.string) or not match.string[end].isalpha()
    return letter if at_end and letter not in _DOUBLED_AT_END else letter * 2


# Words that begin with a number said as a word ("4ever"): leetspeak would read the 4 as an "a".
_SAID = {"4ever": "forever", "4eva": "forever", "4evr": "forever", "4evar": "forever"}


def _unleet(match: re.Match[str]) -> str:
    token = match.group(0)  # letters and digits or symbols both (_TOKEN): "k1ll", or an amount such as "25mg"
    said = _SAID.get(token[:1] + token[1:].translate(LEET).lower())
    if said:
        return said
    if _AMOUNT.fullmatch(token):
        return token
    head = token.rstrip("!|+")  # "day!" ends a sentence: only marks inside a word are letters ("k!ll")
    head = head.replace("11", "ll")  # a doubled "1" is a doubled "l" ("ki11"), as no word doubles "i"
    return (head.translate(LEET) + token[len(head):]) if head else token.translate(LEET)


def _join_leet(match: re.Match[str]) -> str:
    run = match.group(0)
    letters = sum(c.isalpha() for c in run)
    if letters < 2 or letters == (len(run) + 1) // 2:  # digits alone are a number; letters alone, _SPACED's
        return run
    return " " + re.sub(r"[.\-_*]", "", run).translate(LEET) + " "


def _join_spaced(match: re.Match[str]) -> str:
    """Single letters joined. Words break at two separators in a row ("K I L L  M E"), or at a space
    where the letters are dotted or dashed ("k.i.l.l m.e")."""
    run = match.group(0)
    breaks = r"[ .\-_*]{2,}| " if set(run) & set(".-_*") else r"[ .\-_*]{2,}"
    return " " + " ".join(re.sub(r"[ .\-_*]", "", w) for w in re.split(breaks, run)) + " "


def split_joined(word: str, vocabulary: Collection[str], *, longest: int = 14) -> list[str] | None:
    """A run-together word ("iwanttodie") as known words, when it splits wholly into them; else None.

    Fewer pieces first, then longer ones ("want to" over "wan tto"). Each end keeps only its best split's
    score and where its last piece starts, so a pasted run of thousands of letters costs linear time."""
    if len(word) < 6 or word in vocabulary:
        return None
    best: list[tuple[int, int] | None] = [(0, 0)] + [None] * len(word)  # (pieces, -sum of squared lengths)
    back = [0] * (len(word) + 1)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - longest), end):
            before = best[start]
            if before is None:
                continue
            piece = word[start:end]
            if piece not in vocabulary or (len(piece) < 3 and piece not in _SHORT_WORDS):
                continue
            score = (before[0] + 1, before[1] - len(piece) ** 2)
            if best[end] is None or score < best[end]:  # type: ignore[operator]
                best[end], back[end] = score, start
    if best[len(word)] is None:
        return None
    pieces: list[str] = []
    end = len(word)
    while end:
        pieces.append(word[back[end]:end])
        end = back[end]
    return pieces[::-1] if len(pieces) > 1 else None


# The only words of one or two letters a run-together word may split into ("iwanttodie"): no abbreviations.
_SHORT_WORDS = frozenset("i a to me my it so be do go no on in up am an at of or we he is im ur".split())
