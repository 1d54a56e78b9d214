# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.module_utils._logs.earlystop import SCAN_LEVELS, SCAN_PATTERN, early_stops
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import scan

# The shape of billmaintain.log around the two early stops of the platform's runbook.
BILLMAINTAIN = b"""\
Nov 23 00:17:31 [356839:1] rpc EXTINFO Query('func=service.billdaily&item=310598&from=daily')
Nov 23 00:17:31 [356839:2] rpc EXTINFO Query('func=service.statdaily&item=5&from=daily')
Nov 23 00:17:32 [356839:1] rpc WARNING Query result:
<?xml version="1.0" encoding="UTF-8"?>
<doc><error type="not_enough_money" object="" code="22" lang="en">
  <param name="amount">12.50</param>
  <param name="have">3.00</param>
  <param name="currency">RUB</param>
  <param name="deficit">9.50</param>
  <param name="limit">0</param>
  <msg>Not enough money on the account: 12.50 RUB needed, 3.00 RUB available</msg>
</error></doc>
Nov 23 00:17:32 [356839:2] sbin_utils INFO QUERY: func=service.autosuspend&item=99&stat=on
Nov 23 00:17:33 [356839:1] sbin_utils INFO QUERY: func=service.autosuspend&item=310598&stat=on
Nov 23 00:17:34 [356839:1] rpc EXTINFO Query('func=service.billdaily&item=310604&from=daily')
Nov 23 00:17:36 [356839:1] rpc EXTINFO Query('func=service.billdaily&item=7&from=daily')
Nov 23 00:17:36 [356839:1] libmgr ERROR Error: Type: 'stat_addon_over_limit' Object: '' Value: ''
Nov 23 00:17:37 [356839:1] sbin_utils INFO QUERY: func=service.autosuspend&item=7&stat=on
Nov 23 00:17:38 [356839:1] rpc EXTINFO Query('func=service.billdaily&item=8&from=daily')
"""


def stops_in(tmp_path, text=BILLMAINTAIN, items=None):
    log = tmp_path / 'billmaintain.log'
    log.write_bytes(text)
    found = scan([str(log)], levels=SCAN_LEVELS, pattern=SCAN_PATTERN, context='none', max_matches=1000)
    return early_stops(found['matches'], items)


def test_each_stop_gets_the_reason_of_its_own_thread(tmp_path):
    stops = stops_in(tmp_path)
    # In the order the failures were seen: 310598's error comes before 99's suspend line.
    assert [(stop['item'], stop['reason'], stop['stopped']) for stop in stops] == [
        (310598, 'not_enough_money', True), (99, 'unknown', True), (7, 'stat_addon_over_limit', True)]


def test_a_failure_without_a_suspend_line_is_reported_not_stopped(tmp_path):
    text = BILLMAINTAIN.replace(b"Nov 23 00:17:37 [356839:1] sbin_utils INFO QUERY: "
                                b"func=service.autosuspend&item=7&stat=on\n", b'')
    addon = [stop for stop in stops_in(tmp_path, text) if stop['item'] == 7]
    assert [(stop['reason'], stop['stopped'], stop['stopped_at']) for stop in addon] == [
        ('stat_addon_over_limit', False, None)]


def test_money_stop_carries_the_amounts_of_the_error(tmp_path):
    money = stops_in(tmp_path)[0]
    assert {key: money[key] for key in ('amount', 'have', 'currency', 'deficit', 'limit')} == {
        'amount': '12.50', 'have': '3.00', 'currency': 'RUB', 'deficit': '9.50', 'limit': '0'}
    assert money['thread'] == '356839:1' and 'T00:17:32' in money['time'] and 'T00:17:33' in money['stopped_at']


def test_a_reason_does_not_leak_to_the_next_item(tmp_path):
    text = BILLMAINTAIN + (b"Nov 23 00:17:39 [356839:1] sbin_utils INFO QUERY: "
                           b"func=service.autosuspend&item=8&stat=on\n")
    last = stops_in(tmp_path, text)[-1]
    assert (last['item'], last['reason']) == (8, 'unknown')


def test_only_the_items_asked_for(tmp_path):
    assert [stop['item'] for stop in stops_in(tmp_path, items=['7'])] == [7]


def test_no_stops_in_a_quiet_log(tmp_path):
    quiet = b"Nov 23 00:17:31 [1:1] rpc EXTINFO Query('func=service.billdaily&item=3&from=daily')\n"
    assert stops_in(tmp_path, quiet) == []
