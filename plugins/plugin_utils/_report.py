# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health report as data: checking what the sweep hands over, comparing it with the previous
report, summing it up, and the small escapes the report's text formats need.

Plain functions on plain data (no Ansible objects needed), so the filters stay thin and the unit
tests call these directly. The shape produced here is documented in
``roles/report/files/report.schema.json``; change both together.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_data
from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import SEVERITIES
from ansible_collections.billmgr.ops.plugins.plugin_utils._fleetview import fleet_errors, version_table
from ansible_collections.billmgr.ops.plugins.plugin_utils._licensecalendar import license_calendar

SCHEMA_VERSION = 1
GENERATOR = 'billmgr.ops.report'
FAIL_ON_CHOICES = SEVERITIES + ('never',)
CLEAN = 'clean'
TIMESTAMP_FORMAT = '%Y-%m-%dT%H:%M:%SZ'
# Evidence nested deeper than this is shown as JSON text instead of nested lists and tables.
EVIDENCE_MAX_DEPTH = 3

_RANK = {name: rank for rank, name in enumerate(SEVERITIES + (CLEAN,))}


def severity_rank(severity):
    """0 for critical ... 3 for clean, so that sorting puts the worst first."""
    return _RANK.get(severity, len(_RANK))


def is_scalar(value):
    return value is None or isinstance(value, (str, bool, int, float))


def scalar_text(value):
    """A scalar as a person reads it in JSON terms: null, true, 42, text as it is."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def parse_bool(value):
    """True/False from a bool or the strings an AWX survey sends (an empty one is false);
    ValueError otherwise."""
    if isinstance(value, str) and not value.strip():
        return False
    try:
        return boolean(value, strict=True)
    except TypeError as exc:
        raise ValueError('%r is not a boolean' % (value,)) from exc


def utc_epoch(timestamp):
    """Seconds since the epoch of a ``2026-11-23T14:30:05Z`` timestamp."""
    moment = datetime.strptime(timestamp, TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


# ---------------------------------------------------------------- what the health role hands over

def problems(hosts):
    """Every way HOSTS breaks the input contract, as messages naming the record; [] when it holds."""
    if not isinstance(hosts, list):
        return ['billmgr_report_hosts must be a list of host records, got %s' % type(hosts).__name__]
    found = []
    seen_hosts = set()
    for index, record in enumerate(hosts):
        where, named = _labelled('billmgr_report_hosts[%d]' % index, record, 'host', found)
        if where is None:
            continue
        if named:
            if record['host'] in seen_hosts:
                found.append('%s: host appears twice; every host gets one record' % where)
            seen_hosts.add(record['host'])
        try:
            parse_bool(record.get('reachable', True))
        except ValueError:
            found.append('%s: reachable must be true or false, got %r' % (where, record.get('reachable')))
        if not isinstance(record.get('summary', {}) or {}, Mapping):
            found.append('%s: summary must be a dict' % where)
        found.extend(_context_problems(where, record.get('context')))
        findings = record.get('findings', [])
        if findings is None:
            continue
        if not isinstance(findings, list):
            found.append('%s: findings must be a list' % where)
            continue
        found.extend(_finding_problems(where, findings))
    return found


def _context_problems(where, context):
    if context is None:
        return []
    if not isinstance(context, list):
        return ['%s: context must be a list' % where]
    found = []
    for index, item in enumerate(context):
        here = _labelled('%s context[%d]' % (where, index), item, 'id', found)[0]
        if here is not None and not isinstance(item.get('summary', ''), str):
            found.append('%s: summary must be a string' % here)
    return found


def _labelled(where, record, field, found):
    """(where, named): WHERE with RECORD's FIELD appended when RECORD is a dict naming itself there,
    (None, False) when it is no dict at all; what is wrong goes to FOUND."""
    if not isinstance(record, Mapping):
        found.append('%s must be a dict, got %s' % (where, type(record).__name__))
        return None, False
    name = record.get(field)
    if not isinstance(name, str) or not name:
        found.append('%s: %s must be a non-empty string' % (where, field))
        return where, False
    return '%s (%s)' % (where, name), True


def _finding_problems(where, findings):
    found = []
    identities = set()
    for index, finding in enumerate(findings):
        here = _labelled('%s findings[%d]' % (where, index), finding, 'id', found)[0]
        if here is None:
            continue
        check_id = finding.get('id')
        key = finding.get('key', '')
        if key is not None and not isinstance(key, (str, int)) or isinstance(key, bool):
            found.append('%s: key must be a string (or a number), got %r' % (here, key))
        if finding.get('severity') not in SEVERITIES:
            found.append('%s: severity must be one of %s, got %r'
                         % (here, ', '.join(SEVERITIES), finding.get('severity')))
        if not isinstance(finding.get('summary'), str) or not finding.get('summary'):
            found.append('%s: summary must be a non-empty string' % here)
        if not isinstance(finding.get('fix', ''), (str, type(None))):
            found.append('%s: fix must be a string' % here)
        identity = (check_id, _key_text(key))
        if identity in identities:
            found.append('%s: a second finding with id %r and key %r; one check tells its findings '
                         'apart by key' % (here, check_id, identity[1]))
        identities.add(identity)
    return found


def _key_text(key):
    return '' if key is None else str(key)


def normalize_hosts(hosts):
    """HOSTS (already free of problems) with every optional field filled in and typed."""
    normalized = []
    for record in hosts:
        normalized.append({
            'host': record['host'],
            'reachable': parse_bool(record.get('reachable', True)),
            'swept_at': record.get('swept_at') or None,
            'summary': dict(record.get('summary') or {}),
            'findings': [{
                'id': finding['id'],
                'key': _key_text(finding.get('key')),
                'severity': finding['severity'],
                'summary': finding['summary'],
                'evidence': finding.get('evidence'),
                'fix': finding.get('fix') or '',
            } for finding in record.get('findings') or []],
            'context': [{'id': item['id'], 'summary': item.get('summary') or '', 'evidence': item.get('evidence')}
                        for item in record.get('context') or []],
        })
    return normalized


# ---------------------------------------------------------------- since the last sweep

def read_previous(previous):
    """(report dict or None, note or None) from a previous report given as dict, JSON text or nothing."""
    if previous is None or previous == '' or previous == {}:
        return None, None
    if isinstance(previous, (str, bytes)):
        try:
            previous = json.loads(previous)
        except ValueError as exc:
            return None, 'The previous report is not valid JSON (%s); every finding counts as new.' % exc
    if not isinstance(previous, Mapping) or not isinstance(previous.get('hosts'), list) \
            or not isinstance(previous.get('sweep'), Mapping):
        return None, 'The previous report has no sweep and hosts; every finding counts as new.'
    return previous, None


def _previous_index(previous):
    """{(host, id, key): (finding, when)} of a previous report, skipping records it cannot have meant.

    WHEN is the sweep the record came from when it says so (records kept in the fact cache each
    carry theirs: the hosts of a sliced sweep were not swept at one time), else the report's.
    """
    index = {}
    report_at = previous['sweep'].get('generated_at')
    for record in previous.get('hosts', []):
        if not isinstance(record, Mapping):
            continue
        sweep = record.get('sweep')
        when = (sweep.get('generated_at') if isinstance(sweep, Mapping) else None) or report_at
        for finding in record.get('findings') or []:
            if isinstance(finding, Mapping) and finding.get('id'):
                index[(record.get('host'), finding['id'], _key_text(finding.get('key')))] = (finding, when)
    return index


def compare(hosts, previous, generated_at):
    """HOSTS with each finding marked new or ongoing and each host's resolved findings listed.

    A finding is the same one across sweeps when host, id and key match. Findings of the previous
    report that are gone now count as resolved only for hosts swept now: an unreachable host's old
    findings are unknown, not fixed, and a host missing from this play is not judged at all.
    """
    index = _previous_index(previous) if previous else {}
    compared = []
    for record in normalize_hosts(hosts):
        current_ids = set()
        findings = []
        for finding in record['findings']:
            identity = (record['host'], finding['id'], finding['key'])
            current_ids.add(identity)
            before, previous_at = index.get(identity, (None, None))
            finding = dict(finding)
            if before is None:
                finding['since_last'] = 'new'
                finding['first_seen'] = generated_at
            else:
                finding['since_last'] = 'ongoing'
                finding['first_seen'] = before.get('first_seen') or previous_at or generated_at
            findings.append(finding)
        resolved = []
        if record['reachable']:
            for identity, (before, previous_at) in index.items():
                if identity[0] == record['host'] and identity not in current_ids:
                    resolved.append({
                        'id': before['id'],
                        'key': identity[2],
                        'severity': before.get('severity'),
                        'summary': before.get('summary', ''),
                        'since_last': 'resolved',
                        'first_seen': before.get('first_seen') or previous_at,
                        'last_seen': previous_at,
                    })
        compared.append(_tallied(record, findings, resolved))
    return _host_order(compared)


def _tallied(record, findings, resolved):
    record['findings'] = sorted(findings, key=_finding_order)
    record['resolved'] = sorted(resolved, key=_finding_order)
    record['counts'] = {severity: sum(1 for f in findings if f['severity'] == severity)
                        for severity in SEVERITIES}
    record['worst'] = _worst(findings)
    return record


def _host_order(records):
    return sorted(records, key=lambda r: (severity_rank(r['worst']), r['host']))


def restore_marks(hosts):
    """HOSTS whose findings were marked by the sweep that judged them (the records the fact cache
    holds, each compared with its host's own previous sweep), normalized as compare() leaves them.

    The fleet report assembles such records: comparing them again would compare each sweep with
    itself. A finding without a mark, which no sweep of this collection leaves, counts as new.
    """
    marked_by_host = {record['host']: record for record in hosts}
    restored = []
    for record in normalize_hosts(hosts):
        source = marked_by_host[record['host']]
        marks = {(f.get('id'), _key_text(f.get('key'))): f for f in source.get('findings') or []}
        findings = []
        for finding in record['findings']:
            mark = marks.get((finding['id'], finding['key']), {})
            since_last = mark.get('since_last') if mark.get('since_last') in ('new', 'ongoing') else 'new'
            findings.append(dict(finding, since_last=since_last,
                                 first_seen=mark.get('first_seen') or record['swept_at']))
        resolved = [dict(item, key=_key_text(item.get('key')), since_last='resolved')
                    for item in source.get('resolved') or []
                    if isinstance(item, Mapping) and item.get('id')] if record['reachable'] else []
        restored.append(_tallied(record, findings, resolved))
    return _host_order(restored)


def _finding_order(finding):
    return (severity_rank(finding.get('severity')), finding['id'], finding['key'])


def _worst(findings):
    return min((f['severity'] for f in findings), key=severity_rank, default=CLEAN)


# ---------------------------------------------------------------- the whole report

def summarize(hosts):
    """Fleet counts of compared HOSTS: hosts by state and worst severity, findings, since last, by id."""
    findings = [f for record in hosts for f in record['findings']]
    by_worst = {name: [r['host'] for r in hosts if r['worst'] == name] for name in SEVERITIES + (CLEAN,)}
    by_id = {}
    for record in hosts:
        for finding in record['findings']:
            entry = by_id.setdefault(finding['id'], {'id': finding['id'], 'severity': finding['severity'],
                                                     'hosts': set(), 'findings': 0})
            entry['findings'] += 1
            entry['hosts'].add(record['host'])
            if severity_rank(finding['severity']) < severity_rank(entry['severity']):
                entry['severity'] = finding['severity']
    checks = [dict(entry, hosts=len(entry['hosts'])) for entry in by_id.values()]
    checks.sort(key=lambda e: (severity_rank(e['severity']), e['id']))
    unreachable = [r['host'] for r in hosts if not r['reachable']]
    return {
        'hosts': dict({'total': len(hosts), 'reachable': len(hosts) - len(unreachable),
                       'unreachable': len(unreachable)},
                      **{name: len(names) for name, names in by_worst.items()}),
        'hosts_with': {severity: sum(1 for r in hosts if r['counts'][severity]) for severity in SEVERITIES},
        'findings': dict({severity: sum(1 for f in findings if f['severity'] == severity)
                          for severity in SEVERITIES}, total=len(findings)),
        'since_last': {
            'new': sum(1 for f in findings if f['since_last'] == 'new'),
            'ongoing': sum(1 for f in findings if f['since_last'] == 'ongoing'),
            'resolved': sum(len(r['resolved']) for r in hosts),
        },
        'hosts_by_worst': by_worst,
        'hosts_unreachable': unreachable,
        'checks': checks,
    }


def decide(hosts, fail_on):
    """The run's verdict: failed when any finding is at least as severe as FAIL_ON (never: never)."""
    if fail_on not in FAIL_ON_CHOICES:
        raise ValueError('fail_on must be one of %s, got %r' % (', '.join(FAIL_ON_CHOICES), fail_on))
    failing = []
    if fail_on != 'never':
        for record in hosts:
            for finding in record['findings']:
                if severity_rank(finding['severity']) <= severity_rank(fail_on):
                    failing.append({'host': record['host'], 'id': finding['id'],
                                    'key': finding['key'], 'severity': finding['severity']})
    return {'fail_on': fail_on, 'failed': bool(failing), 'failing': failing}


def build_report(hosts, previous=None, generated_at=None, sweep_id=None, fail_on='critical', marked=False,
                 notes=()):
    """The whole report (schema version 1) of one sweep, compared with PREVIOUS; with MARKED, of
    records already compared by the sweeps that made them (PREVIOUS is not read)."""
    found = problems(hosts)
    if found:
        raise ValueError('; '.join(found))
    if not generated_at or not sweep_id:
        raise ValueError('generated_at and sweep_id are required')
    if marked:
        previous, note = None, None
        compared = restore_marks(hosts)
    else:
        previous, note = read_previous(previous)
        compared = compare(hosts, previous, generated_at)
    previous_sweep = None
    if previous:
        previous_sweep = {'id': previous['sweep'].get('id'), 'generated_at': previous['sweep'].get('generated_at')}
    return {
        'schema_version': SCHEMA_VERSION,
        'generator': GENERATOR,
        'sweep': {
            'id': sweep_id,
            'generated_at': generated_at,
            'epoch': utc_epoch(generated_at),
            'previous': previous_sweep,
        },
        'notes': ([note] if note else []) + [str(text) for text in notes or ()],
        'decision': decide(compared, fail_on),
        'summary': summarize(compared),
        'license_calendar': license_calendar(compared, generated_at),
        # Evidence quotes logs and commands; the one masking rule runs again over what is written,
        # so a host that returned a secret (an old collection, a new format) does not publish it.
        'hosts': mask_data(compared),
        # Fleet views (plugin_utils/_fleetview.py): the same error on many hosts, versions side by side.
        'fleet_errors': mask_data(fleet_errors(hosts)),
        'versions': version_table(hosts),
    }


def stats_summary(report, report_dir, max_items=20):
    """The small, capped summary for set_stats: enough for an AWX workflow to branch on."""
    max_items = max(int(max_items), 0)
    summary = report['summary']
    critical = summary['hosts_by_worst']['critical']
    unreachable = summary['hosts_unreachable']
    failing = report['decision']['failing']
    return {
        'sweep': report['sweep']['id'],
        'generated_at': report['sweep']['generated_at'],
        'report_dir': report_dir,
        'hosts': summary['hosts']['total'],
        'hosts_unreachable': summary['hosts']['unreachable'],
        'hosts_with_critical': len(critical),
        'findings': dict(summary['findings']),
        'since_last': dict(summary['since_last']),
        'critical_hosts': critical[:max_items],
        'unreachable_hosts': unreachable[:max_items],
        'failing': [_finding_label(f) for f in failing[:max_items]],
        'truncated': max(len(critical), len(unreachable), len(failing)) > max_items,
        'fail_on': report['decision']['fail_on'],
        'failed': report['decision']['failed'],
    }


def host_verdict(report, host, report_dir=''):
    """'' when HOST has no finding at or above the report's fail_on; otherwise the one sentence its
    failure says: which findings, and where the report is."""
    failing = [f for f in report['decision']['failing'] if f['host'] == host]
    if not failing:
        return ''
    labels = ', '.join(_finding_label(f).split(': ', 1)[1] for f in failing)
    return ('%s: %d finding(s) at or above %s (billmgr_health_fail_on): %s. See %s'
            % (host, len(failing), report['decision']['fail_on'], labels,
               (report_dir.rstrip('/') + '/report.html') if report_dir else 'the report'))


def _finding_label(finding):
    label = '%s: %s' % (finding['host'], finding['id'])
    return '%s[%s]' % (label, finding['key']) if finding['key'] else label


# ---------------------------------------------------------------- presentation helpers

def evidence_view(value, depth=0):
    """Evidence as a tree the templates can render without knowing its shape.

    Kinds: ``text`` (a scalar), ``lines`` (a list of scalars, e.g. log lines), ``rows`` (a list of
    dicts: a table with the union of their keys as columns), ``map`` (a dict), ``list`` (anything
    else in a list) and ``json`` (too deep to nest further: JSON text).
    """
    if isinstance(value, Mapping):
        if depth >= EVIDENCE_MAX_DEPTH:
            return {'kind': 'json', 'text': _json_text(value)}
        return {'kind': 'map', 'items': [{'key': scalar_text(key), 'value': evidence_view(item, depth + 1)}
                                         for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        if all(is_scalar(item) for item in value):
            return {'kind': 'lines', 'lines': [scalar_text(item) for item in value]}
        if all(isinstance(item, Mapping) for item in value):
            columns = []
            for row in value:
                columns.extend(scalar_text(key) for key in row if scalar_text(key) not in columns)
            rows = []
            for row in value:
                cells = {scalar_text(key): item for key, item in row.items()}
                rows.append([_cell_text(cells[column]) if column in cells else '' for column in columns])
            return {'kind': 'rows', 'columns': columns, 'rows': rows}
        if depth >= EVIDENCE_MAX_DEPTH:
            return {'kind': 'json', 'text': _json_text(value)}
        return {'kind': 'list', 'items': [evidence_view(item, depth + 1) for item in value]}
    return {'kind': 'text', 'text': scalar_text(value)}


def _cell_text(value):
    return scalar_text(value) if is_scalar(value) else _json_text(value, indent=None)


def _json_text(value, indent=2):
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


def html_escaped(value):
    """A copy of VALUE with every string in it, dict keys included, escaped for HTML text and
    attributes. Escaping the data once, before a template sees it, leaves no value to forget:
    Ansible's templating does not autoescape, not even in an autoescape block."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, Mapping):
        return {html_escaped(key): html_escaped(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [html_escaped(item) for item in value]
    return value


def prom_label(value):
    """A Prometheus label value: backslash, double quote and newline escaped."""
    return scalar_text(value).replace('\\', '\\\\').replace('\n', '\\n').replace('"', '\\"')


# What could start markup anywhere in a line. An underscore inside a word cannot (CommonMark's
# flanking rules), so check_ids like license_unlinked stay readable in the raw file.
_MD_SPECIAL = re.compile(r'([\\`*\[\]<>#|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))')


def md_inline(value):
    """VALUE as one line of Markdown text that renders literally (fit for table cells)."""
    return _MD_SPECIAL.sub(r'\\\1', ' '.join(scalar_text(value).split()))


def md_fence(value, info=''):
    """VALUE as a fenced code block whose fence no backtick run inside it can close."""
    text = scalar_text(value).rstrip('\n')
    longest = max((len(run) for run in re.findall(r'`+', text)), default=0)
    fence = '`' * max(3, longest + 1)
    return '%s%s\n%s\n%s' % (fence, info, text, fence)
