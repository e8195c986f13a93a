"""`extends:`: a spec file that states only what differs from the shared spec it names.

A study's `sdtm/AE.yaml` may say `extends: AE` (the library's `sdtm/AE.yaml`; `extends:` may also
give a path relative to the file, for a sponsor's library kept elsewhere) and then override:

* a mapping is overridden key by key; a value replaces the inherited one whole, except where the
  schema says that mapping or list merges too (`parameters:` key by key, `sources[].map:` target
  by target, a variable key by key);
* a list of identified items (variables by `name`, source blocks by `form`/`where`/`distinct`,
  value-level entries by `variable`/`where`, qualifiers by `qnam`) is merged item by item: an item
  of the same identity overrides the inherited one key by key, a new item goes right after the
  item written before it in the extending file (or at the end when none is); any other list
  (`keys:`, a parameter's value) is replaced whole;
* `drop: {variables: [...], supplemental: [...], sources: [...], value_level: [...],
  parameters: [...]}` removes inherited items first; a dropped variable takes its mapping rules
  and value-level entries with it.

The base may itself extend another file (a library dataset extending a structure's shared spec).
Every file is checked on its own (unknown keys, wrong types) and the merged result as a whole
(required keys); each key and item of the result remembers its file and line, so that a message
names the file where the value at fault is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from specs import schema
from specs.errors import Problem, SpecError
from specs.yamlio import LMap, LSeq, read_yaml

EXTENDS = "extends"
DROP = "drop"


def base_file(value: str, file: Path, library: Path) -> Path:
    """The file `extends: value` names: a spec of the library folder by name, or a path relative
    to the extending file."""
    if "/" in value or value.endswith((".yaml", ".yml")):
        return (file.parent / value).resolve()
    return library / f"{value}.yaml"


def library_names(library: Path) -> list[str]:
    return sorted(p.stem for p in library.glob("*.yaml")) if library.is_dir() else []


def resolve(data: LMap, path: Path, kind: schema.Kind, library: Path,
            read: list[Path] | None = None, seen: tuple[Path, ...] = ()) -> LMap:
    """`data` (parsed from `path`, with `extends:`) merged over the tree it extends, resolved in
    turn; `read` collects every file read. Raises SpecError with every problem found."""
    file = str(path)
    problems = schema.check(data, kind, file, data.line, path.stem, partial=True)
    if problems:
        raise SpecError(problems)
    named = data[EXTENDS]
    source = base_file(named, path, library)
    at = data.where(EXTENDS)
    if source in (*seen, path.resolve()):
        chain = " -> ".join(p.name for p in (*seen, path.resolve(), source))
        raise SpecError([Problem(*at, f"extends: {named!r} extends itself ({chain})")])
    if not source.is_file():
        names = library_names(library)
        listed = f" ({library}: {', '.join(names)})" if names else f" ({library})"
        raise SpecError([Problem(*at, f"extends: {named!r} is neither a spec of the library{listed} "
                                      f"nor a file{schema.closest(named, names)}")])
    if read is not None:
        read.append(source)
    base = read_yaml(source)
    if not isinstance(base, LMap):
        raise SpecError([Problem(str(source), getattr(base, "line", 0),
                                 f"{source.stem}: expected a mapping, found {type(base).__name__}")])
    if EXTENDS in base:
        # Names in a base resolve beside it: a sponsor's library kept elsewhere is self-contained.
        base = resolve(base, source, kind, source.parent, read, (*seen, path.resolve()))
    else:
        problems = schema.check(base, kind, str(source), base.line, source.stem, partial=True)
        if problems:
            raise SpecError(problems)
    own = _without(data, (EXTENDS, DROP))
    if DROP in data:
        base = drop(base, data[DROP])
    return merge(base, own, kind)


def _without(node: LMap, keys: tuple[str, ...]) -> LMap:
    out = _like(node)
    for key, value in node.items():
        if key not in keys:
            _put(out, key, value, node.where(key))
    return out


# --- merging -----------------------------------------------------------------------------------

def merge(base: Any, over: Any, kind: schema.Kind) -> Any:
    """`over` laid over `base` as the schema `kind` says (see the module text); neither changes."""
    kind = _shape(kind, over)
    if isinstance(base, dict) and isinstance(over, dict):
        if isinstance(kind, schema.Obj) and not kind.atomic:
            return _merge_map(base, over, lambda k: kind.keys[k].kind if k in kind.keys else None)
        if isinstance(kind, schema.AnyMap) and kind.by_key:
            return _merge_map(base, over, lambda k: kind.values)
    if isinstance(kind, schema.Seq) and kind.identity and isinstance(base, list) and isinstance(over, list):
        return _merge_items(base, over, kind)
    return over


def _shape(kind: schema.Kind, value: Any) -> schema.Kind:
    """Of a choice of shapes (one value or a list of them ...), the one `value` has."""
    if isinstance(kind, tuple):
        for k in kind:
            if (isinstance(k, schema.Seq) and isinstance(value, list)) or (
                    isinstance(k, schema.Obj | schema.AnyMap) and isinstance(value, dict)):
                return k
        return None
    return kind


def _merge_map(base: dict, over: dict, kind_of: Callable[[Any], schema.Kind]) -> LMap:
    out = _like(over)
    for key, value in base.items():
        _put(out, key, value, _where(base, key))
    for key, value in over.items():
        merged = merge(base[key], value, kind_of(key)) if key in base else value
        _put(out, key, merged, _where(over, key))
    return out


def _merge_items(base: list, over: list, kind: schema.Seq) -> LSeq:
    items = [(item, _where(base, i)) for i, item in enumerate(base)]

    def position(identity: tuple) -> int | None:
        return next((i for i, (item, _) in enumerate(items) if _identity(item, kind) == identity), None)

    after: int | None = None
    for i, item in enumerate(over):
        found = position(_identity(item, kind))
        if found is None:
            found = len(items) if after is None else after + 1
            items.insert(found, (item, _where(over, i)))
        else:
            items[found] = (merge(items[found][0], item, kind.item), _where(over, i))
        after = found
    out = LSeq(item for item, _ in items)
    out.file, out.line = _where(over)
    out.item_files = [where[0] for _, where in items]
    out.item_lines = [where[1] for _, where in items]
    return out


def _identity(item: Any, kind: schema.Seq) -> tuple:
    if not isinstance(item, dict):
        return (json.dumps(item, default=str),)
    return tuple(json.dumps(item.get(key), sort_keys=True, default=str) for key in kind.identity)


def _like(node: Any) -> LMap:
    out = LMap()
    out.file, out.line = _where(node)
    out.key_lines, out.key_files = {}, {}
    return out


def _put(out: LMap, key: Any, value: Any, where: tuple[str, int]) -> None:
    out[key] = value
    out.key_files[key], out.key_lines[key] = where


def _where(node: Any, key: Any = None) -> tuple[str, int]:
    if isinstance(node, LMap | LSeq):
        return node.where(key)
    return ("", 0)


# --- drop -------------------------------------------------------------------------------------

# The lists `drop:` removes items from, and the key that names an item (`parameters:` by its keys).
DROPS = {"variables": "name", "supplemental": "qnam", "sources": "form", "value_level": "variable"}


def drop(base: LMap, sections: LMap) -> LMap:
    """`base` without the items `drop:` names; a name not inherited is a problem at its line."""
    out = _without(base, ())
    problems = []
    for section, names in sections.items():
        inherited = out.get(section, LSeq() if section in DROPS else LMap())
        known = ([item.get(DROPS[section]) for item in inherited if isinstance(item, dict)]
                 if section in DROPS else list(inherited))
        problems += [Problem(*names.where(i), f"drop.{section}: {name!r} is not inherited from "
                                              f"{Path(base.file).name}{schema.closest(name, known)}")
                     for i, name in enumerate(names) if name not in known]
        if section not in out:
            continue
        if section in DROPS:
            field = DROPS[section]
            _put(out, section, _kept(inherited, lambda item, f=field, n=names: _named(item, f, n)),
                 out.where(section))
        else:
            _put(out, section, _kept_keys(inherited, set(names)), out.where(section))
    if "variables" in sections:
        _drop_variables(out, set(sections["variables"]))
    if problems:
        raise SpecError(problems)
    return out


def _named(item: Any, field: str, names: list[str]) -> bool:
    return isinstance(item, dict) and item.get(field) in names


def _drop_variables(out: LMap, names: set[str]) -> None:
    """A dropped variable's mapping rules and value-level entries go with it."""
    if "value_level" in out:
        _put(out, "value_level", _kept(out["value_level"], lambda item: _named(item, "variable", names)),
             out.where("value_level"))
    if "sources" in out:
        blocks = _kept(out["sources"], lambda item: False)
        for i, block in enumerate(blocks):
            if isinstance(block, dict) and isinstance(block.get("map"), dict):
                blocks[i] = _without(block, ())
                _put(blocks[i], "map", _kept_keys(block["map"], names), block.where("map"))
        _put(out, "sources", blocks, out.where("sources"))


def _kept(items: LSeq, dropped: Callable[[Any], bool]) -> LSeq:
    out = LSeq()
    out.file, out.line = _where(items)
    out.item_files, out.item_lines = [], []
    for i, item in enumerate(items):
        if not dropped(item):
            out.append(item)
            file, line = _where(items, i)
            out.item_files.append(file)
            out.item_lines.append(line)
    return out


def _kept_keys(mapping: LMap, names: set[str]) -> LMap:
    out = _like(mapping)
    for key, value in mapping.items():
        if key not in names:
            _put(out, key, value, _where(mapping, key))
    return out


def read_resolved(path: Path, kind: schema.Kind, library: Path, read: list[Path] | None = None) -> Any:
    """One spec file, its `extends:` resolved, checked whole against `kind`."""
    data = read_yaml(path)
    if isinstance(data, LMap) and EXTENDS in data:
        data = resolve(data, path, kind, library, read)
    file, line = _where(data) if isinstance(data, LMap | LSeq) else (str(path), 1)
    problems = schema.check(data, kind, file or str(path), line or 1, path.stem)
    if problems:
        raise SpecError(problems)
    return data
