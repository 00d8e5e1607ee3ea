"""Telegram's parse_mode handling: formatted text in, plain text and entities out.

Telegram is strict here and a bot that forgets to escape a product name gets
"Bad Request: can't parse entities", so the emulator is strict too. HTML and MarkdownV2 are
parsed; legacy Markdown passes through unchanged.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from emulator.models import JSON

HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTRIBUTE = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_HTML_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")

MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MARKDOWN_MARKERS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


class EntityParseError(ValueError):
    """The text cannot be parsed in the requested parse mode."""


def utf16_len(text: str) -> int:
    """Telegram measures offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def format_text(text: str, parse_mode: str | None) -> tuple[str, list[JSON]]:
    """Plain text and entities of a message sent with `parse_mode`."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    return text, []


@dataclass
class _Open:
    tag: str
    entity: JSON
    start: int
    source_index: int = 0


# A tag that is allowed but makes no entity of its own (<code> inside <pre>).
_NO_ENTITY: JSON = {}


class _Builder:
    """Collects output text and entities, tracking UTF-16 positions."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.position = 0
        self.entities: list[JSON] = []
        self.last_quote: JSON | None = None

    def append(self, text: str) -> None:
        self.parts.append(text)
        self.position += utf16_len(text)

    def close(self, opened: _Open) -> None:
        length = self.position - opened.start
        if length > 0 and opened.entity is not _NO_ENTITY:
            self.entities.append({**opened.entity, "offset": opened.start, "length": length})

    def result(self) -> tuple[str, list[JSON]]:
        entities = sorted(self.entities, key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.parts), entities


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def parse_html(source: str) -> tuple[str, list[JSON]]:
    out = _Builder()
    stack: list[_Open] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            index = _html_tag(source, index, stack, out)
        elif char == "&" and (match := _HTML_ENTITY.match(source, index)):
            out.append(html.unescape(match.group(0)))
            index = match.end()
        else:
            out.append(char)
            index += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return out.result()


def _html_tag(source: str, start: int, stack: list[_Open], out: _Builder) -> int:
    """Open or close the tag at `start`; returns the index after it.

    Checks follow Telegram's order: the tag name (up to a space or '>') first, then '>'.
    """
    offset = _byte_offset(source, start)
    end = source.find(">", start)
    if source.startswith("/", start + 1):
        if end == -1:
            raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
        name = source[start + 2 : end].strip().lower()
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
        if name != stack[-1].tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1].tag}>", '
                f'found "</{name}>"'
            )
        out.close(stack.pop())
        return end + 1
    name_end = start + 1
    while name_end < len(source) and not source[name_end].isspace() and source[name_end] != ">":
        name_end += 1
    name = source[start + 1 : name_end].lower()
    if name not in HTML_TAGS:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
    if end == -1:
        raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
    entity = _html_entity(name, _html_attributes(source[name_end:end]), stack)
    if entity is None:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
    stack.append(_Open(name, entity, out.position))
    return end + 1


def _html_attributes(text: str) -> dict[str, str]:
    attributes = {}
    for match in _ATTRIBUTE.finditer(text):
        value = next((group for group in match.groups()[1:] if group is not None), "")
        attributes[match.group(1).lower()] = html.unescape(value)
    return attributes


def _html_entity(name: str, attributes: dict[str, str], stack: list[_Open]) -> JSON | None:
    """The entity a start tag opens; None for a tag Telegram does not support."""
    kind = HTML_TAGS.get(name)
    if kind is None:
        return None
    if name == "span" and attributes.get("class") != "tg-spoiler":
        return None
    if name == "a":
        return {"type": "text_link", "url": attributes.get("href", "")}
    if name == "tg-emoji":
        return {"type": "custom_emoji", "custom_emoji_id": attributes.get("emoji-id", "")}
    if name == "blockquote" and "expandable" in attributes:
        return {"type": "expandable_blockquote"}
    if name == "code" and stack and stack[-1].tag == "pre":
        # <pre><code class="language-x"> is one pre entity with a language.
        language = attributes.get("class", "").removeprefix("language-")
        if language:
            stack[-1].entity["language"] = language
        return _NO_ENTITY
    return {"type": kind}


def parse_markdown_v2(source: str) -> tuple[str, list[JSON]]:
    out = _Builder()
    stack: list[_Open] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            out.append(source[index + 1])
            index += 2
        elif char == "`":
            index = _markdown_code(source, index, out)
        elif char == "[":
            stack.append(_Open("[", {"type": "text_link"}, out.position, index))
            index += 1
        elif char == "]" and stack and stack[-1].tag == "[":
            index = _markdown_link_url(source, index, stack.pop(), out)
        elif (marker := _markdown_marker(source, index)) is not None:
            if stack and stack[-1].tag == marker:
                out.close(stack.pop())
            else:
                entity = {"type": _MARKDOWN_MARKERS[marker]}
                stack.append(_Open(marker, entity, out.position, index))
            index += len(marker)
        elif char == ">" and (index == 0 or source[index - 1] == "\n"):
            index = _markdown_quote_line(source, index, out)
        elif char in MARKDOWN_V2_RESERVED:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.append(char)
            index += 1
    if stack:
        offset = _byte_offset(source, stack[-1].source_index)
        raise EntityParseError(f"Can't find end of the entity starting at byte offset {offset}")
    return out.result()


def _markdown_marker(source: str, index: int) -> str | None:
    for marker in ("__", "||", "*", "_", "~"):
        if source.startswith(marker, index):
            return marker
    return None


def _markdown_code(source: str, index: int, out: _Builder) -> int:
    """Inline `code` or a ```pre``` block; only ` and \\ are escaped inside."""
    fence = "```" if source.startswith("```", index) else "`"
    start = index + len(fence)
    language = ""
    if fence == "```":
        newline = source.find("\n", start)
        first_line = source[start:newline] if newline != -1 else ""
        if newline != -1 and first_line and " " not in first_line:
            language = first_line
            start = newline + 1
    end = _find_unescaped(source, fence, start)
    if end == -1:
        offset = _byte_offset(source, index)
        raise EntityParseError(f"Can't find end of the entity starting at byte offset {offset}")
    content = re.sub(r"\\([`\\])", r"\1", source[start:end])
    entity: JSON = {"type": "pre" if fence == "```" else "code"}
    if language:
        entity["language"] = language
    opened = _Open(fence, entity, out.position)
    out.append(content)
    out.close(opened)
    return end + len(fence)


def _markdown_link_url(source: str, index: int, opened: _Open, out: _Builder) -> int:
    if not source.startswith("(", index + 1):
        raise EntityParseError(
            "Character ']' is reserved and must be escaped with the preceding '\\'"
        )
    end = _find_unescaped(source, ")", index + 2)
    if end == -1:
        offset = _byte_offset(source, index)
        raise EntityParseError(f"Can't find end of a URL at byte offset {offset}")
    opened.entity["url"] = re.sub(r"\\([)\\])", r"\1", source[index + 2 : end])
    out.close(opened)
    return end + 1


def _markdown_quote_line(source: str, index: int, out: _Builder) -> int:
    """A '>' line is a blockquote; consecutive quoted lines form one entity."""
    newline = source.find("\n", index)
    line_end = len(source) if newline == -1 else newline
    start = out.position
    text, entities = parse_markdown_v2(source[index + 1 : line_end])
    out.append(text)
    out.entities.extend({**entity, "offset": entity["offset"] + start} for entity in entities)
    quote = out.last_quote
    if quote is not None and quote["offset"] + quote["length"] + 1 == start:
        quote["length"] = out.position - quote["offset"]
    else:
        quote = {"type": "blockquote", "offset": start, "length": out.position - start}
        out.entities.append(quote)
        out.last_quote = quote
    return line_end


def _find_unescaped(source: str, needle: str, start: int) -> int:
    index = start
    while index < len(source):
        if source[index] == "\\":
            index += 2
            continue
        if source.startswith(needle, index):
            return index
        index += 1
    return -1
