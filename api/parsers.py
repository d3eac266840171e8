"""The API's JSON parser: DRF's, except that JSON nested too deeply is a 400, not a 500."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # Python's json gives up past about a thousand levels: the body is refused as any
            # other body that is not JSON we read.
            raise exceptions.ParseError("JSON parse error - nested too deeply") from exc
