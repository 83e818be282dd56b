"""Content: the YAML files of intents/ and responses/, read, checked and handed out as frozen, typed values.

Nothing here runs an engine: the safety engine, the matcher and the dialogue compile what this gives them.
"""

from __future__ import annotations

from .load import SPECIAL, default_path, load_content
from .model import (
    INTENT_KINDS,
    UI,
    Answer,
    Content,
    Intent,
    Medicine,
    MedicineClass,
    Region,
    RuleSpec,
    SafetyReplies,
    Settings,
    Source,
    Weights,
)
from .schema import did_you_mean, example_key

__all__ = [
    "INTENT_KINDS",
    "SPECIAL",
    "UI",
    "Answer",
    "Content",
    "Intent",
    "Medicine",
    "MedicineClass",
    "Region",
    "RuleSpec",
    "SafetyReplies",
    "Settings",
    "Source",
    "Weights",
    "default_path",
    "did_you_mean",
    "example_key",
    "load_content",
]
