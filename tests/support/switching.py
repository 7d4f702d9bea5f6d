"""Generated sequences of switches by two writers, and playing one against real backends.

The file and Redis backends are both asked the same question (does every reader end with the last record
written, whoever wrote it?), so the sequences and the way they are written live here once.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from hypothesis import strategies as st

from fastapi_maintenance import MaintenanceState, set_maintenance_mode
from fastapi_maintenance.backends import BaseStateBackend

# One switch: which of two writers, on or off, message, duration in seconds, reason, actor.
Switch = Tuple[int, bool, Optional[str], Optional[int], Optional[str], Optional[str]]

_texts = st.none() | st.text(max_size=20)


def switch_sequences(max_size: int) -> st.SearchStrategy[List[Switch]]:
    """Non-empty lists of up to ``max_size`` switches by writer 0 or 1."""
    return st.lists(
        st.tuples(
            st.integers(0, 1), st.booleans(), _texts, st.none() | st.integers(60, 10**6), _texts, _texts
        ),
        min_size=1,
        max_size=max_size,
    )


async def write_switches(writers: Sequence[BaseStateBackend], sequence: Sequence[Switch]) -> MaintenanceState:
    """Write each switch through its writer, check the writer reads back what it wrote; return the last record."""
    last: Optional[MaintenanceState] = None
    for who, active, message, seconds, reason, actor in sequence:
        fields: Dict[str, Any] = {"reason": reason, "actor": actor}
        if active:
            fields.update(message=message, duration=seconds)
        await set_maintenance_mode(active, writers[who], **fields)
        last = await writers[who].get_state()
        assert (last.active, last.reason, last.actor) == (active, reason, actor)
        assert last.message == (message if active else None)
    assert last is not None, "a switch sequence is never empty"
    return last
