# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook 000's debug.conf line, ``name_log.* 9``, as debug_level reads and writes it.

The runbook: add the line to raise a log's level ("for billmgr.log you should enter billmgr"),
restart, and after diagnostics "delete or comment the line".
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.debugconf import DebugConf

GOLDEN = Path(__file__).resolve().parents[2] / 'golden' / 'runbook000'
NAME_LOG = (GOLDEN / 'debug_conf_name_log.conf').read_bytes()
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)


def test_the_runbook_line_is_an_entry_of_every_module_of_the_log_at_debug():
    conf = DebugConf.parse(NAME_LOG)
    assert conf.entries() == [(0, 'name_log', '*', 9)]
    assert conf.level('name_log') == 9 and conf.level('name_log', 'db') is None
    assert conf.render() == NAME_LOG


@pytest.mark.parametrize('log', ['billmgr', 'billmaintain', 'ihttpd'])
def test_raising_a_platform_log_writes_the_runbooks_line(log):
    conf = DebugConf()
    assert conf.set_level(log, '*', 9, now=NOW)
    assert conf.lines[-1].body + '\n' == NAME_LOG.decode().replace('name_log', log)


def test_the_runbooks_line_raised_by_hand_is_kept_as_the_operators():
    conf = DebugConf.parse(NAME_LOG)
    assert not conf.set_level('name_log', '*', 9, now=NOW)
    assert not conf.remove('name_log') and conf.render() == NAME_LOG
    # The runbook's clean-up: delete the line.
    assert conf.remove('name_log', remove_unmanaged=True) and conf.render() == b''


def test_the_runbooks_commented_line_is_no_level():
    assert DebugConf.parse(b'#' + NAME_LOG).entries() == []
