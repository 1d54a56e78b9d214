# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbooks 001 and 002: the checkevent crontab lines, pricelist.sync, the item fix by hand, statuses."""

from __future__ import annotations

import re
import shlex

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._platform.cron import find_checkevent, render_checkevent_line
from ansible_collections.billmgr.ops.plugins.module_utils._database.drift import FIELDS, STATUSES
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import mgrctl_argv
from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import CHECKEVENT_LINE, host_findings

from billmgr_lab import dbseed

RESELLS = {'database': {'reselling_modules': [{'id': 5, 'module': 'pmbillmgr', 'active': 'on', 'items': 3}]}}


@pytest.mark.parametrize('sample', ['runbook001/crontab_checkevent.txt', 'runbook002/crontab_checkevent.txt'])
def test_the_runbooks_checkevent_line_is_found_every_5_minutes_and_needs_no_fix(golden, sample):
    found = find_checkevent(golden(sample), '/usr/local/mgr5')
    assert (found['present'], found['form'], found['count']) == (True, 'plain', 1)
    assert found['schedule']['interval_minutes'] == 5
    assert host_findings(dict(RESELLS, cron={'checkevent': found})) == []


def test_the_finding_gives_runbook_001s_line_as_it_stands(golden):
    assert golden('runbook001/crontab_checkevent.txt').splitlines()[1] == CHECKEVENT_LINE
    # The line this collection adds is the same job: same schedule, program, function and redirection.
    assert render_checkevent_line().split() == CHECKEVENT_LINE.split()


def test_the_lab_writes_runbook_001s_shape(golden):
    from billmgr_lab import hosttree
    from billmgr_lab.scenario import parse_scenario
    spec = parse_scenario({'hosts': {'bm01': {}}}).hosts[0]
    assert golden('runbook001/crontab_checkevent.txt') in hosttree.crontab_text(spec)


def test_the_sync_sample_is_what_the_reselling_role_asks_mgrctl(golden):
    cd, command = golden('runbook002/pricelist_sync_command.txt').splitlines()
    assert shlex.split(cd) == ['cd', '/usr/local/mgr5']
    argv = shlex.split(command.replace('<tariff id>', '21'))
    assert argv == mgrctl_argv('./sbin/mgrctl', 'billmgr', 'pricelist.sync', {'elid': '21'})


def test_the_hand_fix_of_an_item_touches_the_fields_drift_compares(golden):
    text = golden('runbook002/item_expiredate_update.sql')
    match = re.fullmatch(r'update (\w+) set (\w+)="(\d{4}-\d{2}-\d{2})" where (\w+)=(\d+);\n', text)
    assert match, text
    table, column, _date, key, _item = match.groups()
    assert (table, key) == ('item', 'id') and column in FIELDS
    assert {column, key} <= set(dbseed.variant_columns('minimal')['item'])


def test_the_item_statuses_are_the_ones_drift_writes(golden):
    listed = dict((int(number), name) for number, name in re.findall(r'(\d) - (\w+)', golden('runbook002/item_statuses.txt')))
    assert listed == {1: 'ordered', 2: 'active', 3: 'suspended', 4: 'deleted'}
    assert all(STATUSES[number] == name for number, name in listed.items())
