# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.filter.service_stops import service_stops_explained
from ansible_collections.billmgr.ops.plugins.plugin_utils._stops import explain

RUNBOOK = {'item': 310598, 'reason': 'not_enough_money', 'time': '2025-05-05T00:19:17', 'thread': '8821:1',
           'stopped': False, 'stopped_at': None, 'amount': '0.1048', 'have': '0.00', 'currency': 'EUR',
           'deficit': '0.1048', 'limit': '0.00', 'amounts_logged': True}
HIDDEN = dict(RUNBOOK, amount=None, have=None, currency=None, deficit=None, limit=None, amounts_logged=False,
              amounts_note='raise it: ansible-playbook playbooks/debug.yml -e debug_logs=billmaintain')
ACCOUNT = [{'item': 310598, 'account': 12, 'account_name': 'Arktika Trade', 'subaccount': 2012, 'currency': 44,
            'balance': '0.00', 'creditlimit': '0.00', 'last_topup': '2025-04-30T10:00:00',
            'last_topup_amount': '50.00'}]


def test_the_credit_limit_advised_covers_the_deficit_rounded_up_to_the_cent():
    (stop,), _not_found = explain([RUNBOOK], account_rows=ACCOUNT)
    assert 'at least 0.11 EUR (it is 0.00 now)' in stop['fixes'][2]
    assert (stop['amount'], stop['balance'], stop['credit_limit']) == ('0.1048', '0.00', '0.00')
    assert stop['account']['subaccounts'][0]['last_topup_amount'] == '50.00'
    assert 'could not be billed' in stop['summary'] and 'not stopped' in stop['summary']
    assert stop['summary'].endswith('; account 12: balance 0.00, credit limit 0.00, last top-up 2025-04-30T10:00:00 of 50.00')


def test_hidden_amounts_advise_no_figure_and_say_how_to_raise_the_level():
    (stop,), _not_found = explain([HIDDEN], account_rows=ACCOUNT)
    assert stop['amounts_logged'] is False
    assert '0.00 EUR' not in ' '.join(stop['fixes']) and 'at least' not in stop['fixes'][2]
    assert 'debug_logs=billmaintain' in stop['fixes'][2] and 'credit limit is 0.00 in subaccount 2012' in stop['fixes'][2]
    assert 'None' not in stop['summary'] and 'not logged' in stop['summary']


def test_stopped_by_the_log_or_by_the_database():
    logged = dict(RUNBOOK, stopped=True, stopped_at='2025-05-05T00:19:18')
    (by_log,), _not_found = explain([logged])
    assert (by_log['stopped'], by_log['stopped_by']) == (True, 'log')
    assert by_log['summary'].startswith('item 310598 was stopped at 2025-05-05T00:19:18')
    (by_db,), _not_found = explain([RUNBOOK], item_rows=[{'id': 310598, 'status': 3, 'expiredate': '2025-06-01'}])
    assert (by_db['stopped'], by_db['stopped_by'], by_db['status_name']) == (True, 'database', 'suspended')
    (active,), _not_found = explain([RUNBOOK], item_rows=[{'id': 310598, 'status': 2}])
    assert (active['stopped'], active['stopped_by']) == (False, None)


def test_items_asked_without_a_failure_are_named():
    stops, not_found = explain([RUNBOOK], wanted=[7, 8], item_rows=[{'id': 7, 'status': 2}], since='2025-05-01')
    assert stops == []
    notes = dict((entry['item'], entry['note']) for entry in not_found)
    assert 'since 2025-05-01' in notes[7] and notes[8] == 'no such item in the database'


def test_addon_and_unknown_reasons_carry_their_fixes():
    failures = [{'item': 7, 'reason': 'stat_addon_over_limit', 'stopped': True, 'stopped_at': 't'},
                {'item': 8, 'reason': 'unknown', 'stopped': True, 'thread': '1:1'}]
    stops, _not_found = explain(failures)
    assert stops[0]['fixes'][0].startswith('Raise the maximum of the add-on') and stops[0]['amount'] is None
    assert 'log_grep' in stops[1]['fixes'][0] and 'no cause in its billmaintain thread 1:1' in stops[1]['summary']


def test_the_filter_returns_both_lists():
    result = service_stops_explained([RUNBOOK], [310598])
    assert [entry['item'] for entry in result['stops']] == [310598] and result['not_found'] == []
