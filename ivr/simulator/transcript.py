"""The simulated call as a person would read it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Line:
    t: float
    who: str
    text: str


def format_line(line: Line) -> str:
    minutes, seconds = divmod(int(line.t), 60)
    return f"{minutes:02d}:{seconds:02d}  {line.who:<18} {line.text}"


@dataclass
class Transcript:
    lines: list[Line] = field(default_factory=list)
    echo: Callable[[str], None] | None = None  # interactive runs print each line as it happens

    def add(self, t: float, who: str, text: str) -> None:
        line = Line(t, who, text)
        self.lines.append(line)
        if self.echo:
            self.echo(format_line(line))

    def render(self) -> str:
        return "\n".join(format_line(line) for line in self.lines)

    def said(self, who_prefix: str = "") -> list[str]:
        return [line.text for line in self.lines if line.who.startswith(who_prefix)]
