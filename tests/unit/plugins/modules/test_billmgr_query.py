# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""billmgr_query against a fake client (what is run, what is refused) and a real MariaDB holding
the lab's schema and seed rows (what every named query returns)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from ansible.module_utils import basic
from ansible_collections.billmgr.ops.plugins.module_utils._mgrctl import Runner, local_run_command
from ansible_collections.billmgr.ops.plugins.module_utils._mysqlcli import MysqlClient
from ansible_collections.billmgr.ops.plugins.module_utils._queries import QUERIES, plan
from ansible_collections.billmgr.ops.plugins.module_utils._querybatch import Schema, batch_sql, outcome
from ansible_collections.billmgr.ops.plugins.modules import billmgr_query

from billmgr_lab import dbseed, mariadb, scenario

# Quotes, backslash, '#' and spaces: what an option file must carry through unharmed.
DB_PASSWORD = 'bm"Pa\'ss\\w#rd with spaces'
ALL_QUERIES = ['referral', 'item_processing_module', 'item_params', 'active_providers', 'item_provider',
               'promised_payments', 'credit_limits', 'stuck_payments', 'payments_in_pay', 'itemevent_backlog',
               'items', 'reselling_modules', 'item_accounts']
# Every column a named query may use: what the fake server says exists.
ALL_COLUMNS = sorted(set(name for query in QUERIES.values() for name in query.required + tuple(query.optional_names())
                         if '.' in name) | {'promisepayment.id', 'itemevent.id'})

# A stand-in client: records each argv, answers by the first rule whose text is in the SQL. A rule
# with `columns` answers as a server would: the schema result set, then an empty result set for
# each query, stopping at query `stop_at` with the client's "ERROR ... at line N".
FAKE_CLIENT = r'''
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, 'calls.log'), 'a') as f:
    f.write(json.dumps(sys.argv[1:]) + '\n')
with open(os.path.join(here, 'rules.json')) as f:
    rules = json.load(f)
sql = [arg for arg in sys.argv if arg.startswith('--execute=')][0][len('--execute='):]
head = '<?xml version="1.0"?>\n<resultset statement="%s" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
for rule in rules:
    if rule['match'] not in sql:
        continue
    if 'columns' in rule:
        out = [head % 'SELECT table_name AS tbl FROM information_schema.columns']
        for name in rule['columns']:
            table, column = name.split('.')
            out.append('<row><field name="tbl">%s</field><field name="col">%s</field>'
                       '<field name="type">int</field></row>' % (table, column))
        out.append('</resultset>')
        lines = sql.splitlines()
        for index in range(sql.count('EXECUTE q_')):
            if index == rule.get('stop_at'):
                number = [n for n, line in enumerate(lines, 1) if 'EXECUTE q_%d;' % index in line][0]
                sys.stdout.write('\n'.join(out) + '\n')
                sys.stderr.write(rule['stderr'] % number)
                sys.exit(1)
            out.append((head % ('EXECUTE q_%d' % index)) + '</resultset>')
        sys.stdout.write('\n'.join(out) + '\n')
        sys.exit(0)
    sys.stdout.write(rule.get('stdout', ''))
    sys.stderr.write(rule.get('stderr', ''))
    sys.exit(rule.get('rc', 0))
'''


# ---- a fake client ----------------------------------------------------------------------------

class FakeClient:
    def __init__(self, root, monkeypatch):
        self.root = root
        os.makedirs(root.join('fakebin'), exist_ok=True)
        self.path = root.install_tool('fakebin/mysql', FAKE_CLIENT)
        self.answer([{'match': '', 'columns': ALL_COLUMNS}])
        monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path',
                            lambda module, name, *args, **kwargs: self.path if name == 'mariadb' else None)

    def answer(self, rules):
        with open(self.root.join('fakebin', 'rules.json'), 'w') as handle:
            json.dump(rules, handle)

    def calls(self):
        path = self.root.join('fakebin', 'calls.log')
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return [json.loads(line) for line in handle]


def write_db_conf(root, host, user, password, name):
    os.makedirs(root.join('etc', 'billmgr.conf.d'), exist_ok=True)
    with open(root.join('etc', 'billmgr.conf'), 'w') as handle:
        handle.write('# the database is in billmgr.conf.d/db.conf\nLang en\nDBHost wrong-if-read-last\n')
    with open(root.join('etc', 'billmgr.conf.d', 'db.conf'), 'w') as handle:
        handle.write('DBHost %s\nDBUser %s\nDBPassword %s\nDBName %s\n' % (host, user, password, name))


@pytest.fixture
def fake(fake_mgr_root, monkeypatch):
    write_db_conf(fake_mgr_root, 'db.example.net', 'billmgr', DB_PASSWORD, 'billmgr')
    return FakeClient(fake_mgr_root, monkeypatch)


def args(root, **extra):
    return dict({'mgr_root': root.path}, **extra)


@pytest.mark.parametrize('bad', [
    {'queries': [{'name': 'item_params', 'item': '1; DROP TABLE item'}]},
    {'queries': ['item_params'], 'item': '1; DROP TABLE item'},
    {'queries': [{'name': 'items', 'ids': [1, '2; DROP TABLE item']}]},
    {'queries': ['active_providers', {'name': 'stuck_payments', 'hours': '1; DROP TABLE payment'}]},
])
def test_bad_ids_are_refused_before_any_database_call(run_module, fake, bad):
    result = run_module(billmgr_query, args(fake.root, **bad))
    assert result['failed']
    assert 'must be' in result['msg'] and ('item' in result['msg'] or 'ids' in result['msg'] or 'hours' in result['msg'])
    assert fake.calls() == []
    assert result['rows'] == {}


def test_the_password_never_reaches_argv_or_the_result(run_module, fake):
    result = run_module(billmgr_query, args(fake.root, queries=ALL_QUERIES, item=5, account=3, ids=[1, 2]))
    assert not result.get('failed'), result
    calls = fake.calls()
    assert len(calls) == 1, 'one client call answers every query'
    for argv in calls:
        assert not any(DB_PASSWORD in arg or 'Pa\'ss' in arg for arg in argv)
        assert argv[0].startswith('--defaults-extra-file=')
        assert not os.path.exists(argv[0].split('=', 1)[1])
    assert DB_PASSWORD not in json.dumps(result)
    assert result['db'] == {'host': 'db.example.net', 'name': 'billmgr', 'user': 'billmgr',
                            'config_files': [fake.root.join('etc', 'billmgr.conf'),
                                             fake.root.join('etc', 'billmgr.conf.d', 'db.conf')]}
    assert set(result['rows']) == set(ALL_QUERIES) == set(result['sql'])
    assert result['changed'] is False and result['errors'] == {} and result['unsupported'] == {}


def test_connection_failure_says_where_and_what_to_check_with_the_password_masked(run_module, fake):
    fake.answer([{'match': '', 'rc': 1, 'stderr': "ERROR 2005 (HY000): Unknown server host 'db.example.net' "
                                                  "(-2) [client had %s]\n" % DB_PASSWORD}])
    result = run_module(billmgr_query, args(fake.root, queries=['active_providers', 'credit_limits']))
    assert result['failed']
    assert result['msg'].startswith('the billmgr database did not answer at db.example.net: ERROR 2005')
    assert 'check DBHost in %s/*.conf or that mariadb is running' % fake.root.join('etc', 'billmgr.conf.d') \
        in result['msg']
    assert DB_PASSWORD not in json.dumps(result)
    assert len(fake.calls()) == 1, 'an unreachable server is not asked again for every query'


def test_a_refused_query_keeps_the_others(run_module, fake):
    fake.answer([{'match': "'itemevent ie'", 'columns': ALL_COLUMNS, 'stop_at': 1,
                  'stderr': "ERROR 1146 (42S02) at line %d: Table 'billmgr.itemevent' doesn't exist\n"},
                 {'match': '', 'columns': ALL_COLUMNS}])
    result = run_module(billmgr_query, args(fake.root, queries=['credit_limits', 'itemevent_backlog',
                                                                'active_providers']))
    assert result['failed'] and '1 of 3 queries' in result['msg']
    assert result['rows'] == {'credit_limits': [], 'active_providers': []}
    assert "itemevent' doesn't exist" in result['errors']['itemevent_backlog']
    # The query after the failing one was sent again, alone with the others that had not answered.
    assert len(fake.calls()) == 2 and "'itemevent ie'" not in fake.calls()[1][-1]


def test_a_query_the_schema_cannot_serve_is_unsupported_and_the_others_answer(run_module, fake):
    fake.answer([{'match': '', 'columns': [name for name in ALL_COLUMNS if not name.startswith('promisepayment.')
                                           and name != 'subaccount.creditlimit' and name != 'payment.amount']}])
    result = run_module(billmgr_query, args(fake.root, queries=['promised_payments', 'credit_limits',
                                                                'stuck_payments', 'active_providers']))
    assert not result.get('failed'), result
    assert result['unsupported'] == {'promised_payments': ['promisepayment'],
                                     'credit_limits': ['subaccount.creditlimit']}
    assert set(result['rows']) == {'stuck_payments', 'active_providers'}
    assert 'payment.amount' in result['left_out']['stuck_payments']
    assert any('promised_payments was not run: this database has no promisepayment' in w for w in result['warnings'])


@pytest.mark.parametrize('stderr, said', [
    ("ERROR 1044 (42000): Access denied for user 'billmgr'@'localhost' to database 'billmgr'\n",
     'let user billmgr log in but not use the database billmgr'),
    ("ERROR 1049 (42000): Unknown database 'billmgr'\n", 'has no database billmgr'),
    ("ERROR 1045 (28000): Access denied for user 'billmgr'@'localhost' (using password: YES)\n",
     'refused user billmgr'),
])
def test_access_to_the_database_is_told_apart_from_a_refused_login(run_module, fake, stderr, said):
    fake.answer([{'match': '', 'rc': 1, 'stderr': stderr}])
    result = run_module(billmgr_query, args(fake.root, queries=['active_providers']))
    assert result['failed'] and said in result['msg']
    if '1045' not in stderr:
        assert 'DBPassword' not in result['msg']


def test_overrides_beat_the_config(run_module, fake):
    result = run_module(billmgr_query, args(fake.root, queries=['active_providers'], db_host='other:3307',
                                            db_user='ro', db_password='Given-PW-1', db_name='bm2'))
    assert result['db']['host'] == 'other:3307' and result['db']['user'] == 'ro' and result['db']['name'] == 'bm2'
    assert '--database=bm2' in fake.calls()[0]
    assert 'Given-PW-1' not in json.dumps(result)


def test_no_client_on_the_host(run_module, fake_mgr_root, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda *a, **k: None)
    result = run_module(billmgr_query, args(fake_mgr_root, queries=['active_providers']))
    assert result['failed'] and 'mariadb or mysql' in result['msg'] and 'mariadb-client' in result['msg']


def test_no_config_warns_and_uses_the_defaults(run_module, fake_mgr_root, monkeypatch):
    client = FakeClient(fake_mgr_root, monkeypatch)
    result = run_module(billmgr_query, args(fake_mgr_root, queries=['active_providers']))
    assert result['db']['user'] == 'root' and result['db']['config_files'] == []
    assert any('connecting with defaults' in warning for warning in result['warnings'])
    assert '--database=billmgr' in client.calls()[0]


def test_documentation_renders_and_matches_argspec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.billmgr_query')
    assert_docs_match_argspec(billmgr_query, doc['doc']['options'])
    assert set(doc['return']) == {'rows', 'sql', 'errors', 'unsupported', 'left_out', 'db'}


# ---- a real MariaDB with the lab's rows -------------------------------------------------------

@pytest.fixture(scope='module')
def seeded(tmp_path_factory):
    """One server for this file: the schema and seed of a host with 3 stuck payments and 5 events."""
    server = mariadb.MariaDBServer(tmp_path_factory.mktemp('mariadb'))
    server.install()
    server.start()
    try:
        fleet = scenario.parse_scenario({'hosts': {'bm01': {'itemevent_backlog': 5,
                                                            'faults': {'payments_stuck': 3}}}})
        now = datetime.now().replace(microsecond=0)
        seed = dbseed.build_seed(fleet.host('bm01'), fleet, now)
        db = SimpleNamespace(name='billmgr', user='bmtest', password=DB_PASSWORD)
        mariadb.create_host_database(server.sql, db, dbseed.schema_sql(), dbseed.render_inserts(seed.tables))
        yield SimpleNamespace(server=server, db=db, seed=seed, now=now)
    finally:
        server.stop()


@pytest.fixture
def real_root(fake_mgr_root, seeded):
    write_db_conf(fake_mgr_root, seeded.server.socket, seeded.db.user, seeded.db.password, seeded.db.name)
    return fake_mgr_root


def rows_of(seed, table):
    return seed.tables[table]


def money(value):
    return '%.2f' % Decimal(value)


def pick(seed):
    """Ids the queries are asked about, chosen from the seed so each answer has content."""
    items = rows_of(seed, 'item')
    lickeys = [row for row in rows_of(seed, 'itemparam') if row['intname'] == 'lickey']
    referred = [row for row in rows_of(seed, 'account2project') if row['partner']]
    return SimpleNamespace(license_item=lickeys[0]['item'], lickey=lickeys[0]['value'],
                           account=(referred or rows_of(seed, 'account2project'))[0]['account'],
                           items=[items[0]['id'], items[3]['id'], items[-1]['id']])


def test_every_named_query_returns_the_seeded_rows(run_module, real_root, seeded):
    seed, chosen = seeded.seed, pick(seeded.seed)
    result = run_module(billmgr_query, args(real_root, queries=[
        {'name': 'referral', 'account': chosen.account},
        'item_processing_module', 'item_params', 'item_provider', 'active_providers', 'promised_payments',
        'credit_limits', 'stuck_payments', 'itemevent_backlog',
        {'name': 'items', 'ids': chosen.items + [999999999]},
    ], item=chosen.license_item))
    assert not result.get('failed'), result
    rows = result['rows']
    accounts = dict((row['id'], row) for row in rows_of(seed, 'account'))
    items = dict((row['id'], row) for row in rows_of(seed, 'item'))
    plans = dict((row['id'], row) for row in rows_of(seed, 'pricelist'))
    projects = dict((row['id'], row) for row in rows_of(seed, 'project'))
    modules = dict((row['id'], row) for row in rows_of(seed, 'processingmodule'))

    # SELECT * as the runbook has it: the table's row as it is, typed from the schema.
    assert rows['referral'] == [row for row in rows_of(seed, 'account2project') if row['account'] == chosen.account]

    item = items[chosen.license_item]
    module_row = modules[item['processingmodule']]
    assert rows['item_processing_module'] == [{
        'item': item['id'], 'processingmodule': item['processingmodule'], 'processingmodule_name': module_row['name'],
        'module': module_row['module'], 'active': module_row['active']}]

    assert set(rows['item_params'][0]) == {'id', 'item', 'intname', 'value'}
    expected_params = sorted((row['intname'], '********' if row['intname'] == 'lickey' else row['value'])
                             for row in rows_of(seed, 'itemparam') if row['item'] == chosen.license_item)
    assert [(row['intname'], row['value']) for row in rows['item_params']] == expected_params
    assert ('lickey', '********') in expected_params

    plan_row = plans[item['pricelist']]
    assert rows['item_provider'] == [{
        'item': item['id'], 'pricelist': plan_row['id'], 'pricelist_intname': plan_row['intname'],
        'project': plan_row['project'], 'project_name': projects[plan_row['project']]['name'],
        'project_active': projects[plan_row['project']]['active']}]

    assert rows['active_providers'] == [{'id': row['id'], 'name': row['name'], 'active': 'on'}
                                        for row in rows_of(seed, 'project') if row['active'] == 'on']

    assert rows['promised_payments'] == [
        {'id': row['id'], 'item': row['item'], 'account': row['account'], 'amount': money(row['amount']),
         'createdate': row['createdate'].isoformat(), 'enddate': row['enddate'].isoformat()}
        for row in rows_of(seed, 'promisepayment')]
    assert len(rows['promised_payments']) == 3

    assert rows['credit_limits'] == [
        {'account': row['account'], 'account_name': accounts[row['account']]['name'], 'subaccount': row['id'],
         'currency': row['currency'], 'balance': money(row['balance']), 'creditlimit': money(row['creditlimit'])}
        for row in sorted(rows_of(seed, 'subaccount'), key=lambda r: (r['account'], r['id']))
        if row['creditlimit'] > 0]

    stuck = sorted((row for row in rows_of(seed, 'payment') if row['status'] == dbseed.PAY_IN_PAY),
                   key=lambda r: (r['createdate'], r['id']))
    assert [row['id'] for row in rows['stuck_payments']] == [row['id'] for row in stuck] and len(stuck) == 3
    for got, want in zip(rows['stuck_payments'], stuck):
        assert got['amount'] == money(want['amount']) and got['createdate'] == want['createdate'].isoformat()
        assert got['paymethod_module'] == 'pmpaymaster' and got['account'] == want['subaccount'] - 2000
        # Seeded at least 7 hours before the clock the module measures from.
        assert got['age_seconds'] >= dbseed.STUCK_MIN_AGE.total_seconds()

    events = rows_of(seed, 'itemevent')
    (backlog,) = rows['itemevent_backlog']
    assert backlog['count'] == len(events) == 5
    assert backlog['oldest'] == min(row['createdate'] for row in events).isoformat()
    assert backlog['oldest_age_seconds'] >= (seeded.now - min(row['createdate'] for row in events)).total_seconds()

    assert rows['items'] == [{'id': items[i]['id'], 'status': items[i]['status'],
                              'expiredate': items[i]['expiredate'].isoformat() if items[i]['expiredate'] else None,
                              'remoteid': items[i]['remoteid']} for i in sorted(chosen.items)]

    text = json.dumps(result)
    assert chosen.lickey not in text and DB_PASSWORD not in text


def test_stuck_payments_hours_moves_the_cut(run_module, real_root, seeded):
    oldest = min(row['createdate'] for row in rows_of(seeded.seed, 'payment') if row['status'] == dbseed.PAY_IN_PAY)
    beyond = int((datetime.now() - oldest) / timedelta(hours=1)) + 2
    result = run_module(billmgr_query, args(real_root, queries=[{'name': 'stuck_payments', 'hours': beyond},
                                                                {'name': 'stuck_payments', 'hours': 0, 'label': 'all'}]))
    assert result['rows'] == {'stuck_payments': [], 'all': result['rows']['all']}
    assert len(result['rows']['all']) == 3


def test_reveal_returns_the_key_to_a_no_log_task(run_module, real_root, seeded):
    chosen = pick(seeded.seed)
    result = run_module(billmgr_query, args(real_root, queries=['item_params'], item=chosen.license_item,
                                            reveal_secrets=True, _ansible_no_log=True))
    assert ('lickey', chosen.lickey) in [(row['intname'], row['value']) for row in result['rows']['item_params']]


def test_reveal_without_no_log_on_the_task_is_refused_before_connecting(run_module, fake):
    result = run_module(billmgr_query, args(fake.root, queries=['item_params'], item=5, reveal_secrets=True))
    assert result['failed'] and 'set no_log: true on the task' in result['msg']
    assert fake.calls() == []


def test_check_mode_answers_the_same(run_module, real_root):
    normal = run_module(billmgr_query, args(real_root, queries=['credit_limits']))
    checked = run_module(billmgr_query, args(real_root, queries=['credit_limits']), check_mode=True)
    assert checked['rows'] == normal['rows'] and checked['changed'] is False


def test_wrong_password_is_refused_and_masked(run_module, real_root):
    result = run_module(billmgr_query, args(real_root, queries=['active_providers'], db_password='Wr0ng-PW-x"#'))
    assert result['failed']
    assert 'refused user bmtest' in result['msg'] and 'check DBUser and DBPassword' in result['msg']
    assert 'Wr0ng-PW-x' not in json.dumps(result)


def test_a_server_that_is_not_there(run_module, real_root, tmp_path):
    socket = str(tmp_path / 'no.sock')
    result = run_module(billmgr_query, args(real_root, queries=['active_providers'], db_host=socket))
    assert result['failed']
    assert result['msg'].startswith('the billmgr database did not answer at %s: ' % socket)
    assert 'or that mariadb is running' in result['msg']
    assert DB_PASSWORD not in json.dumps(result)


def test_sql_cannot_reach_the_database_through_an_id(run_module, real_root, seeded):
    before = seeded.server.sql('SELECT COUNT(*) FROM item', 'billmgr')
    result = run_module(billmgr_query, args(real_root, queries=['items'], ids=['1); DELETE FROM item; --']))
    assert result['failed'] and "ids[0] must be a plain positive integer" in result['msg']
    assert seeded.server.sql('SELECT COUNT(*) FROM item', 'billmgr') == before


def test_item_accounts_gives_balance_credit_limit_and_last_paid_top_up(run_module, real_root, seeded):
    seed = seeded.seed
    items = rows_of(seed, 'item')
    # Items of accounts with and without paid payments, and one id that is not there.
    paid_subaccounts = set(row['subaccount'] for row in rows_of(seed, 'payment') if row['status'] == dbseed.PAY_PAID)
    subaccounts = rows_of(seed, 'subaccount')
    owners = dict((row['id'], row['account']) for row in subaccounts)
    with_paid = [row for row in items if any(owners[sub] == row['account'] for sub in paid_subaccounts)]
    without = [row for row in items if not any(owners[sub] == row['account'] for sub in paid_subaccounts)]
    chosen = sorted(set(row['id'] for row in (with_paid[:2] + without[:1])))
    result = run_module(billmgr_query, args(real_root, queries=[{'name': 'item_accounts', 'ids': chosen + [999999999]}]))
    assert not result.get('failed'), result
    accounts = dict((row['id'], row) for row in rows_of(seed, 'account'))
    by_id = dict((row['id'], row) for row in items)

    def last_paid(subaccount):
        paid = [row for row in rows_of(seed, 'payment')
                if row['subaccount'] == subaccount and row['status'] == dbseed.PAY_PAID]
        return max(paid, key=lambda r: (r['createdate'], r['id'])) if paid else None

    want = []
    for item in chosen:
        account = by_id[item]['account']
        for sub in sorted((row for row in subaccounts if row['account'] == account), key=lambda r: r['id']):
            top_up = last_paid(sub['id'])
            want.append({'item': item, 'account': account, 'account_name': accounts[account]['name'],
                         'subaccount': sub['id'], 'currency': sub['currency'], 'balance': money(sub['balance']),
                         'creditlimit': money(sub['creditlimit']),
                         'last_topup': top_up['createdate'].isoformat() if top_up else None,
                         'last_topup_amount': money(top_up['amount']) if top_up else None})
    assert result['rows']['item_accounts'] == want
    assert any(row['last_topup'] for row in want)


# ---- the lab's three schema variants ------------------------------------------------------------

# What each variant lacks that a query cannot do without (see the README's table of needs).
UNSUPPORTED = {
    'lab': {},
    'public': {'active_providers': ['project.active'], 'promised_payments': ['promisepayment'],
               'credit_limits': ['subaccount'], 'itemevent_backlog': ['itemevent'], 'item_accounts': ['item.account']},
    'minimal': {'stuck_payments': ['payment'], 'payments_in_pay': ['payment'], 'reselling_modules': ['processingmodule'],
                'item_accounts': ['item.account']},
}


@pytest.fixture(scope='module')
def variants(tmp_path_factory):
    """One server, one database per schema variant, each with the same reseller's seed rows."""
    with mariadb.running_server(tmp_path_factory.mktemp('variants')) as server:
        fleet = scenario.parse_scenario({'hosts': {
            'bm01': {'role': 'provider'},
            'bm02': {'role': 'reseller', 'provider': 'bm01', 'payments_abandoned': 1, 'faults': {'payments_stuck': 2}}}})
        now = datetime.now().replace(microsecond=0)
        seed = dbseed.build_seed(fleet.host('bm02'), fleet, now)
        for variant in dbseed.SCHEMA_NAMES:
            db = SimpleNamespace(name='billmgr_' + variant, user='bm_' + variant, password=DB_PASSWORD)
            mariadb.create_host_database(server.sql, db, dbseed.schema_sql(variant),
                                         dbseed.render_inserts(seed.tables, variant=variant))
        yield SimpleNamespace(server=server, seed=seed)


@pytest.mark.parametrize('variant', sorted(UNSUPPORTED))
def test_every_query_answers_or_names_what_the_schema_lacks(run_module, fake_mgr_root, variants, variant):
    write_db_conf(fake_mgr_root, variants.server.socket, 'bm_' + variant, DB_PASSWORD, 'billmgr_' + variant)
    seed = variants.seed
    lic_item = [row for row in seed.tables['itemparam'] if row['intname'] == 'lickey'][0]['item']
    result = run_module(billmgr_query, args(fake_mgr_root, queries=ALL_QUERIES, item=lic_item, account=1,
                                            ids=[row['id'] for row in seed.tables['item'][:3]]))
    assert not result.get('failed'), result
    assert result['errors'] == {}
    assert result['unsupported'] == UNSUPPORTED[variant]
    assert set(result['rows']) == set(ALL_QUERIES) - set(UNSUPPORTED[variant])
    text = json.dumps(result)
    assert dbseed.CRYPTED_MARK not in text and DB_PASSWORD not in text
    rows = result['rows']
    if 'payments_in_pay' in rows:
        (online,) = [row for row in rows['payments_in_pay'] if row['paymethod'] == dbseed.ONLINE_PAYMETHOD]
        assert online['count'] == 3 and online['over_hours'] == 3 and online['paymethod_module'] == 'pmpaymaster'
        assert online['oldest_age_seconds'] >= dbseed.STUCK_MIN_AGE.total_seconds()
    if 'reselling_modules' in rows:
        (module,) = rows['reselling_modules']
        assert module['module'] == 'pmbillmgr' and module['items'] > 0
    if variant == 'minimal':
        assert rows['itemevent_backlog'] == [{'count': 4}]
        assert result['left_out']['itemevent_backlog'] == ['itemevent.createdate']
        assert rows['promised_payments'] == [{'id': row['id']} for row in seed.tables['promisepayment']]
    if variant == 'public':
        assert 'payment.amount' in result['left_out']['stuck_payments']
        assert all(row['amount'] is not None for row in rows['stuck_payments']), 'paymethodamount stands in'
        (provider,) = rows['item_provider']
        assert provider['project'] == 1 and 'project_active' not in provider


@pytest.mark.parametrize('variant', sorted(UNSUPPORTED))
def test_the_server_builds_exactly_the_sql_the_module_reports(variants, variant, tmp_path):
    # The server assembles each query from information_schema; the module reports the text it
    # assembles itself from the same answer: both must be the same SQL, on every schema.
    settings = SimpleNamespace(user='bm_' + variant, password=DB_PASSWORD, name='billmgr_' + variant,
                               socket=str(variants.server.socket), host='localhost', port=None, address='')
    client = MysqlClient(Runner(local_run_command), mariadb.CLIENT, settings, tmpdir=str(tmp_path))
    planned = plan(ALL_QUERIES, {'item': 5, 'account': 1, 'ids': [1, 2], 'hours': 3})
    now = datetime(2026, 5, 1, 12, 0, 0)
    sql = batch_sql(planned, now) + '\nSELECT %s;' % ', '.join('@q_%d AS q%d' % (n, n) for n in range(len(planned)))
    resultsets, error = client.batch(sql)
    assert error is None
    schema = Schema(resultsets[0][1])
    built = resultsets[-1][1][0]
    for position, entry in enumerate(planned):
        expected = outcome(entry, schema, now)['sql'] or 'SELECT NULL AS unsupported FROM DUAL WHERE FALSE'
        assert built['q%d' % position] == expected, entry.label
