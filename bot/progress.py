"""A progress bar for long commands, drawn on a terminal only: a pipe or a file gets nothing."""

from __future__ import annotations

from typing import TextIO

WIDTH = 30


class ProgressBar:
    """`[#########.....]  45%  4500/10000 payments`, redrawn in place each time the percentage
    changes (so a million rows cost a hundred writes), and ended with a newline."""

    def __init__(self, total: int, stream: TextIO, *, unit: str = "rows") -> None:
        self.total = total
        self.stream = stream
        self.unit = unit
        self.done = 0
        self._shown: int | None = None

    @classmethod
    def on_terminal(
        cls, total: int, stream: TextIO, *, minimum: int, unit: str = "rows"
    ) -> ProgressBar | None:
        """A bar when `stream` is a terminal and there are at least `minimum` rows to go."""
        if total < minimum or not stream.isatty():
            return None
        return cls(total, stream, unit=unit)

    def advance(self) -> None:
        self.done += 1
        percent = self.done * 100 // max(self.total, 1)
        if percent != self._shown:
            self._shown = percent
            filled = WIDTH * min(self.done, self.total) // max(self.total, 1)
            bar = "#" * filled + "." * (WIDTH - filled)
            self.stream.write(f"\r[{bar}] {percent:3d}%  {self.done}/{self.total} {self.unit}")
            self.stream.flush()

    def finish(self) -> None:
        if self._shown is not None:
            self.stream.write("\n")
            self.stream.flush()
