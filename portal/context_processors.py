from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    """Values every portal page's layout needs."""
    return {"current_path": request.get_full_path()}
