"""Writes to cases. Every change goes through here.

Each service locks the case row (``select_for_update``), re-checks that the
transition applies to the state found under the lock (and, when the caller
says which version it saw, that nobody acted since), runs the transition
declared on ``Case``, bumps ``version``, writes one ``CaseEvent`` and
schedules side effects for after the commit.

``core`` holds what they share (the transition runner ``_run``, routing a new case, the files
a service claims); ``staff`` the services officers, leaders and the system run; ``citizen`` those
a citizen runs on their own petition. Callers import from here.
"""

from __future__ import annotations

from routing.services.citizen import (
    case_citizen_add_info as case_citizen_add_info,
)
from routing.services.citizen import (
    case_citizen_answer as case_citizen_answer,
)
from routing.services.citizen import (
    case_citizen_feedback as case_citizen_feedback,
)
from routing.services.citizen import (
    case_withdraw as case_withdraw,
)
from routing.services.core import (
    NOTE_MAX_LENGTH as NOTE_MAX_LENGTH,
)
from routing.services.core import (
    RESPONSE_MAX_LENGTH as RESPONSE_MAX_LENGTH,
)
from routing.services.core import (
    _run as _run,
)
from routing.services.core import (
    case_open as case_open,
)
from routing.services.core import (
    route_unit_for as route_unit_for,
)
from routing.services.staff import (
    case_accept as case_accept,
)
from routing.services.staff import (
    case_add_note as case_add_note,
)
from routing.services.staff import (
    case_agency_replied as case_agency_replied,
)
from routing.services.staff import (
    case_approve as case_approve,
)
from routing.services.staff import (
    case_ask_citizen as case_ask_citizen,
)
from routing.services.staff import (
    case_auto_close as case_auto_close,
)
from routing.services.staff import (
    case_citizen_no_answer as case_citizen_no_answer,
)
from routing.services.staff import (
    case_escalate as case_escalate,
)
from routing.services.staff import (
    case_extend as case_extend,
)
from routing.services.staff import (
    case_mark_duplicate as case_mark_duplicate,
)
from routing.services.staff import (
    case_reassign as case_reassign,
)
from routing.services.staff import (
    case_refer as case_refer,
)
from routing.services.staff import (
    case_reject as case_reject,
)
from routing.services.staff import (
    case_return_down as case_return_down,
)
from routing.services.staff import (
    case_send_back as case_send_back,
)
from routing.services.staff import (
    case_submit_response as case_submit_response,
)
from routing.services.staff import (
    case_transfer as case_transfer,
)
from routing.services.staff import (
    membership_set_language as membership_set_language,
)
from routing.services.staff import (
    response_template_save as response_template_save,
)
