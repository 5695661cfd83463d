"""File input/output shared by every loader and writer: safe YAML with positions, atomic writes.

YAML is read with PyYAML's SafeLoader (no tag can build a Python object) and checked for what
safe_load lets through silently: a key given twice (the first value would be lost), aliases that
refer to themselves, and aliases nested in aliases that expand to millions of values.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from planner.errors import InputError, OutputError, PlannerError, Problem

MAX_YAML_VALUES = 1_000_000
"""Most values a YAML file may expand to once aliases are followed (a 'billion laughs' guard)."""


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file safely (see parse_yaml); errors name the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"expected a file, got a directory: {path}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_yaml(text, source=str(path))


class _NoDuplicateKeys(yaml.constructor.SafeConstructor):
    """Loader mixin: a key given twice in one mapping is an error instead of keeping the last value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # an unhashable key: SafeLoader reports it below
                continue
            if first is not key_node.start_mark:
                raise yaml.constructor.ConstructorError(
                    f"key {key!r} appears twice in this mapping (also at line {first.line + 1}); "
                    "keep one, or the first value would be lost",
                    None,
                    None,
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


class _Loader(_NoDuplicateKeys, yaml.SafeLoader):
    """Pure-Python SafeLoader (exact error positions and messages)."""


class _FastLoader(_NoDuplicateKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser (8x faster) with the same safe constructor; used for large catalog files."""


def _checked_timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    """A YAML date (2026-02-30 is one to the parser) that is no calendar date is an error at its line
    and column, not a ValueError from deep inside the parser."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"{node.value!r} is not a calendar date ({exc}): write a date as YYYY-MM-DD, e.g. "
            "2025-06-30 (or quote it if it is text)",
            node.start_mark,
        ) from None


# PyYAML follows YAML 1.1, whose floats need a dot and a signed exponent: `1e3`, `1.5e9` and `2e-3`
# would be read as strings (and `requests_per_s: 1e3` refused). YAML 1.2 reads them as numbers, and so
# do both loaders (the same resolver, so a budget reads the same through either).
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$")
for _loader in (_Loader, _FastLoader):
    _loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+.0123456789"))
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _checked_timestamp)


def _expanded_size(root: yaml.Node) -> int:
    """Number of values `root` expands to with aliases followed (ValueError on a self-reference)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_YAML_VALUES + 1)
            continue
        if key in sizes:
            continue
        if key in active:
            raise ValueError(f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}")
        active.add(key)
        stack.append((node, True))
        stack += [(c, False) for c in _children(node) if id(c) not in sizes]
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


_HINTS = (
    ("'\\t'", "indent with spaces, not tabs"),
    ("<block end>", "check the indentation of this line against the lines above"),
    ("mapping values are not allowed here", "a value containing ': ' must be quoted"),
    ("could not find expected ':'", "a key needs ': ' after it; check the indentation"),
    ("another document", "put one document in the file (remove the '---' line)"),
)


def _syntax_problem(exc: yaml.MarkedYAMLError, source: str) -> Problem:
    """One line: what is wrong, where, where the enclosing construct starts, and a hint."""
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
    what = exc.problem or exc.context or "invalid YAML"
    if isinstance(exc, yaml.constructor.ConstructorError) and "constructor for the tag" in what:
        tag = what.split("tag ", 1)[1]
        return Problem(
            f"unsupported YAML tag {tag}: input files are plain data (tags that would build Python "
            "objects are refused); remove the tag",
            source=source,
            location=where,
        )
    if isinstance(exc, yaml.constructor.ConstructorError) and ("appears twice" in what or "calendar" in what):
        return Problem(what, source=source, location=where)
    hint = next((h for needle, h in _HINTS if needle in what), None)
    context = ""
    if exc.context and not exc.context.startswith("while "):
        what = f"{exc.context}, {what}"  # "expected a single document in the stream, but found another"
    elif exc.context and exc.context_mark and exc.context_mark is not mark:
        construct = exc.context.split(" ", 2)[-1]  # "while parsing a flow sequence" -> "a flow sequence"
        context = (
            f" (in {construct} that starts at line {exc.context_mark.line + 1}, "
            f"column {exc.context_mark.column + 1})"
        )
    message = f"YAML syntax error: {what}{context}" + (f"; {hint}" if hint else "")
    return Problem(message, source=source, location=where)


def parse_yaml(text: str, source: str = "<string>", fast: bool = False) -> Any:
    """Safe YAML (SafeLoader: never builds objects from tags) with one-line errors carrying line and
    column; also refuses duplicate keys, self-referencing aliases and alias bombs.

    fast: parse with libyaml when available; an error is then re-read by the pure-Python parser,
    whose messages and positions the tests pin.
    """
    if fast and hasattr(yaml, "CSafeLoader"):
        try:
            return _parse(text, source, _FastLoader)
        except InputError:
            pass
    return _parse(text, source, _Loader)


def _parse(text: str, source: str, loader_class: type[Any]) -> Any:
    loader = None
    try:
        loader = loader_class(text)
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            size = _expanded_size(node)
        except ValueError as exc:
            raise InputError(
                [Problem("YAML alias refers to itself: a value cannot contain itself", source, str(exc))]
            ) from None
        if size > MAX_YAML_VALUES:
            raise InputError(
                [
                    Problem(
                        f"YAML aliases expand to more than {MAX_YAML_VALUES:,} values; "
                        "write the values out instead of nesting aliases",
                        source=source,
                    )
                ]
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise InputError([_syntax_problem(exc, source)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise InputError(
            [
                Problem(
                    f"YAML error: character {char} is not allowed in YAML text; remove it",
                    source=source,
                    location=f"line {line}, column {column}",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"YAML error: {' '.join(str(exc).split())}", source=source)]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _file_mode(path: Path) -> int:
    """Mode for the new file: the replaced file's, else what open() would give (0o666 minus umask)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file, and
    a failed write (disk full, no permission) leaves the old file as it was.

    Through a symbolic link, the file it points to is replaced (the link stays a link). A device or a
    pipe (/dev/stdout, a FIFO) cannot be swapped for a new file: it is written to as it is.
    OSError is raised as OutputError naming the file, the reason and the fix.
    """
    shown = Path(path)
    payload = data if isinstance(data, bytes) else data.encode("utf-8")
    tmp: str | None = None
    try:
        if shown.is_dir():
            raise IsADirectoryError(21, "it is a directory", str(shown))
        if shown.exists() and not shown.is_file():
            with open(shown, "wb") as stream:
                stream.write(payload)
            return
        path = Path(os.path.realpath(shown))
        existing = next(p for p in path.parents if p.exists())
        if not existing.is_dir():
            raise NotADirectoryError(20, f"{existing} is a file, not a folder", str(shown))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(
                f"cannot write {shown}: {exc.strerror or exc}; nothing was changed "
                "(choose another --output path or free space)"
            ) from None
        raise


def json_text(obj: Any, *, sort_keys: bool = True, ensure_ascii: bool = True) -> str:
    """Indented JSON ending in a newline, never holding NaN or Infinity (Python writes them, JSON
    parsers refuse them): PlannerError instead, as every number the planner reports is finite."""
    try:
        text = json.dumps(obj, indent=2, sort_keys=sort_keys, ensure_ascii=ensure_ascii, allow_nan=False)
    except ValueError:
        raise PlannerError(
            "the JSON output would contain a non-finite number (NaN or Infinity), which JSON cannot "
            "represent; nothing was written: please report this with the command line"
        ) from None
    return text + "\n"
