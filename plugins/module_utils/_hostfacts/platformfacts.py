# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform's side of the first diagnostic step: is it installed, running, answering; its
schedule lines in root's crontab; the debug levels that fill disks.

Each ``*_facts(request)`` builds one section of ``billmgr_facts`` from a
:class:`~ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.hostfacts.FactsRequest`; a probe that
fails leaves ``error`` in its section and the rest of the section filled.  Stdlib only.
"""

from __future__ import annotations

import os
import re

from ansible_collections.billmgr.ops.plugins.module_utils._platform.cron import find_checkevent, platform_lines
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.debugconf import DebugConf, utc_now
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import read_bytes, read_text
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import Mgrctl
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.procscan import running

PROCESSES = ('core', 'ihttpd')
# Where cron keeps root's crontab when the crontab command is missing (Debian, then RHEL).
CRONTAB_SPOOL = ('/var/spool/cron/crontabs/root', '/var/spool/cron/root')
OUTPUT_TAIL_LINES = 5

_VERSION_RE = re.compile(r'\d+(?:\.\d+)+\S*')
_BLOCKED_RE = re.compile(r'block', re.IGNORECASE)
_NO_CRONTAB_RE = re.compile(r'no crontab for', re.IGNORECASE)


def _tail(text, lines=OUTPUT_TAIL_LINES):
    return '\n'.join((text or '').strip().splitlines()[-lines:])


def _executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


# ---- platform ------------------------------------------------------------------------------------

def parse_version(output):
    """The version ``core MGR -v`` printed: the first dotted number, else its first line."""
    match = _VERSION_RE.search(output or '')
    if match:
        return match.group(0)
    lines = (output or '').strip().splitlines()
    return lines[0].strip() if lines else None


def describe_answer_error(error, result):
    """What whoami said instead of answering: the parsed ERROR and the tail of the output."""
    return {'type': error.get('type'), 'object': error.get('object'), 'value': error.get('value'),
            'msg': error.get('msg'), 'output': _tail(result.output)}


def is_blocked(answer_error):
    """Whether the error says the platform is blocked (``mgrctl -l``); the wording is not documented."""
    if not answer_error:
        return False
    words = ' '.join(str(answer_error.get(key) or '') for key in ('type', 'object', 'value', 'msg', 'output'))
    return _BLOCKED_RE.search(words) is not None


def _version(request, errors):
    core = request.layout.core
    if not _executable(core):
        return None
    result = request.runner.run([core, request.layout.manager, '-v'], request.tool_timeout)
    if result.timed_out or result.rc != 0:
        errors.append('%s %s -v failed (exit status %s): %s'
                      % (core, request.layout.manager, result.rc, _tail(result.output, 1) or 'no output'))
        return None
    return parse_version(result.stdout)


def platform_facts(request):
    layout = request.layout
    errors = []
    facts = {'installed': _executable(layout.mgrctl), 'version': None,
             'processes': dict((name, None) for name in PROCESSES), 'answers': False,
             'answer_error': None, 'maintenance': os.path.exists(layout.maintenance_file),
             'blocked': False}
    facts['version'] = _version(request, errors)
    try:
        facts['processes'] = running(PROCESSES, proc=request.paths['proc'])
    except OSError as exc:
        errors.append('cannot scan processes: %s' % exc)
    if not facts['installed']:
        facts['answer_error'] = {'type': 'not_installed', 'object': None, 'value': None, 'msg': None,
                                 'output': '%s not found or not executable' % layout.mgrctl}
    else:
        result, error = Mgrctl(request.runner, layout, request.mgrctl_timeout).call('whoami')
        facts['answers'] = error is None
        if error is not None:
            facts['answer_error'] = describe_answer_error(error, result)
            facts['blocked'] = is_blocked(facts['answer_error'])
        if result.timed_out:
            errors.append('mgrctl -m %s whoami did not answer within %s seconds and was killed'
                          % (layout.manager, request.mgrctl_timeout))
    if errors:
        facts['error'] = '; '.join(errors)
    return facts


# ---- cron ----------------------------------------------------------------------------------------

def read_root_crontab(request):
    """``(text, source)`` of root's crontab; raises OSError when it exists but cannot be read."""
    crontab = request.find_tool('crontab')
    if crontab:
        argv = [crontab, '-u', 'root', '-l']
        result = request.runner.run(argv, request.tool_timeout)
        source = ' '.join(argv)
        if result.rc == 0 and not result.timed_out:
            return result.stdout, source
        if _NO_CRONTAB_RE.search(result.output):
            return '', source
        raise OSError('%s failed (exit status %s): %s' % (source, result.rc, _tail(result.output, 1) or 'no output'))
    for path in request.paths['crontab_spool']:
        if os.path.exists(path):
            return read_text(path, what='crontab'), path
    return '', None


def cron_facts(request):
    facts = {'checkevent': find_checkevent('', request.layout.root, request.layout.manager),
             'platform_lines': [], 'source': None}
    try:
        text, facts['source'] = read_root_crontab(request)
    except OSError as exc:
        facts['error'] = str(exc)
        return facts
    facts['checkevent'] = find_checkevent(text, request.layout.root, request.layout.manager)
    facts['platform_lines'] = platform_lines(text, request.layout.root, request.layout.manager)
    return facts


# ---- debug.conf ----------------------------------------------------------------------------------

def debug_entries(conf, threshold, now):
    """Entries of a parsed debug.conf at THRESHOLD or above, with this collection's marker memory."""
    managed = dict((entry.index, entry) for entry in conf.managed())
    found = []
    for index, log, module, level in conf.entries():
        if level < threshold:
            continue
        marker = managed.get(index)
        memory = marker.as_dict() if marker else {}
        found.append({'log': log, 'module': module, 'level': level, 'line_number': index + 1,
                      'managed': marker is not None, 'expires': memory.get('expires'),
                      'expired': bool(marker and marker.is_expired(now)), 'previous': memory.get('previous')})
    return found


def debug_facts(request):
    path = request.layout.debug_conf
    facts = {'path': path, 'exists': False, 'threshold': request.debug_threshold, 'entries': []}
    try:
        data = read_bytes(path, what='debug.conf')
    except FileNotFoundError:
        return facts
    except OSError as exc:
        facts['error'] = 'cannot read %s: %s' % (path, exc.strerror or exc)
        return facts
    facts['exists'] = True
    facts['entries'] = debug_entries(DebugConf.parse(data), request.debug_threshold, utc_now())
    return facts
