"""A web page on the emulator's server that plays Telegram's app for a person: see page.py."""

from emulator.preview.page import PreviewPage

__all__ = ["PreviewPage"]
