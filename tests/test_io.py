"""File input and output at the edges: numbers as YAML 1.2 reads them, writes through links, to
devices and pipes."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from planner.errors import InputError, OutputError
from planner.io import atomic_write, parse_yaml
from planner.workloads import InferenceService, load_budget


@pytest.mark.parametrize("fast", [False, True])
def test_exponent_numbers_are_numbers_in_both_loaders(fast: bool):
    """PyYAML (YAML 1.1) reads 1e3 and 1.5e9 as strings; budgets read them as YAML 1.2 does."""
    text = (
        "a: 1e3\nb: 1.5e9\nc: 2e-3\nd: -1E+2\ne: .5e1\nf: 1_000e3\ng: e3\nh: 1e\ni: 2T\nj: '1e3'\nk: 0.25\n"
    )
    assert parse_yaml(text, source="x.yaml", fast=fast) == {
        "a": 1000.0,
        "b": 1.5e9,
        "c": 0.002,
        "d": -100.0,
        "e": 5.0,
        "f": 1e6,
        "g": "e3",
        "h": "1e",
        "i": "2T",
        "j": "1e3",  # quoted: a string, as written
        "k": 0.25,
    }


def test_a_budget_reads_requests_per_second_in_exponent_form(tmp_path: Path):
    path = tmp_path / "b.yaml"
    path.write_text(
        "name: b\nworkloads:\n  - {name: chat, kind: inference, model: llama-2-7b, input_tokens: 512,\n"
        "     output_tokens: 128, requests_per_s: 1e3}\n"
    )
    [service] = load_budget(path).workloads
    assert isinstance(service, InferenceService) and service.requests_per_s == 1000.0


def test_a_write_through_a_symbolic_link_replaces_its_file_and_keeps_the_link(tmp_path: Path):
    target = tmp_path / "reports" / "plan.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "plan.json"
    link.symlink_to(target)
    atomic_write(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["plan.json"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_is_written_to_not_replaced(tmp_path: Path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    atomic_write(fifo, "through the pipe")
    reader.join(timeout=10)
    assert received == [b"through the pipe"]
    assert fifo.is_fifo()


def test_a_file_where_a_folder_should_be_is_named(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("keep")
    with pytest.raises(OutputError, match=r"notes\.txt is a file, not a folder; nothing was changed"):
        atomic_write(tmp_path / "notes.txt" / "plan.json", "x")
    assert (tmp_path / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize("fast", [False, True])
def test_an_impossible_yaml_date_is_an_error_at_its_line(fast: bool):
    """2026-02-30 is a date to YAML's resolver; PyYAML's constructor then raised a bare ValueError."""
    with pytest.raises(InputError) as info:
        parse_yaml("name: x\nstart: 2026-02-30\n", source="b.yaml", fast=fast)
    assert str(info.value) == (
        "b.yaml: line 2, column 8: '2026-02-30' is not a calendar date (day is out of range for month): "
        "write a date as YYYY-MM-DD, e.g. 2025-06-30 (or quote it if it is text)"
    )
