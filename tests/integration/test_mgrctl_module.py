"""billmgr.ops.mgrctl over SSH against the lab.

Only bm04 (payments_stuck: 3, platform_down) is changed: its platform is started, checkpay settles
the stuck payments, and afterwards the payments are put back in status 2 and the core this test
started is stopped, so the host is as the scenario made it.
"""

import json

import pytest

from test_billmgr_query import host_sql

MGRCTL = 'billmgr.ops.mgrctl'
QUERY = 'billmgr.ops.billmgr_query'
SECRET = 'Integration-S3cret-Param-77'

# Put bm04's platform back down the way the scenario has it: the lab's own state, and the core
# process that mgrctl_restart started in this test stopped with the lab's own helper.
PLATFORM_DOWN_AGAIN = (
    "import sys; sys.path.insert(0, '/usr/local/mgr5/lib/lab'); import labhost; "
    "host = labhost.Host('/usr/local/mgr5'); lock = host.locked(); state = host.state(); "
    "host.stop('core'); state.update(up=False, restart_until=0); host.save_state(state)")


def run(lab, host, module, args, **kwargs):
    results, proc = lab.module(host, module, args, verbosity=3, **kwargs)
    assert host in results, proc.stdout + proc.stderr
    return results[host], proc.stdout + proc.stderr


def stuck_ids(lab, host):
    result, output = run(lab, host, QUERY, {'queries': [{'name': 'stuck_payments', 'hours': 1}]})
    assert not result.get('failed'), output
    return [row['id'] for row in result['rows']['stuck_payments']]


def test_whoami_reads_and_changes_nothing(lab):
    result, output = run(lab, 'bm01', MGRCTL, {'func': 'whoami'})
    assert not result.get('failed'), output
    assert result['changed'] is False and result['read_only'] is True
    assert result['form']['name'] == 'root'


def test_unknown_function_fails_with_the_explained_error(lab):
    result, _output = run(lab, 'bm01', MGRCTL, {'func': 'paymethod.chekpay'})
    assert result.get('failed') and result['changed'] is False and result['refused'] is True
    assert (result['error']['type'], result['error']['object'], result['error']['value']) == \
        ('missed', 'function', 'paymethod.chekpay')
    assert 'has no function paymethod.chekpay' in result['msg'] and 'nothing was changed' in result['msg']


def test_check_mode_asks_the_platform_and_reports_no_change_for_an_unknown_function(lab):
    result, _output = run(lab, 'bm01', MGRCTL, {'func': 'paymethod.chekpay'}, check=True)
    assert result.get('failed') and (result['changed'], result['refused'], result['skipped_call']) == \
        (False, True, False)
    allowed, _output = run(lab, 'bm01', MGRCTL, {'func': 'paymethod.chekpay', 'allow_refusal': True}, check=True)
    assert not allowed.get('failed') and (allowed['changed'], allowed['refused']) == (False, True)


def test_check_mode_does_not_call_a_changing_function(lab):
    log = lab.host_path('bm01', 'var/mgrctl.log')
    # The module asks `mgrctl -i pricelist.sync` (logged as func=funcinfo); the call itself is not made.
    before = log.read_text().count('func=pricelist.sync')
    result, _output = run(lab, 'bm01', MGRCTL, {'func': 'pricelist.sync', 'params': {'elid': 1}}, check=True)
    assert (result['changed'], result['skipped_call'], result['refused']) == (True, True, False)
    assert log.read_text().count('func=pricelist.sync') == before


def test_secret_params_never_show_at_vvv(lab):
    result, output = run(lab, 'bm01', MGRCTL, {'func': 'whoami', 'params': {'passwd': SECRET},
                                               'secret_params': ['passwd']})
    assert not result.get('failed'), output
    assert SECRET not in output and SECRET not in json.dumps(result)
    assert 'passwd=********' in result['cmd']
    # The platform got it: the call logged by the lab's mgrctl carries the value.
    assert SECRET in lab.host_path('bm01', 'var/mgrctl.log').read_text()


@pytest.fixture
def bm04_restored(lab):
    stuck = stuck_ids(lab, 'bm04')
    yield stuck
    if stuck:
        host_sql(lab, 'bm04', 'UPDATE payment SET status = 2, paydate = NULL WHERE id IN (%s);'
                 % ', '.join(str(int(i)) for i in stuck))
    lab.ssh('bm04', "python3 -c \"%s\"" % PLATFORM_DOWN_AGAIN)


def test_checkpay_settles_the_stuck_payments_of_bm04(lab, bm04_restored):
    assert len(bm04_restored) == 3

    down, _output = run(lab, 'bm04', MGRCTL, {'func': 'paymethod.checkpay'})
    assert down.get('failed') and down['error']['type'] == 'connect'
    assert 'billmgr.ops.mgrctl_restart' in down['msg']

    checked, _output = run(lab, 'bm04', MGRCTL, {'func': 'paymethod.checkpay'}, check=True)
    assert checked['changed'] and checked['skipped_call']

    started, output = run(lab, 'bm04', 'billmgr.ops.mgrctl_restart', {'state': 'started', 'timeout': 60})
    assert started['answered'], output

    settled, output = run(lab, 'bm04', MGRCTL, {'func': 'paymethod.checkpay'})
    assert not settled.get('failed'), output
    assert settled['changed'] is True and settled['skipped_call'] is False
    assert stuck_ids(lab, 'bm04') == []
    paid = host_sql(lab, 'bm04', 'SELECT status FROM payment WHERE id IN (%s)' % ', '.join(map(str, bm04_restored)))
    assert paid == [['4']] * 3
