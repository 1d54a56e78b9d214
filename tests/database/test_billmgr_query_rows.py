# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""billmgr_query against a real MariaDB holding the lab's schema and seed rows: what every named
query returns, on each of the lab's schema variants."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import Runner, local_run_command
from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import MysqlClient
from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import QUERIES, plan
from ansible_collections.billmgr.ops.plugins.module_utils._database.querybatch import Schema, batch_sql, outcome
from ansible_collections.billmgr.ops.plugins.modules import billmgr_query

from billmgr_lab import dbseed, mariadb, scenario

# Quotes, backslash, '#' and spaces: what an option file must carry through unharmed.
DB_PASSWORD = 'bm"Pa\'ss\\w#rd with spaces'
ALL_QUERIES = list(QUERIES)


def args(root, **extra):
    return dict({'mgr_root': root.path}, **extra)


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
    fake_mgr_root.write_db_conf(seeded.server.socket, seeded.db.user, seeded.db.password, seeded.db.name)
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
    fake_mgr_root.write_db_conf(variants.server.socket, 'bm_' + variant, DB_PASSWORD, 'billmgr_' + variant)
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
