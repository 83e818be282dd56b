"""A patient-facing psychoeducation chatbot: antidepressants for pain, neuromodulators and talk therapy."""

from __future__ import annotations

from .content import Answer, Content, Intent, Source, load_content
from .dialogue import Bot, Session
from .errors import BotError, ConfigError, ContentError
from .reply import Reply

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Bot",
    "BotError",
    "ConfigError",
    "Content",
    "ContentError",
    "Intent",
    "Reply",
    "Session",
    "Source",
    "__version__",
    "load_content",
]
