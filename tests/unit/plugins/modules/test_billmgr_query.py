# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""billmgr_query against a fake client: what is run, what is refused, what is said.

What every named query returns from a real MariaDB is in tests/database/test_billmgr_query_rows.py."""

from __future__ import annotations

import json
import os

import pytest

from ansible.module_utils import basic
from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import QUERIES
from ansible_collections.billmgr.ops.plugins.modules import billmgr_query

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


@pytest.fixture
def fake(fake_mgr_root, monkeypatch):
    fake_mgr_root.write_db_conf('db.example.net', 'billmgr', DB_PASSWORD, 'billmgr')
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


def test_reveal_without_no_log_on_the_task_is_refused_before_connecting(run_module, fake):
    result = run_module(billmgr_query, args(fake.root, queries=['item_params'], item=5, reveal_secrets=True))
    assert result['failed'] and 'set no_log: true on the task' in result['msg']
    assert fake.calls() == []
