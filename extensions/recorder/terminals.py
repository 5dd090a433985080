"""A terminal manager whose terminals record the lines typed into them.

Whatever a browser sends to a terminal reaches the shell through one call,
the terminal's ``ptyproc.write``. :class:`RecordingTerminalManager` wraps that
call for each new terminal: the keystrokes are assembled into lines
(:class:`~.capture.LineAssembler`) and each completed line is recorded
before the keystroke that completes it is written. Without a running
recorder, nothing is written: the terminal stays unusable rather than
unrecorded. Set it as ``TerminalsExtensionApp.terminal_manager_class``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jupyter_server_terminals.terminalmanager import TerminalManager

from .capture import LineAssembler


class RecordingTerminalManager(TerminalManager):  # type: ignore[misc]
    def new_terminal(self, **kwargs: Any) -> Any:
        terminal = super().new_terminal(**kwargs)
        terminal.ptyproc.write = self._recording(terminal, terminal.ptyproc.write)
        return terminal

    def _recorder(self) -> Any:
        web_app = getattr(self.parent, "web_app", None)
        return web_app.settings.get("bulle_recorder") if web_app is not None else None

    def _recording(self, terminal: Any, write: Callable[[str], Any]) -> Callable[[str], Any]:
        lines = LineAssembler()

        def recorded_write(text: str) -> Any:
            recorder = self._recorder()
            if recorder is None:
                self.log.error("bulle recorder is not loaded: terminal input is not passed on unrecorded")
                return 0
            for line, truncated in lines.feed(text):
                recorder.line_typed(str(getattr(terminal, "term_name", "?")), line, truncated)
            return write(text)

        return recorded_write
