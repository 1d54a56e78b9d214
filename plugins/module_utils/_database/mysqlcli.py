# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running SELECTs through the ``mysql`` (or ``mariadb``) command-line client.

The password travels in a ``--defaults-extra-file`` created 0600 for one call and removed after
it, also when the call is ended by a signal (SIGTERM, SIGINT, SIGHUP), never on a command line;
values are escaped so that none can add a line to that file, and the password is masked in every
error text, line by line.  Results are asked for with
``--xml``, the one batch output form that tells a NULL from the text ``NULL`` and survives tabs and
newlines in values; each statement's result set becomes a list of dicts of text (None for NULL),
typed afterwards by :func:`typed_rows` from the column types the caller declares.

Every call goes through a ``_hostside.mgrctl.Runner`` and so has a timeout; ``--connect-timeout`` makes an
unreachable server fail quickly with its own message instead of being killed.  Stdlib only.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
from contextlib import contextmanager
from datetime import date, datetime
from xml.etree import ElementTree

from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_text

CLIENT_NAMES = ('mariadb', 'mysql')
DEFAULT_TIMEOUT = 60
XSI_NIL = '{http://www.w3.org/2001/XMLSchema-instance}nil'
_XML_DECLARATION_RE = re.compile(r'<\?xml[^>]*\?>')
# Client error numbers that mean the server was not reached at all, and that it refused the login.
_UNREACHABLE = ('2002', '2003', '2005', '2006', '2013')
# 1044: the login worked but the user may not use the database; 1049: there is no such database.
_REFUSED = ('1045', '1698')
_DENIED = ('1044',)
_UNKNOWN_DB = ('1049',)
# A statement that failed for what other sessions did at that moment and would likely run if sent
# again: 1615 (a prepared statement's tables left the server's table definition cache, common on a
# busy server with a small table_definition_cache), 1205 (lock wait timeout), 1213 (deadlock).
_TRANSIENT = ('1205', '1213', '1615')
# What makes the whole database unusable, as opposed to one statement failing.
CONNECTION_KINDS = ('unreachable', 'refused', 'denied', 'no_database', 'timeout', 'client')
_ERROR_NUMBER_RE = re.compile(r'ERROR (\d+)')


class MysqlError(Exception):
    """The client failed.  ``kind`` is ``unreachable`` (no answer), ``refused`` (login refused),
    ``denied`` (logged in, but no access to the database), ``no_database``, ``timeout``, ``client``
    or ``query``; the message never holds the password.  ``transient``: a statement failed for
    what other sessions did at the time, and may be sent once more."""

    def __init__(self, message, kind='query', transient=False):
        super(MysqlError, self).__init__(message)
        self.kind = kind
        self.transient = transient


# The client reads these escapes in option values; a raw line break would end the value and start
# a line of its own (``user=root``).
_OPTION_ESCAPES = (('\\', '\\\\'), ('"', '\\"'), ('\n', '\\n'), ('\r', '\\r'), ('\t', '\\t'), ('\b', '\\b'))
CLEANUP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def option_value(value):
    """VALUE for an option file, quoted and escaped so that spaces, ``#``, quotes, backslashes and
    line breaks survive and stay inside the value; a NUL, which no option file can hold, is refused."""
    text = str(value)
    if '\x00' in text:
        raise MysqlError('a database setting holds a NUL byte, which the client cannot be given: fix it', 'client')
    for raw, escaped in _OPTION_ESCAPES:
        text = text.replace(raw, escaped)
    return '"%s"' % text


def defaults_file_text(settings):
    """The ``[client]`` section holding SETTINGS (a ``dbconf.DbSettings``)."""
    lines = ['[client]', 'user=' + option_value(settings.user), 'password=' + option_value(settings.password)]
    if settings.socket:
        lines.append('socket=' + option_value(settings.socket))
    else:
        lines.append('host=' + option_value(settings.host))
        if settings.port:
            lines.append('port=%d' % settings.port)
    return '\n'.join(lines) + '\n'


def write_defaults_file(settings, directory=None):
    """Create the option file 0600 (mkstemp's mode, never wider) and return its path."""
    fd, path = tempfile.mkstemp(prefix='billmgr-ops-my-', suffix='.cnf', dir=directory)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, defaults_file_text(settings).encode('utf-8'))
    finally:
        os.close(fd)
    return path


class _Signalled(BaseException):
    """A cleanup signal arrived: unwinds the call (the runner kills the client's group on the way)."""

    def __init__(self, signum):
        super(_Signalled, self).__init__(signum)
        self.signum = signum


def _raise_signalled(signum, _frame):
    raise _Signalled(signum)


@contextmanager
def defaults_file_for(settings, directory=None):
    """The option file of SETTINGS for the time of the ``with`` block; removed on leaving it, also
    when a signal ends the call, after which the signal is delivered again to end the process as
    it would have.  Handlers can only be set in the main thread; elsewhere removal is as usual."""
    previous = {}
    signalled = None
    path = None
    try:
        for signum in CLEANUP_SIGNALS:
            try:
                previous[signum] = signal.signal(signum, _raise_signalled)
            except (ValueError, OSError):
                break
        path = write_defaults_file(settings, directory)
        yield path
    except _Signalled as caught:
        signalled = caught.signum
    finally:
        if path is not None and os.path.exists(path):
            os.unlink(path)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if signalled is not None:
        os.kill(os.getpid(), signalled)
        raise MysqlError('the database client was interrupted by signal %d' % signalled, 'client')


def client_argv(client, defaults_file, database, sql, connect_timeout):
    """The client's argv: the option file first (the client insists), no password, SQL by ``-e``."""
    return [client, '--defaults-extra-file=' + defaults_file, '--batch', '--xml',
            '--default-character-set=utf8mb4', '--connect-timeout=%d' % max(1, int(connect_timeout)),
            '--database=' + database, '--execute=' + sql]


def find_client(get_bin_path):
    """Path of the first client found by GET_BIN_PATH (``module.get_bin_path``), or None."""
    for name in CLIENT_NAMES:
        path = get_bin_path(name)
        if path:
            return path
    return None


class ClientMissing(Exception):
    """No database client on the host; the message says what to install."""


def open_client(get_bin_path, runner, settings, timeout=DEFAULT_TIMEOUT, tmpdir=None):
    """The ``MysqlClient`` for SETTINGS through the first client GET_BIN_PATH finds; every caller
    that talks to the database starts here. ClientMissing when there is none."""
    client_path = find_client(get_bin_path)
    if client_path is None:
        raise ClientMissing('no database client (%s) on the host: install mariadb-client or mysql-client'
                            % ' or '.join(CLIENT_NAMES))
    return MysqlClient(runner, client_path, settings, timeout=timeout, tmpdir=tmpdir)


class MysqlClient:
    """``MysqlClient(Runner(module.run_command), client_path, settings).select(sql)``."""

    def __init__(self, runner, client, settings, timeout=DEFAULT_TIMEOUT, tmpdir=None):
        self.runner = runner
        self.client = client
        self.settings = settings
        self.timeout = timeout
        self.tmpdir = tmpdir
        self.last_argv = None

    def _mask(self, text):
        return mask_text(text, [self.settings.password])

    def select(self, sql):
        """Run SQL (one or more SELECTs); a list of result sets, each a list of ``{column: text or None}``."""
        resultsets, error = self.batch(sql)
        if error is not None:
            raise error
        return [rows for _statement, rows in resultsets]

    def batch(self, sql):
        """Run SQL and keep what came back before a failing statement.

        Returns ``(resultsets, error)``: ``[(statement, rows)]`` as :func:`parse_xml_resultsets`
        gives them, and the MysqlError of the statement the client stopped at (kind ``query``), or
        None.  Raises MysqlError when the database could not be used at all (see CONNECTION_KINDS).
        """
        with defaults_file_for(self.settings, self.tmpdir) as defaults_file:
            argv = client_argv(self.client, defaults_file, self.settings.name, sql,
                               min(self.timeout, DEFAULT_TIMEOUT))
            self.last_argv = argv
            result = self.runner.run(argv, self.timeout)
        if result.timed_out:
            raise MysqlError('%s gave no answer in %s seconds and was killed'
                             % (os.path.basename(self.client), self.timeout), 'timeout')
        error = self._error(result) if result.rc != 0 else None
        if error is not None and error.kind in CONNECTION_KINDS:
            raise error
        try:
            return parse_xml_resultsets(result.stdout), error
        except ValueError as exc:
            raise MysqlError(self._mask(str(exc)), 'client')

    def _error(self, result):
        text = self._mask((result.stderr or result.stdout or '').strip()) \
            or '%s exited with status %s' % (os.path.basename(self.client), result.rc)
        match = _ERROR_NUMBER_RE.search(text)
        number = match.group(1) if match else ''
        if result.rc == 127 or 'cannot run' in text:
            kind = 'client'
        elif number in _UNREACHABLE:
            kind = 'unreachable'
        elif number in _REFUSED:
            kind = 'refused'
        elif number in _DENIED:
            kind = 'denied'
        elif number in _UNKNOWN_DB:
            kind = 'no_database'
        else:
            kind = 'query'
        return MysqlError(text, kind, transient=kind == 'query' and number in _TRANSIENT)


def failure_message(error, settings, conf_where, manager='billmgr'):
    """What to tell an operator when the database could not be used at all, by the kind of ERROR.

    CONF_WHERE names the files that hold the settings (``etc/billmgr.conf.d/*.conf``).
    """
    if error.kind == 'unreachable':
        return ('the %s database did not answer at %s: %s; check DBHost in %s or that mariadb is running'
                % (manager, settings.address, error, conf_where))
    if error.kind == 'refused':
        return ('the %s database at %s refused user %s: %s; check DBUser and DBPassword in %s'
                % (manager, settings.address, settings.user, error, conf_where))
    if error.kind == 'denied':
        return ('the database server at %s let user %s log in but not use the database %s: %s; grant the '
                'user access to it (GRANT ALL ON %s.* TO ...), or check DBName in %s'
                % (settings.address, settings.user, settings.name, error, settings.name, conf_where))
    if error.kind == 'no_database':
        return ('the database server at %s has no database %s: %s; check DBName in %s'
                % (settings.address, settings.name, error, conf_where))
    if error.kind == 'timeout':
        return ('the %s database at %s did not answer in time: %s; check that mariadb is running and not '
                'overloaded, or raise timeout' % (manager, settings.address, error))
    return 'the database client failed: %s' % error


def parse_xml_results(text):
    """``mysql --xml`` output of one or more statements -> list of result sets (lists of dicts)."""
    return [rows for _statement, rows in parse_xml_resultsets(text)]


def parse_xml_resultsets(text):
    """``mysql --xml`` output -> ``[(statement text, rows)]``, the statement as the client names it."""
    body = _XML_DECLARATION_RE.sub('', text or '')
    try:
        root = ElementTree.fromstring('<results>%s</results>' % body)
    except ElementTree.ParseError as exc:
        raise ValueError('the database client printed something other than XML result sets: %s' % exc)
    stray = ''.join([root.text or ''] + [child.tail or '' for child in root]).strip()
    if stray or any(child.tag != 'resultset' for child in root):
        raise ValueError('the database client printed something other than XML result sets: %r'
                         % (stray[:200] or [child.tag for child in root]))
    results = []
    for resultset in root.findall('resultset'):
        rows = []
        for row in resultset.findall('row'):
            rows.append(dict((field.get('name'), None if field.get(XSI_NIL) == 'true' else (field.text or ''))
                             for field in row.findall('field')))
        results.append((resultset.get('statement'), rows))
    return results


# ---- typing -----------------------------------------------------------------------------------

def _as_int(text):
    return int(text)


def _as_decimal(text):
    # Kept as the server printed it: a float would turn 0.10 into 0.1 or worse.
    return text


def _as_date(text):
    try:
        return date(*(int(part) for part in text[:10].split('-'))).isoformat()
    except (TypeError, ValueError):
        return None if text.startswith('0000-00-00') else text


def _as_datetime(text):
    try:
        return datetime.strptime(text[:19], '%Y-%m-%d %H:%M:%S').isoformat()
    except ValueError:
        return None if text.startswith('0000-00-00') else text


def _as_str(text):
    return text


CONVERTERS = {'int': _as_int, 'decimal': _as_decimal, 'date': _as_date, 'datetime': _as_datetime, 'str': _as_str}


def typed_rows(rows, types):
    """ROWS with each column converted by TYPES (``{column: 'int'|'decimal'|'date'|'datetime'|'str'}``).

    NULL stays None; a column TYPES does not name stays text.
    """
    typed = []
    for row in rows:
        typed.append(dict((column, None if value is None else CONVERTERS[types.get(column, 'str')](value))
                          for column, value in row.items()))
    return typed
