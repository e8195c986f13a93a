"""Line-tracking safe YAML: merges, duplicates, lines."""

from __future__ import annotations

import pytest

from specs.errors import SpecError
from specs.yamlio import read_yaml


def test_merge_key_may_be_overridden(tmp_path):
    # `<<:` brings shared rules in; a key written next to it overrides the merged one.
    path = tmp_path / "a.yaml"
    path.write_text("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n")
    data = read_yaml(path)
    assert data["use"] == {"x": 1, "y": 3}


def test_key_written_twice_is_refused_with_both_lines(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n")
    with pytest.raises(SpecError) as info:
        read_yaml(path)
    assert "a.yaml:3" in str(info.value) and "first at line 1" in str(info.value)


def test_lines_of_keys_and_items(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("top:\n  - one\n  - two\nnext: {k: v}\n")
    data = read_yaml(path)
    assert data.line_of("next") == 4
    assert data["top"].line_of(1) == 3
