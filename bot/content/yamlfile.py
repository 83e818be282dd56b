"""Safe YAML reading that remembers the line of every mapping, key and list item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ContentError

MAX_FILE_BYTES = 2_000_000  # content files are small; a huge one is a mistake, not content


class LineDict(dict[str, Any]):
    """A YAML mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    lines: dict[str, int]


class LineList(list[Any]):
    """A YAML sequence that knows its own line and the line of each item (1-based)."""

    line: int = 0
    lines: list[int]


def _loader(text: str, name: str) -> Any:
    """A safe loader whose mappings and sequences carry line numbers. PyYAML is imported here, on first use:
    content read from the start-up cache needs none of it, and importing it is a tenth of start-up."""
    global _Loader
    import yaml

    if _Loader is None:
        # libyaml's parser is about ten times faster; same safe constructor.
        _Loader = type("_Loader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})
        _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
        _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
    loader = _Loader(text)
    loader.name = name  # for the error messages raised inside the constructors
    return loader


_Loader: Any = None


def _mapping(loader: Any, node: Any) -> LineDict:
    loader.flatten_mapping(node)
    data = LineDict()
    data.line, data.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise ContentError(f"a key must be a plain word, not {type(key).__name__}", path=loader.name, line=line)
        key = str(key)
        if key in data:
            raise ContentError(f"key {key!r} appears twice (first on line {data.lines[key]})", path=loader.name, line=line)
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = line
    return data


def _sequence(loader: Any, node: Any) -> LineList:
    data = LineList(loader.construct_object(child, deep=True) for child in node.value)
    data.line = node.start_mark.line + 1
    data.lines = [child.start_mark.line + 1 for child in node.value]
    return data


def read(path: Path) -> LineDict:
    """Load one YAML file whose top level must be a mapping; every failure is a ContentError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read the file ({exc.strerror})", path=path) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ContentError(f"file is {len(raw):,} bytes; content files must be under {MAX_FILE_BYTES:,}", path=path)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        # UTF-16 decodes as "valid" UTF-8 full of NUL bytes; say what is really wrong.
        line = raw[: max(raw.find(b"\x00"), 0)].count(b"\n") + 1
        raise ContentError("file is not UTF-8 text (it has NUL bytes, as UTF-16 files do); save it as UTF-8",
                           path=path, line=line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError("file is not UTF-8 text; save it as UTF-8", path=path, line=line) from None
    import yaml

    loader = _loader(text, str(path))
    try:
        data = loader.get_single_data()
    except ContentError:
        raise
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; it gives a position, not a line
        line = text[: exc.position].count("\n") + 1
        raise ContentError(f"not valid YAML: character {exc.character!r} is not allowed; remove it",
                           path=path, line=line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ContentError(f"not valid YAML: {exc.problem or exc.context}", path=path,
                           line=mark.line + 1 if mark else None) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ContentError(f"not valid YAML: {exc}", path=path) from None
    finally:
        loader.dispose()
    if not isinstance(data, LineDict):
        raise ContentError("the file must hold a mapping (key: value) at the top level", path=path, line=1)
    return data
