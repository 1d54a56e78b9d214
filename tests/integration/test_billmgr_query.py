"""billmgr.ops.billmgr_query over SSH against the lab: the seeded rows of bm01, read-only.

The module's answers are checked against plain SELECTs run from the controller over the host's
own MariaDB socket, as root, so the check does not go through any code of the collection.
"""

import re
from pathlib import Path

import pytest

from billmgr_lab import mariadb

HOST = 'bm01'
QUERY = 'billmgr.ops.billmgr_query'


def host_sql(lab, host, text):
    """TEXT run on HOST's database from the controller; rows as lists of strings (NULL as 'NULL')."""
    info = lab.hosts[host]
    shared = lab.state.get('shared_mysql')
    if shared:
        server = mariadb.MariaDBServer(Path(shared['basedir']))
    else:
        hostdir = Path(info['hostdir'])
        server = mariadb.MariaDBServer(hostdir / 'mysql', socket=hostdir / 'mysqld-run' / 'mysqld.sock')
    return [line.split('\t') for line in server.sql(text, info['db_name']).splitlines()]


def db_password(lab, host):
    text = lab.host_path(host, 'etc/billmgr.conf.d/db.conf').read_text()
    return re.search(r'^DBPassword[ \t]+(.*?)\s*$', text, re.M).group(1)


def run_query(lab, host, args, **kwargs):
    results, proc = lab.module(host, QUERY, args, verbosity=3, **kwargs)
    assert host in results, proc.stdout + proc.stderr
    return results[host], proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def chosen(lab):
    """Ids on bm01 that make every query answer with something."""
    (license_item, lickey), = host_sql(lab, HOST, "SELECT item, value FROM itemparam WHERE intname = 'lickey' "
                                                  "ORDER BY item LIMIT 1")
    referred = host_sql(lab, HOST, 'SELECT account FROM account2project WHERE partner IS NOT NULL '
                                   'ORDER BY account LIMIT 1') or host_sql(lab, HOST, 'SELECT MIN(account) FROM account2project')
    items = [int(row[0]) for row in host_sql(lab, HOST, 'SELECT id FROM item ORDER BY id LIMIT 3')]
    return {'item': int(license_item), 'lickey': lickey, 'account': int(referred[0][0]), 'items': items}


@pytest.fixture(scope='module')
def answered(lab, chosen):
    """One run of every named query on bm01, at -vvv: (result, everything Ansible printed)."""
    return run_query(lab, HOST, {
        'queries': ['referral', 'item_processing_module', 'item_params', 'active_providers', 'item_provider',
                    'promised_payments', 'credit_limits', 'stuck_payments', 'itemevent_backlog',
                    {'name': 'items', 'ids': chosen['items'] + [999999999]}],
        'item': chosen['item'], 'account': chosen['account'],
    })


def nullable_int(text):
    return None if text == 'NULL' else int(text)


def test_every_query_answers_without_change(answered):
    result, output = answered
    assert not result.get('failed'), output
    assert result['changed'] is False and result['errors'] == {}
    assert result['db']['user'] and result['db']['name'] and 'password' not in result['db']


def test_referral_and_item_lookups(lab, answered, chosen):
    rows = answered[0]['rows']
    expected = host_sql(lab, HOST, 'SELECT account, project, partner, referral FROM account2project '
                                   'WHERE account = %d ORDER BY project' % chosen['account'])
    assert [(r['account'], r['project'], r['partner'], r['referral']) for r in rows['referral']] == \
        [tuple(nullable_int(value) for value in row) for row in expected]

    (module_id, module_name), = host_sql(lab, HOST, 'SELECT i.processingmodule, m.module FROM item i, processingmodule m '
                                                    'WHERE m.id = i.processingmodule AND i.id = %d' % chosen['item'])
    (got,) = rows['item_processing_module']
    assert (got['item'], got['processingmodule'], got['module']) == (chosen['item'], int(module_id), module_name)

    (plan, project), = host_sql(lab, HOST, 'SELECT p.id, p.project FROM item i, pricelist p '
                                           'WHERE p.id = i.pricelist AND i.id = %d' % chosen['item'])
    (got,) = rows['item_provider']
    assert (got['pricelist'], got['project']) == (int(plan), int(project))


def test_item_params_mask_the_license_key(lab, answered, chosen):
    rows = answered[0]['rows']['item_params']
    expected = host_sql(lab, HOST, 'SELECT intname, value FROM itemparam WHERE item = %d ORDER BY intname, value'
                        % chosen['item'])
    assert [(r['intname'], r['value']) for r in rows] == \
        [(name, '********' if name == 'lickey' else value) for name, value in expected]
    assert any(r['intname'] == 'lickey' and r['value'] == '********' for r in rows)


def test_money_and_backlog_queries(lab, answered):
    rows = answered[0]['rows']
    assert [r['id'] for r in rows['active_providers']] == \
        [int(i) for (i,) in host_sql(lab, HOST, "SELECT id FROM project WHERE active = 'on' ORDER BY id")]
    assert [(r['id'], r['item'], r['amount']) for r in rows['promised_payments']] == \
        [(int(i), int(item), amount) for i, item, amount in
         host_sql(lab, HOST, 'SELECT id, item, amount FROM promisepayment ORDER BY id')]
    assert len(rows['promised_payments']) == 3
    assert [(r['account'], r['subaccount'], r['creditlimit']) for r in rows['credit_limits']] == \
        [(int(a), int(s), limit) for a, s, limit in
         host_sql(lab, HOST, 'SELECT account, id, creditlimit FROM subaccount WHERE creditlimit > 0 ORDER BY account, id')]
    assert rows['credit_limits']
    # bm01 is the healthy host: nothing hangs in status 2.
    assert rows['stuck_payments'] == [] and host_sql(lab, HOST, 'SELECT COUNT(*) FROM payment WHERE status = 2') == [['0']]
    (backlog,) = rows['itemevent_backlog']
    assert backlog['count'] == int(host_sql(lab, HOST, 'SELECT COUNT(*) FROM itemevent')[0][0])


def test_items_by_id(lab, answered, chosen):
    rows = answered[0]['rows']['items']
    expected = host_sql(lab, HOST, 'SELECT id, status, expiredate FROM item WHERE id IN (%s) ORDER BY id'
                        % ', '.join(str(i) for i in chosen['items']))
    assert [(r['id'], r['status'], r['expiredate']) for r in rows] == \
        [(int(i), int(status), None if expiredate == 'NULL' else expiredate) for i, status, expiredate in expected]


def test_no_secret_in_vvv_output(lab, answered, chosen):
    _result, output = answered
    assert chosen['lickey'] not in output
    assert db_password(lab, HOST) not in output
    # The rows were printed (the name is there), so the value missing from them means it was masked.
    assert '"lickey"' in output and '"********"' in output


REVEAL_PLAY = """
- hosts: bm01
  gather_facts: false
  tasks:
    - name: Read the license key
      billmgr.ops.billmgr_query:
        queries: [item_params]
        item: "{{ item_id }}"
        reveal_secrets: true
      no_log: true
      register: revealed
    - name: The registered result holds it
      ansible.builtin.assert:
        that: (revealed.rows.item_params | selectattr('intname', 'eq', 'lickey') | first).value | length == 32
        quiet: true
    - name: Without no_log on the task the module refuses
      billmgr.ops.billmgr_query:
        queries: [item_params]
        item: "{{ item_id }}"
        reveal_secrets: true
      register: refused
      ignore_errors: true
    - name: It refused
      ansible.builtin.assert:
        that: refused is failed and 'no_log' in refused.msg
        quiet: true
"""


def test_reveal_reaches_the_play_and_never_the_output(lab, chosen, tmp_path):
    playbook = tmp_path / 'reveal.yml'
    playbook.write_text(REVEAL_PLAY)
    proc = lab.playbook(playbook, extra_vars={'item_id': chosen['item']}, verbosity=3)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert chosen['lickey'] not in output
    assert db_password(lab, HOST) not in output


@pytest.mark.parametrize('args, option', [
    ({'queries': [{'name': 'items', 'ids': ['1; DROP TABLE item']}]}, 'queries[0].ids[0]'),
    ({'queries': ['item_params'], 'item': '1; DROP TABLE item'}, 'item'),
    ({'queries': [{'name': 'referral', 'account': "1' OR '1'='1"}]}, 'queries[0].account'),
])
def test_bad_ids_are_refused(lab, args, option):
    before = host_sql(lab, HOST, 'SELECT COUNT(*) FROM item')
    result, _output = run_query(lab, HOST, args)
    assert result.get('failed')
    assert result['msg'].startswith('%s must be a plain positive integer' % option)
    assert host_sql(lab, HOST, 'SELECT COUNT(*) FROM item') == before


def test_unreachable_database_says_what_to_check(lab):
    result, output = run_query(lab, HOST, {'queries': ['active_providers'], 'db_host': '127.0.0.1:1'})
    assert result.get('failed')
    assert result['msg'].startswith('the billmgr database did not answer at 127.0.0.1:1: ')
    assert 'check DBHost in /usr/local/mgr5/etc/billmgr.conf.d/*.conf or that mariadb is running' in result['msg']
    assert db_password(lab, HOST) not in output
