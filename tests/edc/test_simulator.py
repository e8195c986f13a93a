"""edc.simulator and edc.writer: output shape, determinism, round trip through the reader."""

from __future__ import annotations

import pandas as pd
import pytest

from edc.readers import read_raw
from edc.simulator import simulate
from edc.writer import write_raw


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files(tmp_path, ovarian):
    # Two independent runs with one seed write the same bytes.
    write_raw(simulate(ovarian, 40, seed=3), tmp_path / "a")
    write_raw(simulate(ovarian, 40, seed=3), tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first.keys() == second.keys()
    assert all(first[name] == second[name] for name in first)


def test_other_seed_gives_other_data(tmp_path, ovarian):
    write_raw(simulate(ovarian, 40, seed=3), tmp_path / "a")
    write_raw(simulate(ovarian, 40, seed=4), tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert sum(first[name] != second[name] for name in first) >= len(first) - 1


def test_one_file_per_collected_form_with_library_fields(tmp_path, ovarian, cervical):
    # Each study gets exactly its forms, with the library's fields in order and LF line ends.
    for study in (ovarian, cervical):
        folder = tmp_path / study.name
        write_raw(simulate(study, 25, seed=1), folder)
        assert sorted(p.stem for p in folder.iterdir()) == sorted(study.forms)
        for name, form in study.forms.items():
            data = (folder / f"{name}.csv").read_bytes()
            assert b"\r" not in data
            assert data.split(b"\n", 1)[0].decode() == ",".join(form.field_names())


def test_every_column_is_text_and_rows_are_numbered(raw_a):
    for frame in raw_a.values():
        assert all(pd.api.types.is_string_dtype(frame[c]) for c in frame.columns if c != "_ROW")
        assert frame["_ROW"].tolist() == list(range(1, len(frame) + 1))
        assert not frame.drop(columns="_ROW").isna().any().any()


def test_records_sorted_and_keyed(raw_a):
    # Sorted by site and subject; (SUBJID, FOLDER, RECNUM) identifies a record.
    for name, frame in raw_a.items():
        keys = list(zip(frame["SITEID"], frame["SUBJID"], strict=True))
        assert keys == sorted(keys), name
        assert not frame.duplicated(["SUBJID", "FOLDER", "RECNUM"]).any(), name


def test_round_trip_through_reader(tmp_path, cervical):
    # What the writer writes, the reader reads back unchanged (including `_ROW`).
    frames = simulate(cervical, 30, seed=5)
    write_raw(frames, tmp_path)
    back = read_raw(tmp_path, cervical)
    for name in frames:
        pd.testing.assert_frame_equal(frames[name], back[name])


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_studies(ovarian, cervical, n):
    for study in (ovarian, cervical):
        frames = simulate(study, n, seed=n)
        assert len(frames["dm"]) == n


def test_subject_count_out_of_range(ovarian):
    with pytest.raises(ValueError, match="between 1 and 20000"):
        simulate(ovarian, 0, seed=1)
