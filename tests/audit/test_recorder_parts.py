"""The session recorder's parts that need no server: spool, line assembly, output tally, replay."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bulle.audit import event_from_dict
from bulle.audit.chain import chain
from bulle.audit.replay import replay_steps
from bulle.audit.store import StoredRecord
from bulle.extensions.recorder import capture
from bulle.extensions.recorder.capture import BubbleIdentity, LineAssembler, OutputTally
from bulle.extensions.recorder.spool import Spool

WHO = BubbleIdentity("alice", "psy-cohort", "psy-cohort-notebook")
NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def execute(code: str, msg_id: str = "m1", path: str | None = "analysis.ipynb") -> dict[str, object]:
    return capture.execute_event(
        WHO,
        kernel_id="k1",
        kernel_name="python3",
        language="python",
        path=path,
        header={"msg_id": msg_id, "session": "s1"},
        content={"code": code, "silent": False},
        metadata={"cellId": "c1"},
        now=NOW,
        max_code_bytes=16,
    ).as_dict()


# -- capture ------------------------------------------------------------------


def test_the_code_is_recorded_exactly_with_who_where_and_a_digest() -> None:
    record = execute("x = 1\nprint(x)")
    assert (record["actor"], record["project"], record["bubble"], record["object"]) == (
        "alice",
        "psy-cohort",
        "alice/psy-cohort-notebook",
        "analysis.ipynb",
    )
    details = record["details"]
    assert isinstance(details, dict)
    assert details["code"] == "x = 1\nprint(x)"
    assert details["code_sha256"] == hashlib.sha256(b"x = 1\nprint(x)").hexdigest()
    assert (details["language"], details["cell_id"], details["code_truncated"]) == ("python", "c1", False)
    assert event_from_dict(record).key, "each capture has its own idempotency key"


def test_code_over_the_limit_is_truncated_with_the_digest_of_the_whole() -> None:
    details = execute("print('a very long cell')")["details"]
    assert isinstance(details, dict)
    assert (details["code"], details["code_truncated"], details["code_size"]) == ("print('a very lo", True, 25)
    assert details["code_sha256"] == hashlib.sha256(b"print('a very long cell')").hexdigest()


def test_a_path_with_control_characters_is_made_printable() -> None:
    assert execute("1", path="evil\x1b[2J.ipynb")["object"] == "evil?[2J.ipynb"


def test_outputs_are_kept_only_as_a_digest_and_a_size() -> None:
    output = b'{"name":"stdout","text":"patient 123\\n"}'
    tally = OutputTally(started=0.0)
    tally.add_output(output)
    tally.add_reply({"status": "ok", "execution_count": 3})
    assert not tally.finished, "the kernel has not gone idle yet"
    tally.idle = True
    details = capture.result_event(WHO, "k1", "m1", tally, NOW, ended=0.25).as_dict()["details"]
    assert details == {
        "kernel_id": "k1",
        "msg_id": "m1",
        "status": "ok",
        "execution_count": 3,
        "output_sha256": hashlib.sha256(output).hexdigest(),
        "output_size": len(output),
        "output_messages": 1,
        "duration_ms": 250,
    }


@pytest.mark.parametrize(
    ("keys", "lines"),
    [
        ("ls -l\r", [("ls -l", False)]),
        ("cat data.csv\rhead -n 3\r", [("cat data.csv", False), ("head -n 3", False)]),
        ("lss\x7f -a\r", [("ls -a", False)]),
        ("rm -rf /\x15echo ok\r", [("echo ok", False)]),
        ("sleep 100\x03", [("sleep 100^C", False)]),
        ("\x1b[A\r", [("^[[A", False)]),
        ("\r\r", []),
        ("python", []),
    ],
    ids=["enter", "two-lines", "backspace", "ctrl-u", "ctrl-c", "arrow-up", "empty", "unfinished"],
)
def test_keystrokes_become_typed_lines(keys: str, lines: list[tuple[str, bool]]) -> None:
    assert LineAssembler().feed(keys) == lines


def test_a_line_split_across_messages_is_one_line() -> None:
    assembler = LineAssembler()
    assert assembler.feed("ec") == []
    assert assembler.feed("ho hi\r") == [("echo hi", False)]


def test_an_endless_line_is_truncated() -> None:
    [(line, truncated)] = LineAssembler().feed("x" * 5000 + "\r")
    assert (len(line), truncated) == (capture.MAX_LINE, True)


# -- spool --------------------------------------------------------------------


@pytest.fixture
def spools(tmp_path: Path) -> Iterator[Callable[[], Spool]]:
    """Open the spool in ``tmp_path/spool`` (again); every one opened is closed at the end."""
    opened: list[Spool] = []

    def open_spool() -> Spool:
        opened.append(Spool(tmp_path / "spool", durable=False))
        return opened[-1]

    yield open_spool
    for spool in opened:
        spool.close()


def test_spooled_records_wait_in_order_until_delivered(spools: Callable[[], Spool]) -> None:
    spool = spools()
    numbers = [spool.append({"i": i}) for i in range(5)]
    assert numbers == [1, 2, 3, 4, 5]
    assert [n for n, _ in spool.pending(3)] == [1, 2, 3]
    spool.mark_delivered(3)
    assert [record for _, record in spool.pending(10)] == [{"i": 3}, {"i": 4}]


def test_a_restarted_spool_resends_what_was_not_confirmed(spools: Callable[[], Spool]) -> None:
    spool = spools()
    for i in range(4):
        spool.append({"i": i})
    spool.mark_delivered(2)
    spool.close()
    again = spools()
    assert [n for n, _ in again.pending(10)] == [3, 4]
    assert again.append({"i": 4}) == 5, "numbers keep growing across restarts"


def test_a_line_cut_by_a_crash_is_dropped(tmp_path: Path, spools: Callable[[], Spool]) -> None:
    spool = spools()
    spool.append({"i": 0})
    spool.close()
    with (tmp_path / "spool" / "records.jsonl").open("a") as handle:
        handle.write('{"n":2,"record":{"i"')
    again = spools()
    assert [n for n, _ in again.pending(10)] == [1]
    assert again.append({"i": 1}) == 2


def test_a_delivered_spool_is_emptied_once_large(
    tmp_path: Path, spools: Callable[[], Spool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bulle.extensions.recorder.spool.COMPACT_ABOVE_BYTES", 100)
    spool = spools()
    for i in range(10):
        spool.append({"text": "x" * 20, "i": i})
    spool.mark_delivered(10)
    assert (tmp_path / "spool" / "records.jsonl").stat().st_size == 0
    assert spool.append({"i": 10}) == 11
    spool.close()
    assert [n for n, _ in spools().pending(10)] == [11]


def test_records_refused_as_invalid_are_set_aside(tmp_path: Path, spools: Callable[[], Spool]) -> None:
    spool = spools()
    spool.append({"i": 0})
    spool.set_aside(spool.pending(1), "the details of kernel.execute are not valid")
    assert spool.backlog == 0
    assert "not valid" in (tmp_path / "spool" / "rejected.jsonl").read_text()


# -- replay -------------------------------------------------------------------


def test_replay_joins_each_cell_with_its_result_in_execution_order() -> None:
    tally = OutputTally(started=0.0, idle=True)
    tally.add_reply({"status": "ok", "execution_count": 1})
    bodies = [
        event_from_dict(execute("a = 1", "m1")).body,
        event_from_dict(execute("print(a)", "m2")).body,
        capture.line_event(WHO, "1", "ls", False, NOW).body,
        capture.result_event(WHO, "k1", "m1", tally, NOW, ended=0.0).body,
    ]
    records = [StoredRecord(r.seq, r.prev, r.body, r.hash) for r in chain(bodies)]
    steps = replay_steps(records)
    assert [(s.kind, s.text, s.status) for s in steps] == [
        ("cell", "a = 1", "ok"),
        ("cell", "print(a)", "no result recorded"),
        ("terminal", "ls", ""),
    ]
    assert steps[0].output_sha256 == hashlib.sha256().hexdigest()


@pytest.mark.parametrize(
    ("channel", "msg_type", "content", "expected"),
    [
        ("shell", "execute_request", {"code": "x = 1"}, ("execute_request", "x = 1")),
        (
            "control",
            "debug_request",
            {"command": "evaluate", "arguments": {"expression": "x"}},
            ("debug_evaluate", "x"),
        ),
        ("control", "debug_request", {"command": "stackTrace", "arguments": {}}, None),
        ("shell", "complete_request", {"code": "x.", "cursor_pos": 2}, None),
        ("shell", "comm_msg", {"data": {"value": 3}}, None),
        ("stdin", "input_reply", {"value": "a secret"}, None),
    ],
    ids=["cell", "debugger-evaluate", "debugger-other", "completion", "widget", "input-prompt"],
)
def test_which_messages_carry_code_to_record(
    channel: str, msg_type: str, content: dict[str, object], expected: tuple[str, str] | None
) -> None:
    from bulle.extensions.recorder.kernels import _code_request

    assert _code_request(channel, {"msg_type": msg_type}, content) == expected
