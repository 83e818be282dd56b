"""The value every turn returns, whatever answered it, and the names of its kinds and escalation classes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

Kind = Literal["answer", "clarify", "fallback", "escalation"]
Escalation = Literal["emergency", "crisis", "clinician"]

KINDS: tuple[Kind, ...] = get_args(Kind)
ESCALATIONS: tuple[Escalation, ...] = get_args(Escalation)  # strongest first: the strongest finding wins
URGENT: frozenset[Escalation] = frozenset({"emergency", "crisis"})  # help lines first, and kept on screen after
# The intent of a fallback that meets a statement of the patient's own life ("my wife died in March") with an
# acknowledgement rather than "I can't answer that": no document answers it, so it is no answer of the content's.
HEARD = "heard"


def stronger(a: Escalation | None, b: Escalation | None) -> bool:
    """Whether class `a` outranks class `b` (any class outranks none)."""
    if a is None:
        return False
    return b is None or ESCALATIONS.index(a) < ESCALATIONS.index(b)


@dataclass(frozen=True)
class Reply:
    """One bot turn: what to show, and where it came from (for /why and for tests).

    `disclaimer` is empty on crisis and emergency replies, where the help text is the whole message.
    """

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
    short: str | None = None  # the answer in one line, for front ends that show it first ("Tell me more")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the same keys."""
        data = asdict(self)
        data["suggestions"] = list(self.suggestions)
        return data
