# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts import sweepfacts
from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import MysqlError


def failing_first(monkeypatch, kind):
    calls = []

    def fake_run_batch(client, planned, now, server_paths=False):
        calls.append(now)
        if len(calls) == 1:
            raise MysqlError("ERROR 2013 (HY000): Lost connection to server during query", kind)
        return {'queries': [], 'answered': True}

    monkeypatch.setattr(sweepfacts, 'run_batch', fake_run_batch)
    return calls


def test_a_lost_connection_is_tried_once_more(monkeypatch):
    calls = failing_first(monkeypatch, 'unreachable')
    assert sweepfacts.run_sweep_batch(None, [], retry_pause=0) == {'queries': [], 'answered': True}
    assert len(calls) == 2


@pytest.mark.parametrize('kind', ['refused', 'denied', 'no_database', 'timeout', 'client'])
def test_other_failures_are_reported_at_once(monkeypatch, kind):
    calls = failing_first(monkeypatch, kind)
    with pytest.raises(MysqlError) as caught:
        sweepfacts.run_sweep_batch(None, [], retry_pause=0)
    assert caught.value.kind == kind and len(calls) == 1
