"""What the OpenAPI document says beyond the views: the partner key's scheme, the description, the server.

A partner may have nothing but the document, so its description carries the
essentials of docs/api.md: who authenticates how, languages, errors,
idempotency and rate limits.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from config.public_url import public_base_url

DESCRIPTION = """\
File and follow citizen petitions (public); read and act on cases (staff).

**Authentication.** Public operations need nothing. A partner's server may send its API key
(the Open311 partners' key, issued by the portal's administrators) as `X-API-Key`: its calls then
count against the partner's own rate instead of its address's; a key that is sent must be valid
(else 401). Case operations need a staff token: `Authorization: Token <key>`.

**Language.** `Accept-Language: en` answers in English; anything else in Vietnamese (the default).
The answer says which in `Content-Language`. The citizen's language (of their SMS, emails and
tracking link) is the `language` field of the petition, never the request's.

**Errors.** Always `{"error": {"code", "message", "fields"?}}` with a stable `code`:
validation_failed (400, messages per field in `fields`), not_authenticated (401),
permission_denied (403), not_found (404: also a case outside the token user's jurisdiction),
method_not_allowed (405), conflict or transition_not_allowed (409), unsupported_media_type (415:
send `Content-Type: application/json`), throttled (429, with `Retry-After` in seconds).

**Filing.** Keep the `token` of a 201: it is the only way to follow the petition and is not stored.
Send an `Idempotency-Key` (e.g. a UUID per submission) and retry with the same key and input after a
timeout: the answer is the petition filed the first time (200, `created: false`, `token: null`),
even while over the rate limit. Follow a petition with `GET /api/v1/track/{code}/` and its token in
`X-Tracking-Token`; add the citizen's information (or their answer to the unit's question) with
`POST /api/v1/track/{code}/additions/`, with that token or as the partner that filed it; download
its PDFs from the `url` of each of its `documents`, with the same credentials.

**Rate limits.** Filing and tracking count per client address (or per partner key), filing also per
phone number, failed tracking look-ups per code; staff tokens per user. Over a limit: 429.

**Cases.** Every action carries `version`, the case version you read: each action and each note
raises it; a stale one is 409 conflict. `available_actions` names the action endpoints the caller
may POST to now.
"""


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.PartnerKeyAuthentication"
    name = "partnerKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "A partner's API key: optional; the call then counts against the partner's rate.",
        }


def finish(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the description and the server the API is served from."""
    result["info"]["description"] = DESCRIPTION
    result["servers"] = [{"url": public_base_url()}]
    return result
