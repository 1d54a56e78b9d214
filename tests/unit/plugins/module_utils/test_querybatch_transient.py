# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A statement that failed for what other sessions did is sent once more; any other error is kept."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._database.dbconf import DbSettings
from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import MysqlClient, MysqlError
from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import Planned, Query
from ansible_collections.billmgr.ops.plugins.module_utils._database.querybatch import first_query_line, run_batch
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import CommandResult

NOW = datetime(2025, 3, 3, 12, 30, 15)
SCHEMA = ("SELECT table_name AS tbl, column_name AS col, data_type AS type FROM information_schema.columns",
          [{'tbl': 'item', 'col': 'id', 'type': 'int'}])


def fixed(number):
    query = Query('q%d' % number, 'A fixed look-up.', (), {}, 'SELECT %d AS id FROM DUAL' % number, {'id': 'int'})
    return Planned('q%d' % number, query, {})


class FailingOnce:
    """A client that answers query FAIL_AT (by its original number) with ERROR_TEXT the first TIMES
    it is sent; ``batches`` holds how many queries each call carried."""

    def __init__(self, error_text, fail_at=1, times=1):
        self.error_text, self.fail_at, self.times = error_text, fail_at, times
        self.failed = 0
        self.batches = []

    def batch(self, sql):
        numbers = [int(re.search(r'SELECT (\d+) AS id', line).group(1))
                   for line in sql.splitlines() if line.startswith('SET @q_')]
        self.batches.append(len(numbers))
        answered = [SCHEMA]
        for index, number in enumerate(numbers):
            if number == self.fail_at and self.failed < self.times:
                self.failed += 1
                return answered, client_error(self.error_text, first_query_line() + index)
            answered.append(('EXECUTE q_%d' % index, [{'id': str(number)}]))
        return answered, None


def client_error(text, line):
    client = MysqlClient(None, '/usr/bin/mariadb', DbSettings('localhost', 'billmgr', 'secret', 'billmgr'))
    return client._error(CommandResult(['mariadb'], 1, '', '%s at line %d' % (text, line)))


def test_the_error_numbers_of_a_busy_server_are_transient():
    assert client_error('ERROR 1615 (HY000): Prepared statement needs to be re-prepared', 4).transient
    assert client_error('ERROR 1213 (40001): Deadlock found when trying to get lock', 4).transient
    assert not client_error("ERROR 1054 (42S22): Unknown column 'p.amount' in 'field list'", 4).transient
    assert not client_error('ERROR 2013 (HY000): Lost connection to server during query', 4).transient


def test_a_re_prepare_error_is_sent_once_more_and_its_rows_come_back():
    client = FailingOnce('ERROR 1615 (HY000): Prepared statement needs to be re-prepared')
    results = run_batch(client, [fixed(n) for n in range(3)], NOW)['queries']
    assert [result.get('error') for result in results] == [None, None, None]
    assert all(result['rows'] for result in results)
    assert client.batches == [3, 2]


def test_a_transient_error_twice_is_kept_as_that_query_s_error():
    client = FailingOnce('ERROR 1615 (HY000): Prepared statement needs to be re-prepared', times=2)
    results = run_batch(client, [fixed(n) for n in range(3)], NOW)['queries']
    assert 'ERROR 1615' in results[1]['error'] and 'rows' not in results[1]
    assert results[0]['rows'] and results[2]['rows']


@pytest.mark.parametrize('text', ["ERROR 1054 (42S22): Unknown column 'p.amount' in 'field list'",
                                  'ERROR 1146 (42S02): Table billmgr.payment does not exist'])
def test_any_other_statement_error_is_kept_at_once(text):
    client = FailingOnce(text)
    results = run_batch(client, [fixed(n) for n in range(3)], NOW)['queries']
    assert text in results[1]['error']
    assert results[0]['rows'] and results[2]['rows']
    assert client.batches == [3, 1]


def test_a_plain_error_is_not_transient():
    assert MysqlError('anything').transient is False
