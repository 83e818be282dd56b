"""Nothing a patient typed outlives their session: after reset() or the end of a session, no object in the
process holds their words (a per-turn memo is fine; a cache across turns or sessions is not)."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest

from bot import Bot
from bot.sessions import SessionStore

# A word no content uses, so only the patient's messages can hold it; built at run time so that no
# source line or compiled constant holds it too.
MARKER = "".join(["zqx", "vorb", "elkin"])  # noqa: FLY002
TURNS = (f"what is {MARKER}?", f"my {MARKER} hurts and I take cymbalta, does amitriptyline help with {MARKER}",
         f"{MARKER}{MARKER} I feel like ending it all {MARKER}")


def holders(marker: str) -> list[str]:
    """Every string holding the marker that is reachable from any object the garbage collector tracks.

    The walk goes through untracked containers too (a dict of strings only is not tracked by the
    collector, and such a dict is exactly what a cache of messages would be).
    """
    gc.unfreeze()  # Bot() freezes what exists when it is built (bot/dialogue.py); the walk must see that too
    gc.collect()
    own = {id(MARKER), *map(id, TURNS)}  # the test's own copies; the bot's would be other objects
    stack = gc.get_objects()
    found: list[str] = []  # made after the snapshot, so the walk does not find its own findings
    seen: set[int] = set()
    while stack:
        obj = stack.pop()
        for ref in gc.get_referents(obj):
            if id(ref) in seen:
                continue
            seen.add(id(ref))
            if isinstance(ref, str):
                if marker in ref and id(ref) not in own:
                    found.append(f"{type(obj).__name__}: {ref[:80]!r}")
            elif isinstance(ref, (dict, list, tuple, set, frozenset)) and not gc.is_tracked(ref):
                stack.append(ref)
    return found


KEPT: dict[str, str] = {}  # stands for a module-level cache of messages


def test_the_search_finds_a_message_someone_keeps() -> None:
    KEPT["message"] = f"about {MARKER}?"
    try:
        assert holders(MARKER) == ["dict: " + repr(KEPT["message"])]
    finally:
        KEPT.clear()


def _sent(bot: Bot) -> Callable[[], None]:
    session = bot.session()
    for text in TURNS:
        session.send(text)
    return session.reset


@pytest.mark.parametrize("how", ["reset", "end"])
def test_no_message_survives_its_session(shared_bot: Bot, how: str) -> None:
    if how == "reset":
        _sent(shared_bot)()
    else:
        store = SessionStore(shared_bot)
        sid = store.create()
        session = store.get(sid)
        assert session is not None
        for text in TURNS:
            session.send(text)
        del session
        store.end(sid)
    assert holders(MARKER) == []


def test_messages_are_not_cached_between_sessions(shared_bot: Bot) -> None:
    shared_bot.session().send(f"tell me about {MARKER} and venlafaxine please")
    assert holders(MARKER) == []
