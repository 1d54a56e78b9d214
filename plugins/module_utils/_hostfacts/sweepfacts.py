# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sweep's sections of billmgr_facts: license, log errors, early stops, database look-ups.

They reuse what licctl_info, log_grep and billmgr_query stand on, so that a health sweep costs one
module call per host. Each returns a dict; a failure raises and becomes the section's ``error``.
Stdlib only and no Ansible imports.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

from ansible_collections.billmgr.ops.plugins.module_utils._database.dbconf import db_settings
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.diskinfo import disk_facts
from ansible_collections.billmgr.ops.plugins.module_utils._logs.earlystop import (
    LOG as EARLY_STOP_LOG,
    SCAN_LEVELS,
    SCAN_PATTERN,
    early_stops,
)
from ansible_collections.billmgr.ops.plugins.module_utils._logs.errorgroups import error_groups
from ansible_collections.billmgr.ops.plugins.module_utils._platform.licctl import info_argv
from ansible_collections.billmgr.ops.plugins.module_utils._platform.license import license_facts
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import LogScanError, scan
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logsources import find_sources
from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import ClientMissing, MysqlError, failure_message, open_client
from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import mask_rows, plan
from ansible_collections.billmgr.ops.plugins.module_utils._database.querybatch import run_batch
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_all

SWEEP_SECTIONS = ('license', 'log_errors', 'early_stops', 'database')
SWEEP_QUERIES = ('payments_in_pay', 'itemevent_backlog', 'promised_payments', 'credit_limits', 'reselling_modules')
# DBHost values that mean this host itself.
LOCAL_HOSTS = ('localhost', '127.0.0.1', '::1')
# Enough to count every error type and keep one sample thread each without a large result.
LOG_SAMPLE_MATCHES = 200
EARLY_STOP_MATCHES = 20000
OTHER_ERRORS = 'other'


class SectionError(Exception):
    """A section could not be gathered; the message says why and what to check."""


def license_section(request):
    layout = request.layout
    if not os.path.exists(layout.licctl):
        raise SectionError('licctl not found at %s' % layout.licctl)
    run = request.runner.run(info_argv(layout.licctl, layout.manager), request.tool_timeout)
    found, secrets = license_facts(run.stdout, layout.licctl_log)
    if run.timed_out:
        raise SectionError('licctl info did not answer within %s seconds' % request.tool_timeout)
    del found['raw']
    found['exit_status'] = run.rc
    if run.rc != 0:
        message = 'licctl info failed (exit status %s): %s' % (run.rc, mask_all(run.output, secrets) or 'no output')
        # `ID: 0` says what matters even from a failing licctl: no license is linked.
        if found['id'] is None:
            raise SectionError(message)
        found['exit_message'] = message
    return found


def log_errors_section(request):
    sources, missing = find_sources(request.layout, request.logs)
    found = scan(sources, levels=('ERROR',), since=request.since_local, context='thread', context_lines=10,
                 max_matches=LOG_SAMPLE_MATCHES, zones=request.log_zones)
    counts = dict(found['counts'].get('by_error_type') or {})
    total = sum((found['counts'].get('by_level') or {}).values())
    untyped = total - sum(counts.values())
    if untyped > 0:
        counts[OTHER_ERRORS] = untyped
    samples = {}
    for match in found['matches']:
        kind = (match.get('error') or {}).get('type') or OTHER_ERRORS
        if kind not in samples:
            samples[kind] = dict((key, match.get(key)) for key in ('log', 'time', 'thread_key', 'message', 'context'))
    by_type = {}
    for kind, count in counts.items():
        entry = {'count': count}
        entry.update(samples.get(kind, {}))
        by_type[kind] = entry
    return {'since': request.since_text, 'total': total, 'by_error_type': by_type, 'missing': missing,
            'truncated': found.get('truncated', False), 'scanned_bytes': found.get('scanned_bytes'),
            'unparsed_headers': found.get('unparsed_headers', 0), 'zones': found.get('zones', {}),
            'by_error': error_groups(found['matches'], not found.get('truncated', False))}


def early_stops_section(request):
    # The archives too: a window of days reaches past the last rotation, and scan() skips those
    # last written before the window without reading them.
    sources, missing = find_sources(request.layout, [EARLY_STOP_LOG], rotated=True)
    found, skipped = _scan_readable(sources, levels=SCAN_LEVELS, pattern=SCAN_PATTERN, since=request.since_local,
                                    context='none', max_matches=EARLY_STOP_MATCHES)
    return {'since': request.since_text, 'items': early_stops(found['matches']), 'missing': missing,
            'files': [source.path for source in sources if source.path not in skipped],
            'skipped': skipped, 'truncated': found.get('truncated', False)}


def run_sweep_batch(client, planned, retry_pause=1.0):
    """The sweep's look-ups in one client call, tried once more after a lost or refused connection.

    A server that is restarting, at its connection limit or just dropped the link usually answers
    a moment later; one such blip must not turn a whole host's database findings into
    database_unreachable. A refused login or any other error is reported at once.
    """
    try:
        return run_batch(client, planned, datetime.now(), server_paths=True)
    except MysqlError as exc:
        if exc.kind != 'unreachable':
            raise
    time.sleep(retry_pause)
    return run_batch(client, planned, datetime.now(), server_paths=True)


def _scan_readable(sources, **options):
    """``(scan result, {path: why})``: SOURCES scanned together, or, when one cannot be read (a
    corrupt archive), each on its own so the others still count."""
    try:
        found = scan(sources, **options)
        # The scanner skips a corrupt archive itself and names it; other read errors land below.
        return found, dict((entry['path'], entry['reason']) for entry in found.get('unreadable_archives', ()))
    except LogScanError:
        pass
    matches, skipped, truncated = [], {}, False
    for source in sources:
        try:
            part = scan([source], **options)
        except LogScanError as exc:
            skipped[source.path] = str(exc)
            continue
        matches.extend(part['matches'])
        truncated = truncated or part.get('truncated', False)
    return {'matches': matches, 'truncated': truncated}, skipped


def _local(settings):
    """Whether the database server runs on this host, so that its directories are ours to measure."""
    return bool(settings.socket) or settings.host in LOCAL_HOSTS


def _server_disk(server, request):
    paths = [path for path in (server.get('datadir'), server.get('tmpdir')) if path]
    if not paths:
        return []
    entries = disk_facts([path.rstrip('/') or '/' for path in paths], request.paths['mountinfo'])
    roles = {}
    for name in ('datadir', 'tmpdir'):
        if server.get(name):
            roles.setdefault((server[name].rstrip('/') or '/'), []).append(name)
    for entry in entries:
        entry['holds'] = [role for path in entry['serves'] for role in roles.get(path, [])]
    return entries


def database_section(request):
    settings = db_settings(request.layout)
    try:
        client = open_client(request.find_tool, request.runner, settings, timeout=request.tool_timeout)
    except ClientMissing as exc:
        raise SectionError(str(exc))
    planned = plan(list(SWEEP_QUERIES), {'hours': request.stuck_payment_hours})
    try:
        found = run_sweep_batch(client, planned)
    except MysqlError as exc:
        conf_where = request.layout.manager_conf_dir + '/*.conf'
        return {'error': mask_all(failure_message(exc, settings, conf_where, request.layout.manager),
                                  [settings.password]),
                'error_kind': exc.kind, 'db': settings.public()}
    section = {'db': settings.public(), 'unsupported': {}, 'left_out': {}, 'query_errors': {}}
    for entry, outcome in zip(planned, found['queries']):
        rows = None
        if outcome['missing']:
            section['unsupported'][entry.label] = outcome['missing']
        elif 'error' in outcome:
            section['query_errors'][entry.label] = mask_all(outcome['error'], [settings.password])
        else:
            rows = mask_rows(entry.query, outcome['rows'])
        if outcome['left_out']:
            section['left_out'][entry.label] = outcome['left_out']
        # None: not known on this database; [] known to be none.
        section[entry.label] = rows
    backlog = section['itemevent_backlog']
    if backlog is not None:
        backlog = backlog[0] if backlog else {}
        section['itemevent_backlog'] = {'count': backlog.get('count') or 0, 'oldest': backlog.get('oldest'),
                                        'oldest_age_seconds': backlog.get('oldest_age_seconds')}
    server = found['server'] or {}
    section['server'] = {'datadir': server.get('datadir'), 'tmpdir': server.get('tmpdir'),
                         'local': _local(settings)}
    section['disk'] = _server_disk(server, request) if _local(settings) else []
    return section


GATHERERS = {
    'license': license_section,
    'log_errors': log_errors_section,
    'early_stops': early_stops_section,
    'database': database_section,
}
