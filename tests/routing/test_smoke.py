from __future__ import annotations

import pytest

from routing.models import CaseState
from tests.conftest import advance


@pytest.mark.parametrize("state", CaseState.values)
def test_advance_reaches_state(submit, cast, state):
    case = submit().petition.case
    assert advance(case, state, cast).state == state
