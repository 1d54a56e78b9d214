# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several named queries in one client call, each built on the server from the columns that exist.

The batch first asks ``information_schema`` which tables and columns of the queries exist (the
answer comes back as the first result set and is kept in a session variable), then, for each query,
builds its text on the server with ``IF(FIND_IN_SET('table.column', @have), 'part', NULL)`` around
every part that uses an optional name, and runs it as a prepared statement named after its
position.  So one round trip answers every query on any schema; a query whose required names are
missing runs as an empty statement and is reported unsupported from the first result set.

Every part of the SQL text is our own fixed text with validated ints in it (``queries``); it is
quoted here as an SQL string literal.  The client stops at a statement that fails; the queries after
it are sent again in a new call, so one query's error never costs the others their answers.
Stdlib only.
"""

from __future__ import annotations

import re

from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import MysqlError, typed_rows
from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import (
    QueryError,
    build_sql,
    left_out,
    missing,
    sql_parts,
    values_of,
)

# information_schema's data types -> the types of ``mysqlcli.typed_rows``.
_INT_TYPES = ('tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year')
_DATA_TYPES = dict([(name, 'int') for name in _INT_TYPES]
                   + [('decimal', 'decimal'), ('numeric', 'decimal'), ('date', 'date'),
                      ('datetime', 'datetime'), ('timestamp', 'datetime')])
_TABLE_RE = re.compile(r'^[a-z][a-z0-9_]{0,63}$')
_EXECUTE_RE = re.compile(r'^EXECUTE q_(\d+)$')
# A table no query may read: its values are secrets the platform keeps encrypted.
NEVER_READ = ('itemcryptedparam',)


def literal(text):
    """TEXT as an SQL string literal; our SQL has no backslash, so the sql_mode does not matter."""
    if '\\' in text or '\n' in text:
        raise QueryError('internal: SQL part %r cannot be quoted portably' % text)
    return "'%s'" % text.replace("'", "''")


def _condition(uses):
    return ' AND '.join("FIND_IN_SET(%s, @have)" % literal(name) for name in uses)


def _part_expression(part_, values):
    """The server-side expression that yields PART_'s chosen text, or NULL when none fits."""
    expression = 'NULL'
    for text, uses in reversed(part_.choices):
        text = text.format(**values)
        if part_.alias is not None:
            text = '%s AS %s' % (text, part_.alias)
        expression = literal(text) if not uses else 'IF(%s, %s, %s)' % (_condition(uses), literal(text), expression)
    return expression


def server_expression(query, values):
    """The SQL expression that builds QUERY's text on the server, as ``queries.assemble`` would."""
    clauses = []
    for keyword, parts in sql_parts(query):
        if not parts:
            continue
        separator = "', '" if keyword else 'CHAR(10)'
        listed = 'CONCAT_WS(%s, %s)' % (separator, ', '.join(_part_expression(p, values) for p in parts))
        if keyword is None:
            clauses.append("NULLIF(%s, '')" % listed)
        else:
            clauses.append("CONCAT(%s, NULLIF(%s, ''))" % (literal(keyword + ' '), listed))
    return 'CONCAT_WS(CHAR(10), %s)' % ', '.join(clauses)


def _tables(planned):
    names = sorted(set(table for entry in planned for table in entry.query.tables()))
    for name in names:
        if not _TABLE_RE.match(name) or name in NEVER_READ:
            raise QueryError('internal: a query names the table %r' % name)
    return names


def batch_sql(planned, now, server_paths=False):
    """One client call's SQL for PLANNED; query N's answer is the result set of ``EXECUTE q_N``."""
    tables = ', '.join(literal(name) for name in _tables(planned))
    where = 'WHERE table_schema = DATABASE() AND table_name IN (%s)' % tables
    lines = [
        'SET SESSION group_concat_max_len = 1048576;',
        'SELECT table_name AS tbl, column_name AS col, data_type AS type FROM information_schema.columns '
        '%s ORDER BY table_name, ordinal_position;' % where,
        # One plain scan into variables (on one line: first_query_line counts lines): a derived
        # table with UNION over information_schema inside SET once brought a lab MariaDB 10.11
        # down (signal 11 while dropping its temporary table).
        "SELECT GROUP_CONCAT(DISTINCT table_name), GROUP_CONCAT(CONCAT(table_name, '.', column_name)) "
        "INTO @have_tables, @have_columns FROM information_schema.columns %s; "
        "SET @have := CONCAT_WS(',', @have_tables, @have_columns);" % where,
    ]
    if server_paths:
        lines.append('SELECT @@datadir AS datadir, @@tmpdir AS tmpdir;')
    for position, entry in enumerate(planned):
        query = entry.query
        values = values_of(entry, now)
        if query.sql is not None:
            # A query given as fixed text runs as it is; its line breaks become spaces to fit one line.
            built = literal(' '.join(query.sql.format(**values).splitlines()))
        else:
            required = _condition(query.required) or 'TRUE'
            built = 'IF(%s, %s, %s)' % (required, server_expression(query, values),
                                        literal('SELECT NULL AS unsupported FROM DUAL WHERE FALSE'))
        # One line per query: the client's "at line N" then names the query that failed.
        lines.append('SET @q_{0} := {1}; PREPARE q_{0} FROM @q_{0}; EXECUTE q_{0}; DEALLOCATE PREPARE q_{0};'
                     .format(position, built))
    return '\n'.join(lines)


def first_query_line(server_paths=False):
    """The line of the batch (from 1) that holds query 0."""
    return 5 if server_paths else 4


class Schema:
    """What the first result set said: the names that exist and their data types."""

    def __init__(self, rows):
        self.names = set()
        self.types = {}
        for row in rows:
            table, column = row.get('tbl'), row.get('col')
            self.names.update((table, '%s.%s' % (table, column)))
            self.types['%s.%s' % (table, column)] = _DATA_TYPES.get((row.get('type') or '').lower(), 'str')

    def column_types(self, table):
        """``{column: type}`` of TABLE, for the rows of a ``SELECT *``."""
        prefix = table + '.'
        return dict((name[len(prefix):], kind) for name, kind in self.types.items() if name.startswith(prefix))


def outcome(entry, schema, now):
    """What the schema lets ENTRY be: ``{sql, missing, left_out, types}`` (``sql`` None when unsupported)."""
    query = entry.query
    if query.sql is not None:
        return {'sql': query.sql.format(**values_of(entry, now)), 'missing': [], 'left_out': [],
                'types': query.types}
    lacking = missing(query, schema.names)
    found = {'sql': None, 'missing': lacking, 'left_out': [], 'types': query.types}
    if lacking:
        return found
    found['sql'] = build_sql(entry, now, schema.names)
    found['left_out'] = left_out(query, schema.names)
    if query.star:
        found['types'] = schema.column_types(query.star)
    return found


def answers(resultsets):
    """``(schema rows, server row or None, {query position: rows})`` from a batch's result sets."""
    schema_rows, server, by_position = None, None, {}
    for statement, rows in resultsets:
        match = _EXECUTE_RE.match(statement or '')
        if match:
            by_position[int(match.group(1))] = rows
        elif schema_rows is None and 'information_schema.columns' in (statement or ''):
            schema_rows = rows
        elif '@@datadir' in (statement or ''):
            server = rows[0] if rows else None
    return schema_rows, server, by_position


_ERROR_LINE_RE = re.compile(r'at line (\d+)')


def _failed_index(error, with_paths, count, answered):
    """The batch position of the query the client stopped at."""
    line = _ERROR_LINE_RE.search(str(error))
    index = int(line.group(1)) - first_query_line(with_paths) if line else -1
    if 0 <= index < count and index not in answered:
        return index
    unanswered = [position for position in range(count) if position not in answered]
    return unanswered[0] if unanswered else None


def run_batch(client, planned, now, server_paths=False):
    """Every query of PLANNED through CLIENT (a ``mysqlcli.MysqlClient``), in as few calls as errors allow.

    Returns ``{'schema': Schema, 'server': {datadir, tmpdir} or None, 'queries': [...]}``, one
    :func:`outcome` per query of PLANNED with ``rows`` or ``error`` added.  Raises ``MysqlError``
    only when the server could not be used at all (unreachable, login refused, no such database,
    timeout, no client); a query that fails gets ``error`` and the queries after it are sent again.
    A query that failed for what other sessions did (``MysqlError.transient``) is sent once more
    with them before its error is kept.
    """
    schema, server = None, None
    results = [None] * len(planned)
    pending = list(range(len(planned)))
    sent_again = set()
    while pending:
        with_paths = server_paths and server is None
        resultsets, error = client.batch(batch_sql([planned[p] for p in pending], now, with_paths))
        schema_rows, server_row, answered = answers(resultsets)
        if schema is None:
            if schema_rows is None:
                raise error or MysqlError('the database client answered without the schema result set', 'client')
            schema = Schema(schema_rows)
        server = server or server_row
        failed = _failed_index(error, with_paths, len(pending), answered) if error is not None else None
        retrying = False
        for index, position in enumerate(pending):
            found = outcome(planned[position], schema, now)
            if index in answered:
                found['rows'] = typed_rows(answered[index], found['types']) if found['sql'] else []
            elif index == failed and error.transient and position not in sent_again:
                sent_again.add(position)
                retrying = True
                continue
            elif index == failed:
                found['error'] = str(error)
            else:
                continue
            results[position] = found
        left = [position for position in pending if results[position] is None]
        if error is None or (len(left) == len(pending) and not retrying):
            for position in left:
                found = outcome(planned[position], schema, now)
                found['error'] = str(error) if error is not None else 'the client returned no result for it'
                results[position] = found
            break
        pending = left
    return {'schema': schema, 'server': server, 'queries': results}
