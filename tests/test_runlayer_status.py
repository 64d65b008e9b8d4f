"""RunStatus: one enum for a run's status, stored and compared as its plain string."""

import json
import sqlite3

from runlayer import ACTIVE_STATUSES, FINAL_STATUSES, RunStatus


def test_members_are_their_strings():
    assert RunStatus.PAUSED == "paused" and f"{RunStatus.PAUSED}" == "paused"
    assert RunStatus("interrupted") is RunStatus.INTERRUPTED
    assert json.dumps({"status": RunStatus.FAILED}) == '{"status": "failed"}'
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (status TEXT)")
    db.execute("INSERT INTO t VALUES (?)", (RunStatus.STOPPED,))
    assert db.execute("SELECT status, typeof(status) FROM t").fetchone() == ("stopped", "text")


def test_every_status_is_active_or_final_never_both():
    assert set(RunStatus) == RunStatus.ACTIVE | RunStatus.FINAL
    assert not RunStatus.ACTIVE & RunStatus.FINAL
    assert set(ACTIVE_STATUSES) == RunStatus.ACTIVE and set(FINAL_STATUSES) == RunStatus.FINAL
    assert ACTIVE_STATUSES[0] == "queued"  # lifecycle order, for reading


def test_page_groups():
    assert "failed" not in RunStatus.HAS_WEIGHTS_TO_SHOW
    assert "diverged" not in RunStatus.HAS_WEIGHTS_TO_SHOW
    live_ones = RunStatus.HAS_WEIGHTS_TO_SHOW - RunStatus.FINAL
    assert live_ones == {"running", "paused"}
    assert RunStatus.ENDED_WITH_WEIGHTS == RunStatus.HAS_WEIGHTS_TO_SHOW & RunStatus.FINAL
    assert len(RunStatus) == 9  # the groups are not members
