"""Safe YAML reading that remembers where every key and item stood, for line-precise errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from specs.errors import Problem, SpecError


class LMap(dict):
    """A mapping that knows its file, its own line and the line of each key (1-based).

    A mapping merged from several files (specs.extends) also knows the file of each key."""

    file: str = ""
    line: int = 0
    key_lines: dict[Any, int]
    key_files: dict[Any, str] | None = None

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def file_of(self, key: Any) -> str:
        return (self.key_files or {}).get(key, self.file)

    def where(self, key: Any = None) -> tuple[str, int]:
        """(file, line) of `key`, or of the mapping itself."""
        return (self.file, self.line) if key is None else (self.file_of(key), self.line_of(key))


class LSeq(list):
    """A sequence that knows its file, its own line and the line of each item (1-based)."""

    file: str = ""
    line: int = 0
    item_lines: list[int]
    item_files: list[str] | None = None

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line

    def file_of(self, index: int) -> str:
        files = self.item_files or ()
        return files[index] if index < len(files) else self.file

    def where(self, index: int | None = None) -> tuple[str, int]:
        """(file, line) of item `index`, or of the sequence itself."""
        return (self.file, self.line) if index is None else (self.file_of(index), self.line_of(index))


# libyaml's C parser when PyYAML was built with it (ten times faster on the shipped specs); the
# constructor stays PyYAML's safe one either way.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Aliases may repeat what is written (merge keys do), but not multiply it: a document whose
# aliases expand it beyond both limits is an entity-expansion attack ("billion laughs"). Spec
# files nest a few levels; far deeper nesting would only exhaust the recursion of the reader.
EXPANSION_FACTOR = 10
EXPANSION_FLOOR = 100_000
MAX_DEPTH = 50


class _LineLoader(_SafeBase):
    """A safe loader: only plain YAML types; a tag that would construct an object is refused."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        written, expanded = _node_counts(node)
        if expanded > max(EXPANSION_FLOOR, EXPANSION_FACTOR * written):
            raise yaml.constructor.ConstructorError(
                None, None,
                f"aliases expand {written} written values to {expanded}; a document that multiplies "
                "itself through aliases (YAML \"billion laughs\") is refused, write the values out",
                node.start_mark,
            )
        return self.construct_document(node)


def _node_counts(root: yaml.Node) -> tuple[int, int]:
    """Distinct nodes, and nodes with every alias expanded (each shared node counted once per use)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > MAX_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"values nested more than {MAX_DEPTH} levels deep", node.start_mark)
        sizes[id(node)] = 1  # a recursive alias counts once
        children = node.value if isinstance(node, yaml.SequenceNode) else (
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else [])
        sizes[id(node)] = 1 + sum(size(c, depth + 1) for c in children)
        return sizes[id(node)]

    expanded = size(root, 0)
    return len(sizes), expanded


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LMap:
    # A key written twice is an error; a key that overrides one merged in with `<<:` is not.
    written: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in written:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {written[key]})", key_node.start_mark,
            )
        written[key] = key_node.start_mark.line + 1
    loader.flatten_mapping(node)
    out = LMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LSeq:
    out = LSeq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    # A date-like value that is no date (2026-13-01) is a problem at its line, not a crash.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as error:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a valid date: {error}", node.start_mark) from None


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; any syntax error or unsafe tag becomes a SpecError naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Problem(str(path), 0, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise SpecError(
            [Problem(str(path), 0, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")]
        ) from None
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        if "nesting depth" in message:
            # PyYAML 6.0.4 and later stop deep nesting themselves, in their own words.
            message = f"values nested more than {MAX_DEPTH} levels deep"
        elif "could not determine a constructor" in message:
            message = (
                f"{message}; tags that construct objects are refused, write plain YAML values"
            )
        raise SpecError([Problem(str(path), line, message)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(str(path), 0, str(exc))]) from None
    _set_file(data, str(path))
    return data


def _set_file(node: Any, file: str) -> None:
    """Every mapping and sequence of a parsed file learns the file's name (for messages)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, LMap):
            item.file = file
            stack.extend(item.values())
        elif isinstance(item, LSeq):
            item.file = file
            stack.extend(item)
