"""Is a message English? Small word lists, no model: the bot answers only in English, and must notice when
a patient writes in another language so that it can at least give them the help lines."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from .deobfuscate import unaccented

# Common short words of each language (accents removed); the language with most of its words wins.
FUNCTION_WORDS = {
    "english": "the a an and or is are was were i you my me it to of in on for with what how can do does not this "
               "that have has had be will would should why when my its im dont cant is am been if but so just about "
               "there they them he she his her we our your from at by as any some take took".split(),
    "spanish": "el la los las de del que y en un una es por para con no mi me yo se lo mas pero como tengo estoy muy "
               "quiero ya puedo esta este eso hace tomo tome tomar pastillas dolor hijo hija madre padre ayuda nada "
               "vivir morir porque cuando donde tambien sin sobre mis tus su sus nos".split(),
    "french": "le la les de des du et un une est je pas ne pour avec que qui mon ma mes ce il elle vous suis ai au aux "
              "sont plus tout mais ou dans sur j c n m qu veux peux comprimes douleur mourir vivre".split(),
    "portuguese": "o os as do da dos das que e um uma nao eu meu minha com para por em no na tenho estou muito quero "
                  "voce ele ela isso remedio remedios dor morrer viver ajuda".split(),
    "italian": "il lo gli di che e un una non io mi mio mia con per sono ho ma anche piu come questo questa voglio "
               "dolore morire vivere pastiglie aiuto".split(),
    "german": "der die das und ich nicht ist mit zu ein eine mein meine habe bin sie es auf fur den dem des auch "
              "wie was kann will mehr nur schmerzen leben sterben tabletten hilfe".split(),
    "polish": "nie i w z na sie to jest ze do mam jestem chce mnie moj moja ale jak co tak juz tylko bardzo zyc "
              "umrzec bol leki tabletki pomocy".split(),
    "dutch": "de het een en ik niet is van met mijn zijn je dat wat hoe kan wil pijn".split(),
    "welsh": "dwi wedi yn y yr a ac o i ar am mae dw chi fi ti ni nhw beth sut pam bore da diolch iawn gyda "
             "heno tabledi poen helpu eisiau marw byw".split(),
    "tagalog": "ang ng sa ako ko na hindi mga po ko ba ano ito ka siya niya namin gamot sakit".split(),
    "vietnamese": "toi khong co la cua va anh chi em nay thuoc dau muon chet".split(),
}
_SETS = {lang: frozenset(words) for lang, words in FUNCTION_WORDS.items()}
_WORD = re.compile(r"[^\W\d_]+")


_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_ENOUGH = 2000  # characters: what a language shows in its first two thousand, the rest of a long message shares


def _plain(text: str) -> str:
    if text.isascii():
        return text.casefold()
    return unaccented(text.casefold())


def script_share(text: str) -> float:
    """The share of letters outside the Latin alphabet (Arabic, Cyrillic, Chinese, Devanagari...)."""
    if text.isascii():
        return 0.0
    letters = sum(c.isalpha() for c in text)
    if not letters:
        return 0.0
    foreign = sum(c.isalpha() and "LATIN" not in unicodedata.name(c, "LATIN") for c in _NOT_ASCII.findall(text))
    return float(foreign) / letters


def detect(text: str, known: Collection[str] = ()) -> str | None:
    """The language a message is written in when it is clearly not English, else None.

    `known` are words the bot's content uses: a message mostly of those is English, however short.
    """
    text = text[:_ENOUGH]
    if script_share(text) > 0.5:
        return "other script"
    words = _WORD.findall(_plain(text))
    if not words:
        return None
    english = sum(w in _SETS["english"] or w in known for w in words)
    best, count = max(((lang, sum(w in s for w in words)) for lang, s in _SETS.items() if lang != "english"),
                      key=lambda pair: pair[1])
    # Clearly another language: several of its own words, and more of them than English ones.
    if count >= 2 and count > english and count >= len(words) * 0.25:
        return best
    return None
