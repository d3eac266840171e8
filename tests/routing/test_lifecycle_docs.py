"""docs/architecture.md draws the case lifecycle; the diagram must be the model's, edge by edge."""

from __future__ import annotations

import re
from pathlib import Path

from django_fsm import RETURN_VALUE

from routing.models import Case, CaseState

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def documented_edges() -> set[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    diagram = text[text.index("```mermaid") : text.index("```", text.index("```mermaid") + 3)]
    return {
        (source, target, name)
        for source, target, name in re.findall(r"^\s+(\w+) --> (\w+): (\w+)$", diagram, re.MULTILINE)
    }


def model_edges() -> set[tuple[str, str, str]]:
    edges = set()
    for transition in Case._meta.get_field("state").get_all_transitions(Case):  # type: ignore[attr-defined]
        target = transition.target
        if target is None:  # the state stays (an extension)
            targets = [transition.source]
        elif isinstance(target, RETURN_VALUE):
            targets = list(target.allowed_states)
        else:
            targets = [target]
        edges |= {(transition.source, str(t), transition.name) for t in targets}
    return edges


def test_the_documented_lifecycle_is_the_models() -> None:
    assert documented_edges() == model_edges()


def test_every_state_is_in_the_documented_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    for state in CaseState.values:
        assert f"| `{state}` |" in text, state
