"""The source documents, read for reviewers: what lint checks copying against and the sign-off sheet quotes.

The documents are not part of the project (it must never copy their sentences); a reviewer points
`psychoed lint` and `psychoed review` at the folder holding them with `--sources DIR`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..content import Answer, Content

COPY_RUN = 8  # this many words in a row from a source document is copying
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'"})
_WORD = re.compile(r"[a-z0-9]+(?:['\u2019\u2018][a-z]+)?", re.IGNORECASE)  # the same words, found in the original


def tokens(text: str) -> list[str]:
    """Lowercase words with curly apostrophes straightened, for comparing texts word by word."""
    return _TOKEN.findall(text.casefold().translate(_QUOTES))


@dataclass(frozen=True)
class Passage:
    """The paragraph of a document an answer rests on, and where in it the anchor words are."""

    file: str
    title: str
    text: str
    start: int  # the anchor's span in `text`, for highlighting
    end: int


class Documents:
    """The documents of one folder: every run of COPY_RUN words, and each paragraph for quoting."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.grams: dict[tuple[str, ...], str] = {}
        self.titles: dict[str, str] = {}
        self.paragraphs: dict[str, list[str]] = {}
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            text = file.read_bytes().decode("utf-8", "replace")
            title = next((line.strip() for line in text.splitlines() if line.strip()), file.name)
            self.titles[file.name] = title
            self.paragraphs[file.name] = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
            words = tokens(text)
            for i in range(len(words) - COPY_RUN + 1):
                self.grams.setdefault(tuple(words[i : i + COPY_RUN]), f"{title[:60]!r} ({file.name})")

    def copied(self, text: str) -> Iterator[tuple[str, str]]:
        """Each longest copied run in the text: (the words, the document)."""
        words = tokens(text)
        i = 0
        while i <= len(words) - COPY_RUN:
            doc = self.grams.get(tuple(words[i : i + COPY_RUN]))
            if doc is None:
                i += 1
                continue
            end = i + COPY_RUN
            while end < len(words) and tuple(words[end - COPY_RUN + 1 : end + 1]) in self.grams:
                end += 1
            yield " ".join(words[i:end]), doc
            i = end

    def passage(self, file: str, anchor: str) -> Passage | None:
        """The paragraph of the file holding the anchor's words in a row (case, quotes and punctuation aside)."""
        want = tokens(anchor)
        if not want:
            return None
        for paragraph in self.paragraphs.get(file, ()):
            spans = [(m.group(0).casefold().translate(_QUOTES), m.start(), m.end()) for m in _WORD.finditer(paragraph)]
            words = [w for w, _, _ in spans]
            for i in range(len(words) - len(want) + 1):
                if words[i : i + len(want)] == want:
                    return Passage(file, self.titles[file], paragraph, spans[i][1], spans[i + len(want) - 1][2])
        return None


def passages(content: Content, documents: Documents, answer: Answer) -> list[tuple[str, Passage | None]]:
    """Each anchor of the answer with the passage it points to (None when it cannot be found).

    An anchor is looked for in the answer's own source, or in the one it names first ("neuromodulators: ...").
    """
    out: list[tuple[str, Passage | None]] = []
    for anchor in answer.passages:
        sid, _, words = anchor.partition(":") if _names_source(anchor, content) else (answer.source or "", "", anchor)
        source = content.sources.get(sid.strip())
        found = documents.passage(source.file, words) if source is not None and source.file else None
        out.append((anchor, found))
    return out


def _names_source(anchor: str, content: Content) -> bool:
    head, colon, _ = anchor.partition(":")
    return bool(colon) and head.strip() in content.sources


__all__ = ["COPY_RUN", "Documents", "Passage", "passages", "tokens"]
