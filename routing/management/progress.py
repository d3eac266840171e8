"""Progress bars for management commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.core.management.base import OutputWrapper
from tqdm import tqdm

T = TypeVar("T")


class _BarStream:
    """Lets tqdm redraw its line on a command's stderr.

    ``OutputWrapper.write`` ends every write with a newline, which would print
    each refresh of the bar on a line of its own.
    """

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()


def progress_bar(
    items: Iterable[T], *, stream: OutputWrapper, desc: str, unit: str, quiet: bool
) -> Iterable[T]:
    return tqdm(items, desc=desc, unit=unit, disable=quiet, file=_BarStream(stream))
