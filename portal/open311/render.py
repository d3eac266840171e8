"""Open311 responses in JSON and XML, and errors in the specification's format.

The GeoReport v2 XML is schemaless: a root element holding one element per
item, each field a child element. Lists inside an item (a service definition's
``attributes`` and their ``values``, the discovery document's ``endpoints``
and ``formats``) are a plural element holding singular ones. JSON follows the
same shape: a list of objects (a single object for a service definition and
the discovery document, as the specification shows).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

#: The element a list's items are written as, by the list's name.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

# Characters XML 1.0 cannot carry at all (not even escaped); they are dropped from text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def w3_datetime(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset of Asia/Ho_Chi_Minh, as the specification's w3 note asks."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return w3_datetime(value) or ""
    return _NOT_XML.sub("", str(value))


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return w3_datetime(value)
    if isinstance(value, Mapping):
        return {key: _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if value is not None and not isinstance(value, bool | int | float | str):
        return str(value)
    return value


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _append(element, SINGULAR[tag], item)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Sequence[Any] | Mapping[str, Any]) -> bytes:
    """``data`` as the specification's XML under ``root``, with the UTF-8 declaration."""
    element = ET.Element(root)
    if isinstance(data, Mapping):
        for key, value in data.items():
            _append(element, key, value)
    else:
        for item in data:
            _append(element, SINGULAR[root], item)
    return XML_DECLARATION + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def to_json(data: Any) -> bytes:
    return json.dumps(_json_value(data), ensure_ascii=False, separators=(",", ":")).encode()


def respond(fmt: str, root: str, data: Sequence[Any] | Mapping[str, Any], status: int = 200) -> HttpResponse:
    """A response in ``fmt`` (``json`` or ``xml``); ``root`` names the XML root element."""
    body = to_json(data) if fmt == "json" else to_xml(root, data)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """``[{"code": 400, "description": "..."}]`` or ``<errors><error>...</error></errors>``."""
    errors = [{"code": status, "description": str(text)} for text in descriptions]
    return respond(fmt, "errors", errors, status=status)
