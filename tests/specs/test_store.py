"""The store of imported packages: where it is, and that a package is replaced whole or not at all."""

from __future__ import annotations

import pyarrow as pa
import pytest

from specs import store


def test_root_is_the_given_folder_else_the_environment_else_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV, str(tmp_path / "env"))
    assert store.store_root(tmp_path / "given") == tmp_path / "given"
    assert store.store_root() == tmp_path / "env"
    monkeypatch.delenv(store.ENV)
    assert store.store_root().name == "clinforge"


def write(root, version: str, value: int, sha: str, standard: str = "sdtm"):
    return store.write_package(root, "ct", standard, version, {"terms": pa.table({"a": [value]})},
                               {"sha256": sha})


def test_a_package_is_written_listed_and_replaced(tmp_path):
    first = write(tmp_path, "2025-03-28", 1, "one")
    write(tmp_path, "2024-03-29", 0, "x")
    assert [p.version for p in store.packages(tmp_path, "ct", "sdtm")] == ["2024-03-29", "2025-03-28"]
    write(tmp_path, "2025-03-28", 2, "two")
    again = store.find(tmp_path, "ct", "sdtm", "2025-03-28")
    assert again.folder == first.folder and again.sha256 == "two"
    assert again.table("terms").column("a").to_pylist() == [2]
    # Nothing is left beside the packages (temporary or old folders).
    assert sorted(p.name for p in (tmp_path / "ct" / "sdtm").iterdir()) == ["2024-03-29", "2025-03-28"]


def test_a_failed_write_leaves_the_stored_package(tmp_path):
    write(tmp_path, "2025-03-28", 1, "one", "adam")
    with pytest.raises(AttributeError):  # pyarrow refuses the text while writing
        store.write_package(tmp_path, "ct", "adam", "2025-03-28", {"terms": "not a table"}, {"sha256": "two"})
    kept = store.find(tmp_path, "ct", "adam", "2025-03-28")
    assert kept.sha256 == "one" and kept.table("terms").num_rows == 1
    assert [p.name for p in (tmp_path / "ct" / "adam").iterdir()] == ["2025-03-28"]


def test_hash_covers_the_bytes_of_every_file(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    assert store.files_sha256([a, b]) != store.files_sha256([b, a]) != store.files_sha256([a])
