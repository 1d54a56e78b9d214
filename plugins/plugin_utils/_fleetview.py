# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Views of the whole fleet that no single host's findings give: the same error on many hosts as
one row, and hosts whose platform version is not the fleet's.

Plain functions on the health role's host records (``host``, ``reachable``, ``summary``,
``findings``, and ``errors``: the host's ERROR records grouped by type and object, see
module_utils/_logs/errorgroups.py), so the filters stay thin and the unit tests call these directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

VERSION_CHECK = 'version_drift'
# A sample thread is shown in the report; its lines are capped like a finding's evidence.
SAMPLE_LINES = 60
_NUMBERS = re.compile(r'[0-9]+')


# ---------------------------------------------------------------- errors across the fleet

def host_errors(facts):
    """The ``errors`` of a host record from its billmgr_facts: the groups its sweep made, or None
    when the log_errors section is missing or failed (nothing known, not "no errors")."""
    section = (facts or {}).get('log_errors')
    if not isinstance(section, Mapping) or section.get('error'):
        return None
    grouped = section.get('by_error')
    if not isinstance(grouped, Mapping):
        return None
    return {'complete': bool(grouped.get('complete')), 'dropped': grouped.get('dropped') or 0,
            'groups': [group for group in grouped.get('groups') or [] if isinstance(group, Mapping)]}


def _earliest(current, moment):
    return moment if moment and (not current or moment < current) else current


def _latest(current, moment):
    return moment if moment and (not current or moment > current) else current


def fleet_errors(records):
    """One row per (error type, object) over every host record in RECORDS, most hosts first.

    A row: ``type``, ``object``, ``host_count``, ``records`` (summed over the hosts), ``first`` and
    ``last`` (as each host's log stamps them: the hosts' local times), ``complete`` (false when a
    host counted only the records its sweep kept), ``hosts`` (``host``, ``records``, ``first``,
    ``last``, most records first) and ``sample`` (the thread of the earliest record seen, with its
    host).  Records without ``errors`` (unreachable, an older sweep) add nothing.
    """
    rows = {}
    for record in records or []:
        if not isinstance(record, Mapping):
            continue
        errors = record.get('errors')
        if not isinstance(errors, Mapping):
            continue
        for group in errors.get('groups') or []:
            if not isinstance(group, Mapping):
                continue
            key = (str(group.get('type') or 'other'), str(group.get('object') or ''))
            row = rows.setdefault(key, {'type': key[0], 'object': key[1], 'host_count': 0, 'records': 0,
                                        'first': None, 'last': None, 'complete': True, 'hosts': [],
                                        'sample': None})
            count = group.get('records') if isinstance(group.get('records'), int) else 0
            first, last = group.get('first'), group.get('last')
            row['host_count'] += 1
            row['records'] += count
            row['complete'] = row['complete'] and bool(errors.get('complete'))
            row['hosts'].append({'host': record.get('host'), 'records': count, 'first': first, 'last': last})
            if row['sample'] is None or (first and (not row['sample']['time'] or first < row['sample']['time'])):
                row['sample'] = {'host': record.get('host'), 'time': first, 'log': group.get('log'),
                                 'thread_key': group.get('thread_key'), 'message': group.get('message'),
                                 'thread_lines': list(group.get('thread_lines') or [])[:SAMPLE_LINES]}
            row['first'] = _earliest(row['first'], first)
            row['last'] = _latest(row['last'], last)
    for row in rows.values():
        row['hosts'].sort(key=lambda entry: (-entry['records'], str(entry['host'])))
    return sorted(rows.values(), key=lambda row: (-row['host_count'], -row['records'], row['type'], row['object']))


# ---------------------------------------------------------------- platform versions

def version_key(version):
    """Sort key of a version text: its numbers in order (6.112.0 after 6.99.1), then the text."""
    return (tuple(int(number) for number in _NUMBERS.findall(version)), version)


def _versions(records):
    """{host: version} of the reachable records whose sweep read a platform version."""
    found = {}
    for record in records or []:
        if not isinstance(record, Mapping) or record.get('reachable') is False:
            continue
        version = (record.get('summary') or {}).get('platform_version')
        if isinstance(version, str) and version.strip():
            found[record.get('host')] = version.strip()
    return found


def version_table(records):
    """The fleet's platform versions side by side.

    ``fleet_version`` is the most common one (on a tie, the newest: the others are behind it);
    ``versions`` lists each version with its hosts, most hosts first; ``drifting`` the hosts on
    another version, each with both versions.  None when no host's version is known.
    """
    found = _versions(records)
    if not found:
        return None
    by_version = {}
    for host, version in found.items():
        by_version.setdefault(version, []).append(host)
    ranked = sorted(by_version.items(), key=lambda pair: (len(pair[1]), version_key(pair[0])), reverse=True)
    fleet_version = ranked[0][0]
    return {
        'fleet_version': fleet_version,
        'hosts': len(found),
        'versions': [{'version': version, 'host_count': len(hosts), 'hosts': sorted(hosts),
                      'fleet': version == fleet_version} for version, hosts in ranked],
        'drifting': [{'host': host, 'version': found[host], 'fleet_version': fleet_version,
                      'direction': 'newer' if version_key(found[host]) > version_key(fleet_version) else 'older'}
                     for host in sorted(found) if found[host] != fleet_version],
    }


def version_finding(entry, table):
    """The info finding of one drifting host ENTRY of TABLE."""
    others = next(v['host_count'] for v in table['versions'] if v['fleet'])
    return {
        'id': VERSION_CHECK, 'key': '', 'severity': 'info',
        'summary': 'BILLmanager %s here, %s on most of the fleet (%d of %d hosts): this host is %s'
                   % (entry['version'], entry['fleet_version'], others, table['hosts'], entry['direction']),
        'evidence': {'version': entry['version'], 'fleet_version': entry['fleet_version'],
                     'versions': {v['version']: v['host_count'] for v in table['versions']}},
        'fix': _version_fix(entry),
    }


def _version_fix(entry):
    if entry['direction'] == 'older':
        return ('Update this host to %s with the platform\'s own update (the vendor\'s packages), in a '
                'maintenance window.' % entry['fleet_version'])
    return ('This host is ahead of the fleet: plan the update of the hosts still on %s, or hold this '
            'one back if the newer version was not meant for it yet.' % entry['fleet_version'])


def with_version_drift(records):
    """RECORDS with a ``version_drift`` info finding added to each host not on the fleet's version."""
    table = version_table(records)
    drifting = {entry['host']: entry for entry in (table or {}).get('drifting', [])}
    result = []
    for record in records or []:
        if isinstance(record, Mapping) and record.get('host') in drifting:
            kept = [f for f in record.get('findings') or [] if not (isinstance(f, Mapping) and f.get('id') == VERSION_CHECK)]
            record = dict(record, findings=kept + [version_finding(drifting[record['host']], table)])
        result.append(record)
    return result
