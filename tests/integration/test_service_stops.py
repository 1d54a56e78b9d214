"""playbooks/service_stops.yml over SSH against tests/lab/scenarios/service_stops.yml.

bm01 had one service stopped for not_enough_money and one for stat_addon_over_limit, bm02 two for
not_enough_money, bm03 none. What the playbook explains is checked against billmaintain.log and
the item rows read directly, not through the collection.  The last test gives bm03 runbook 003's
failure as a server below DEBUG writes it, not followed by a stop.
"""

import json
import os
import re
from datetime import datetime, timedelta

import pytest

from conftest import REPO, recap
from test_billmgr_query import host_sql

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'service_stops.yml'
PLAYBOOK = REPO / 'playbooks' / 'service_stops.yml'
HOSTS = ('bm01', 'bm02', 'bm03')
SUSPENDED = 3
GOLDEN_MONEY = REPO / 'tests' / 'golden' / 'runbook003' / 'billmaintain_not_enough_money.log'
MONEY_FIXES = ('Raise the included value', 'Allow post-paid overage', 'Give the account a credit limit')
AUTOSUSPEND_RE = re.compile(r'func=service\.autosuspend&item=(\d+)&stat=on')
PARAM_RE = re.compile(r'<param name="(amount|have|currency|deficit|limit)">([^<]*)</param>')


@pytest.fixture(scope='module')
def lab(lab_manager):
    return lab_manager.get(SCENARIO, fresh=True)


def logged_stops(lab, host):
    """(stopped item ids in log order, the not_enough_money params in log order), from the log itself."""
    text = lab.host_path(host, 'var/billmaintain.log').read_text(errors='replace')
    stopped = [int(item) for item in AUTOSUSPEND_RE.findall(text)]
    money, current = [], {}
    for name, value in PARAM_RE.findall(text):
        current[name] = value
        if len(current) == 5:
            money.append(current)
            current = {}
    return stopped, money


def run(lab, report_dir, extra=None, **kwargs):
    extra_vars = {'billmgr_service_stops_report_dir': str(report_dir)}
    extra_vars.update(extra or {})
    proc = lab.playbook(PLAYBOOK, extra_vars=extra_vars, **kwargs)
    found = sorted(report_dir.glob('*/service_stops.json'))
    return proc, json.loads(found[-1].read_text()) if found else None


def by_host(report):
    return {record['host']: record for record in report['hosts']}


def output(proc):
    return proc.stdout[-4000:] + proc.stderr[-3000:]


@pytest.fixture(scope='module')
def window(lab, tmp_path_factory):
    report_dir = tmp_path_factory.mktemp('stops-window')
    proc, report = run(lab, report_dir, extra={'stops_since': '7d'})
    assert proc.returncode == 0, output(proc)
    return proc, report, report_dir


def test_the_lab_holds_what_the_scenario_says(lab):
    assert len(logged_stops(lab, 'bm01')[0]) == 2 and len(logged_stops(lab, 'bm01')[1]) == 1
    assert len(logged_stops(lab, 'bm02')[0]) == 2 and len(logged_stops(lab, 'bm02')[1]) == 2
    assert logged_stops(lab, 'bm03') == ([], [])


def test_every_early_stop_in_the_window_is_explained(lab, window):
    _, report, _ = window
    hosts = by_host(report)
    assert set(hosts) == set(HOSTS)
    for host in HOSTS:
        stopped, money = logged_stops(lab, host)
        stops = hosts[host]['stops']
        assert [stop['item'] for stop in stops] == stopped, host
        explained_money = [stop for stop in stops if stop['reason'] == 'not_enough_money']
        assert [{'amount': s['amount'], 'have': s['balance'], 'currency': s['currency'], 'deficit': s['deficit'],
                 'limit': s['credit_limit']} for s in explained_money] == money, host
        for stop in stops:
            (status,), = host_sql(lab, host, 'SELECT status FROM item WHERE id = %d' % stop['item'])
            assert stop['status'] == int(status) == SUSPENDED and stop['status_name'] == 'suspended'
            assert stop['time'] and stop['thread'] and stop['stopped'] and stop['stopped_by'] == 'log'
            assert stop['stopped_at'] >= stop['time']
    assert sorted(stop['reason'] for stop in hosts['bm01']['stops']) == ['not_enough_money', 'stat_addon_over_limit']
    assert [stop['reason'] for stop in hosts['bm02']['stops']] == ['not_enough_money'] * 2
    assert hosts['bm03']['stops'] == [] and hosts['bm03']['not_found'] == []


def test_each_reason_carries_the_runbooks_fixes(window):
    _, report, _ = window
    for host in by_host(report).values():
        for stop in host['stops']:
            if stop['reason'] == 'not_enough_money':
                assert [fix[:len(start)] for fix, start in zip(stop['fixes'], MONEY_FIXES)] == list(MONEY_FIXES)
                needed = float(stop['credit_limit']) + float(stop['deficit'])
                assert 'at least %.2f %s' % (needed, stop['currency']) in stop['fixes'][2]
            else:
                assert len(stop['fixes']) == 1 and stop['fixes'][0].startswith('Raise the maximum of the add-on')


def test_summary_per_host_and_markdown_name_the_reasons_and_amounts(window):
    proc, report, report_dir = window
    money = next(stop for stop in by_host(report)['bm01']['stops'] if stop['reason'] == 'not_enough_money')
    addon = next(stop for stop in by_host(report)['bm01']['stops'] if stop['reason'] != 'not_enough_money')
    assert 'item %d was stopped at' % money['item'] in proc.stdout
    assert '%s %s to charge, %s on the balance, deficit %s' % (money['amount'], money['currency'], money['balance'],
                                                               money['deficit']) in proc.stdout
    assert 'item %d was stopped at' % addon['item'] in proc.stdout and 'stat_addon_over_limit' in proc.stdout
    markdown = sorted(report_dir.glob('*/service_stops.md'))[-1].read_text()
    assert '### Item %d: not_enough_money' % money['item'] in markdown
    assert 'deficit %s' % money['deficit'] in markdown and 'Raise the maximum of the add-on' in markdown


def test_the_run_changes_nothing(window):
    proc, _, _ = window
    counts = recap(proc.stdout)
    assert set(counts) == set(HOSTS) and all(host['changed'] == 0 for host in counts.values()), proc.stdout[-3000:]


def test_given_items_are_explained_and_an_item_not_stopped_says_so(lab, tmp_path):
    stopped, _ = logged_stops(lab, 'bm01')
    (active,), = host_sql(lab, 'bm01', 'SELECT MIN(id) FROM item WHERE status = 2')
    asked = '[%d,%s,999999999]' % (stopped[0], active)
    proc, report = run(lab, tmp_path, extra={'stops_items': asked, 'stops_since': '30d'}, limit='bm01')
    assert proc.returncode == 0, output(proc)
    record = by_host(report)['bm01']
    assert [stop['item'] for stop in record['stops']] == [stopped[0]]
    assert report['items_asked'] == [stopped[0], int(active), 999999999]
    not_found = {entry['item']: entry for entry in record['not_found']}
    assert set(not_found) == {int(active), 999999999}
    assert not_found[int(active)]['status'] == 2 and 'no billing failure of this item' in not_found[int(active)]['note']
    assert not_found[999999999]['note'] == 'no such item in the database'


def test_check_mode_gives_the_same_explanations(lab, window, tmp_path):
    _, report, _ = window
    proc, checked = run(lab, tmp_path, extra={'stops_since': '7d'}, check=True)
    assert proc.returncode == 0, output(proc)
    assert [h['stops'] for h in checked['hosts']] == [h['stops'] for h in report['hosts']]
    assert all(host['changed'] == 0 for host in recap(proc.stdout).values())


@pytest.mark.parametrize('extra, message', [
    ({'stops_since': 'yesterday; rm -rf /'}, 'stops_since a duration such as 24h or 7d'),
    ({'stops_items': '[310598, 1 OR 1=1]'}, 'stops_items must be a list of at most 1000 item ids'),
])
def test_bad_options_are_refused_before_anything_runs(lab, tmp_path, extra, message):
    proc, report = run(lab, tmp_path, extra=extra)
    assert proc.returncode != 0 and message in proc.stdout and report is None


def test_the_account_balance_credit_limit_and_last_top_up_come_from_the_database(lab, window):
    _, report, _ = window
    for host in ('bm01', 'bm02'):
        for stop in by_host(report)[host]['stops']:
            rows = host_sql(lab, host, 'SELECT s.id, s.balance, s.creditlimit, '
                                       '(SELECT MAX(p.createdate) FROM payment p WHERE p.subaccount = s.id AND p.status = 4) '
                                       'FROM item i JOIN subaccount s ON s.account = i.account '
                                       'WHERE i.id = %d ORDER BY s.id' % stop['item'])
            shown = [(str(sub['subaccount']), sub['balance'], sub['creditlimit'],
                      (sub['last_topup'] or 'NULL').replace('T', ' ')) for sub in stop['account']['subaccounts']]
            assert shown == [tuple(row) for row in rows], (host, stop['item'])


def test_a_failure_the_log_level_hid_the_amounts_of_is_reported_not_stopped_without_zeros(lab, tmp_path):
    """Runbook 003's failure on bm03 as a server below DEBUG writes it, and no suspend line."""
    (item,), = host_sql(lab, 'bm03', 'SELECT MIN(id) FROM item WHERE status = 2 AND parent IS NULL')
    log = lab.host_path('bm03', 'var/billmaintain.log')
    original, stat = log.read_bytes(), log.stat()
    clock = lab.ssh('bm03', "date '+%Y-%m-%d %H:%M:%S'").stdout.strip()
    when = datetime.strptime(clock, '%Y-%m-%d %H:%M:%S') - timedelta(minutes=30)
    stamp = '%s %2d %s' % (when.strftime('%b'), when.day, when.strftime('%H:%M:%S'))
    # The golden sample as the runbook prints it (indented by its page), without the DEBUG record.
    lines = [line.strip() for line in GOLDEN_MONEY.read_text().splitlines()
             if line.strip().startswith('May  5') and ' DEBUG ' not in line]
    failure = ''.join(line.replace('May  5 00:19:17', stamp).replace('310598', item) + '\n' for line in lines)
    try:
        log.write_bytes(original + failure.encode())
        proc, report = run(lab, tmp_path, extra={'stops_items': '[%s]' % item, 'stops_since': '2h'}, limit='bm03')
        assert proc.returncode == 0, output(proc)
    finally:
        log.write_bytes(original)
        os.utime(log, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    [stop] = by_host(report)['bm03']['stops']
    assert (stop['item'], stop['reason'], stop['stopped'], stop['status_name']) == (
        int(item), 'not_enough_money', False, 'active')
    assert [stop[key] for key in ('amount', 'balance', 'deficit', 'currency', 'credit_limit')] == [None] * 5
    assert stop['amounts_logged'] is False and 'debug_logs=billmaintain' in stop['amounts_note']
    assert 'at least' not in stop['fixes'][2] and 'credit limit is' in stop['fixes'][2]
    assert 'not stopped' in stop['summary'] and 'not logged' in stop['summary']
    assert 'could not be billed' in proc.stdout and 'None' not in stop['summary']
    markdown = sorted(tmp_path.glob('*/service_stops.md'))[-1].read_text()
    assert '(not stopped)' in markdown and 'The amounts were not logged' in markdown
