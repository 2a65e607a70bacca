"""Telegram's HTML as a terminal shows it: bold and italics as the terminal's own (ANSI)
where it has them, links as "text <url>", and each keyboard as numbered buttons."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

_STYLES = {"b": "1", "strong": "1", "i": "3", "em": "3", "u": "4", "ins": "4", "s": "9",
           "strike": "9", "del": "9", "code": "2", "pre": "2"}  # fmt: skip


class _Text(HTMLParser):
    def __init__(self, ansi: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.ansi = ansi
        self.out: list[str] = []
        self._styles: list[str] = []
        self._links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _STYLES:
            self._styles.append(_STYLES[tag])
            self._restyle()
        elif tag == "a":
            self._links.append(dict(attrs).get("href") or "")
        elif tag == "blockquote":
            self.out.append("│ ")
        elif tag == "tg-spoiler":
            self.out.append("░")

    def handle_endtag(self, tag: str) -> None:
        if tag in _STYLES and self._styles:
            self._styles.pop()
            self._restyle()
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href:
                self.out.append(f" <{href}>")
        elif tag == "tg-spoiler":
            self.out.append("░")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def _restyle(self) -> None:
        if self.ansi:
            self.out.append("\x1b[0m" + "".join(f"\x1b[{s}m" for s in self._styles))


def terminal_text(telegram_html: str, *, ansi: bool) -> str:
    """The text a reader sees, for a terminal (ansi: with its bold and italics)."""
    parser = _Text(ansi)
    parser.feed(telegram_html)
    parser.close()
    text = "".join(parser.out)
    return text + ("\x1b[0m" if ansi and "\x1b[" in text else "")


@dataclass(frozen=True, slots=True)
class Button:
    number: int
    text: str
    callback_data: str | None = None
    url: str | None = None


def buttons_of(markup: dict[str, Any] | None) -> list[Button]:
    """An inline keyboard's buttons, numbered from 1, row by row."""
    found: list[Button] = []
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            found.append(Button(len(found) + 1, str(button.get("text", "")),
                                button.get("callback_data"), button.get("url")))  # fmt: skip
    return found


def keyboard_lines(buttons: list[Button]) -> list[str]:
    """The buttons as the terminal lists them: [n] text (and where a link goes)."""
    lines = []
    for button in buttons:
        if button.url:
            lines.append(f"  [{button.number}] {button.text} → {button.url}")
        elif button.callback_data:
            lines.append(f"  [{button.number}] {button.text}")
        else:
            lines.append(f"  [{button.number}] {button.text} (opens Telegram's chat picker)")
    return lines
