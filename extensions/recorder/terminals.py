"""Terminals that record the lines typed into them.

Whatever a browser sends to a terminal reaches the shell through one call,
the terminal's ``ptyproc.write``. :func:`record_input` wraps that call: the
keystrokes are assembled into lines (:class:`~.capture.LineAssembler`) and
each completed line is recorded before the keystroke that completes it is
written. Without a running recorder nothing is written: the terminal stays
unusable rather than unrecorded.

:class:`RecordingTerminalManager` does this for every terminal it creates;
it is set as ``TerminalsExtensionApp.terminal_manager_class`` by the
recorder's configuration. Should another manager be in place,
:func:`record_new_terminals` makes it record too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jupyter_server_terminals.terminalmanager import TerminalManager

from .capture import LineAssembler


def record_input(terminal: Any, recorder: Callable[[], Any], log: Any) -> None:
    """Record the lines typed into ``terminal`` with what ``recorder()`` returns."""
    write = terminal.ptyproc.write
    lines = LineAssembler()

    def recorded_write(text: str) -> Any:
        current = recorder()
        if current is None:
            log.error("bulle recorder is not loaded: terminal input is not passed on unrecorded")
            return 0
        for line, truncated in lines.feed(text):
            current.line_typed(str(getattr(terminal, "term_name", "?")), line, truncated)
        return write(text)

    terminal.ptyproc.write = recorded_write


class RecordingTerminalManager(TerminalManager):
    def new_terminal(self, **kwargs: Any) -> Any:
        terminal = super().new_terminal(**kwargs)
        record_input(terminal, self._recorder, self.log)
        return terminal

    def _recorder(self) -> Any:
        web_app = getattr(self.parent, "web_app", None)
        return web_app.settings.get("bulle_recorder") if web_app is not None else None


def record_new_terminals(manager: Any, recorder: Callable[[], Any]) -> bool:
    """Make ``manager`` record the terminals it creates from now on; False if it did already."""
    if isinstance(manager, RecordingTerminalManager):
        return False
    create = manager.new_terminal

    def new_terminal(**kwargs: Any) -> Any:
        terminal = create(**kwargs)
        record_input(terminal, recorder, manager.log)
        return terminal

    manager.new_terminal = new_terminal
    return True
