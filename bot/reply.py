"""The value every turn returns, whatever answered it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["answer", "clarify", "fallback", "escalation"]
Escalation = Literal["clinician", "crisis", "emergency"]


@dataclass(frozen=True)
class Reply:
    """One bot turn: what to show, and where it came from (for /why and for tests)."""

    text: str
    body: str
    disclaimer: str
    kind: Kind
    intent: str | None = None
    escalation: Escalation | None = None
    confidence: float = 0.0
    source: str | None = None
    source_title: str | None = None
    suggestions: tuple[str, ...] = ()
    rule: str | None = None
    resources: str | None = None
    notice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the same keys."""
        data = asdict(self)
        data["suggestions"] = list(self.suggestions)
        return data
