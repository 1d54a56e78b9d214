# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._database.dbconf import DbSettings
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import Runner, local_run_command
from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import (
    MysqlClient,
    MysqlError,
    defaults_file_text,
    find_client,
    parse_xml_results,
    typed_rows,
)

PASSWORD = 'Pa"ss\\w#rd 42'

# Records its argv and the option file as it saw it (mode, text), then answers as told.
FAKE_CLIENT = r'''
import json, os, stat, sys, time
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, 'behaviour.json')) as f:
    conf = json.load(f)
extra = [arg.split('=', 1)[1] for arg in sys.argv[1:] if arg.startswith('--defaults-extra-file=')]
seen = {'argv': sys.argv[1:], 'files': []}
for path in extra:
    seen['files'].append({'path': path, 'mode': stat.S_IMODE(os.stat(path).st_mode), 'text': open(path).read()})
with open(os.path.join(here, 'seen.json'), 'w') as f:
    json.dump(seen, f)
if conf.get('sleep'):
    time.sleep(conf['sleep'])
sys.stdout.write(conf.get('stdout', ''))
sys.stderr.write(conf.get('stderr', ''))
sys.exit(conf.get('rc', 0))
'''

XML_TWO_ROWS = '''<?xml version="1.0"?>

<resultset statement="SELECT ..." xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <row>
\t<field name="id">1</field>
\t<field name="amount">390.00</field>
\t<field name="createdate">2025-03-02 22:14:09</field>
\t<field name="expiredate">2025-04-01</field>
\t<field name="note">NULL</field>
  </row>

  <row>
\t<field name="id">2</field>
\t<field name="amount" xsi:nil="true" />
\t<field name="createdate" xsi:nil="true" />
\t<field name="expiredate">0000-00-00</field>
\t<field name="note">a&lt;b&gt;&amp;&quot;\ttab
newline</field>
  </row>
</resultset>
'''


class FakeClient:
    def __init__(self, directory):
        self.dir = str(directory)
        self.path = os.path.join(self.dir, 'mysql')
        with open(self.path, 'w') as handle:
            handle.write('#!%s\n%s' % (sys.executable, FAKE_CLIENT))
        os.chmod(self.path, 0o755)
        self.answer()

    def answer(self, stdout='', stderr='', rc=0, sleep=0):
        with open(os.path.join(self.dir, 'behaviour.json'), 'w') as handle:
            json.dump({'stdout': stdout, 'stderr': stderr, 'rc': rc, 'sleep': sleep}, handle)

    def seen(self):
        with open(os.path.join(self.dir, 'seen.json')) as handle:
            return json.load(handle)


@pytest.fixture
def fake(tmp_path):
    return FakeClient(tmp_path)


def client_for(fake, tmp_path, timeout=30, host='db.example.net:3307'):
    settings = DbSettings(host, 'billmgr', PASSWORD, 'billmgr')
    tmpdir = tmp_path / 'moduletmp'
    tmpdir.mkdir(exist_ok=True)
    return MysqlClient(Runner(local_run_command), fake.path, settings, timeout=timeout, tmpdir=str(tmpdir))


def test_password_travels_in_a_0600_file_never_in_argv(fake, tmp_path):
    fake.answer(stdout=XML_TWO_ROWS)
    client = client_for(fake, tmp_path)
    client.select('SELECT 1')
    seen = fake.seen()
    assert not any(PASSWORD in arg or 'Pa"ss' in arg for arg in seen['argv'])
    assert not any(PASSWORD in arg for arg in client.last_argv)
    assert seen['argv'][0].startswith('--defaults-extra-file='), 'the client reads it only as the first option'
    (option_file,) = seen['files']
    assert option_file['mode'] == 0o600
    assert 'password="Pa\\"ss\\\\w#rd 42"' in option_file['text']
    assert 'host="db.example.net"' in option_file['text'] and 'port=3307' in option_file['text']
    assert not os.path.exists(option_file['path']), 'the option file must be removed after the call'
    assert os.listdir(str(tmp_path / 'moduletmp')) == []
    assert '--database=billmgr' in seen['argv'] and '--execute=SELECT 1' in seen['argv']


def test_option_file_is_removed_when_the_client_fails(fake, tmp_path):
    fake.answer(stderr='ERROR 1064 (42000): You have an error in your SQL syntax\n', rc=1)
    with pytest.raises(MysqlError):
        client_for(fake, tmp_path).select('SELEC 1')
    assert not os.path.exists(fake.seen()['files'][0]['path'])


def test_socket_host_goes_to_socket_not_host():
    text = defaults_file_text(DbSettings('/run/mysqld/mysqld.sock', 'u', 'p', 'd'))
    assert 'socket="/run/mysqld/mysqld.sock"' in text and 'host=' not in text


def test_error_text_is_masked_and_classified(fake, tmp_path):
    fake.answer(stderr="ERROR 1045 (28000): Access denied for user 'billmgr'@'localhost' (password %s)\n" % PASSWORD,
                rc=1)
    with pytest.raises(MysqlError) as caught:
        client_for(fake, tmp_path).select('SELECT 1')
    assert caught.value.kind == 'refused'
    assert PASSWORD not in str(caught.value) and '********' in str(caught.value)


@pytest.mark.parametrize('stderr, kind', [
    ("ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)", 'unreachable'),
    ("ERROR 2005 (HY000): Unknown server host 'nowhere' (-2)", 'unreachable'),
    ("ERROR 1049 (42000): Unknown database 'billmgr'", 'no_database'),
    ("ERROR 1146 (42S02): Table 'billmgr.item' doesn't exist", 'query'),
])
def test_error_kinds(fake, tmp_path, stderr, kind):
    fake.answer(stderr=stderr + '\n', rc=1)
    with pytest.raises(MysqlError) as caught:
        client_for(fake, tmp_path).select('SELECT 1')
    assert caught.value.kind == kind
    assert stderr in str(caught.value)


def test_hung_client_is_killed(fake, tmp_path):
    fake.answer(sleep=30)
    with pytest.raises(MysqlError) as caught:
        client_for(fake, tmp_path, timeout=0.5).select('SELECT 1')
    assert caught.value.kind == 'timeout' and '0.5 seconds' in str(caught.value)


def test_missing_client_is_a_client_error(tmp_path):
    settings = DbSettings('localhost', 'u', PASSWORD, 'd')
    client = MysqlClient(Runner(local_run_command), str(tmp_path / 'no-such-mysql'), settings, tmpdir=str(tmp_path))
    with pytest.raises(MysqlError) as caught:
        client.select('SELECT 1')
    assert caught.value.kind == 'client'
    assert os.listdir(str(tmp_path)) == []


def test_xml_tells_null_from_the_text_null_and_keeps_special_characters():
    (rows,) = parse_xml_results(XML_TWO_ROWS)
    assert rows[0]['note'] == 'NULL'
    assert rows[1]['amount'] is None
    assert rows[1]['note'] == 'a<b>&"\ttab\nnewline'


def test_several_result_sets_and_an_empty_one():
    empty = '<?xml version="1.0"?>\n\n<resultset statement="SELECT 1 WHERE 0" ' \
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></resultset>\n'
    assert [len(rows) for rows in parse_xml_results(XML_TWO_ROWS + empty + XML_TWO_ROWS)] == [2, 0, 2]
    assert parse_xml_results('') == []


def test_not_xml_is_an_error(fake, tmp_path):
    fake.answer(stdout='id\tname\n1\tx\n')
    with pytest.raises(MysqlError) as caught:
        client_for(fake, tmp_path).select('SELECT 1')
    assert caught.value.kind == 'client'


def test_typed_rows():
    (rows,) = parse_xml_results(XML_TWO_ROWS)
    types = {'id': 'int', 'amount': 'decimal', 'createdate': 'datetime', 'expiredate': 'date'}
    assert typed_rows(rows, types) == [
        {'id': 1, 'amount': '390.00', 'createdate': '2025-03-02T22:14:09', 'expiredate': '2025-04-01', 'note': 'NULL'},
        {'id': 2, 'amount': None, 'createdate': None, 'expiredate': None, 'note': 'a<b>&"\ttab\nnewline'},
    ]


def test_find_client_prefers_mariadb():
    found = {'mysql': '/usr/bin/mysql', 'mariadb': '/usr/bin/mariadb'}
    assert find_client(found.get) == '/usr/bin/mariadb'
    assert find_client({'mysql': '/opt/bin/mysql'}.get) == '/opt/bin/mysql'
    assert find_client({}.get) is None


def test_defaults_file_is_created_private(tmp_path):
    from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import write_defaults_file
    old = os.umask(0)
    try:
        path = write_defaults_file(DbSettings('h', 'u', PASSWORD, 'd'), str(tmp_path))
    finally:
        os.umask(old)
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        os.unlink(path)


def test_open_client_is_the_one_way_to_the_database_and_says_what_to_install():
    from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import ClientMissing, MysqlClient, open_client

    client = open_client({'mysql': '/opt/bin/mysql'}.get, runner=None, settings=None, timeout=5)
    assert isinstance(client, MysqlClient) and client.client == '/opt/bin/mysql' and client.timeout == 5
    with pytest.raises(ClientMissing, match='install mariadb-client or mysql-client'):
        open_client({}.get, runner=None, settings=None)
