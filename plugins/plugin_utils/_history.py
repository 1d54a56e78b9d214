# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each host's last sweep, kept in Ansible's fact cache, as the history of the next sweep and the
source of the fleet report.

AWX runs every job in a fresh container, so nothing a job writes to its own disk is there for the
next one; the fact cache ("Enable Fact Storage", or ``fact_caching = jsonfile``) is what AWX keeps
between jobs, per host. The health sweep leaves each host's report entry there (findings already
marked new or ongoing, the resolved ones listed), under the fact named by ``CACHE_FACT``:

- the next sweep compares against these records instead of a report file beside the playbook;
- ``playbooks/fleet_report.yml`` assembles the fleet's report from them alone, so the slices of a
  sliced AWX job, each sweeping part of the fleet, still give one report, one decision.

Plain functions on plain data; the filters in ``plugins/filter/history.py`` are thin.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.billmgr.ops.plugins.plugin_utils._report import SEVERITIES, read_previous, utc_epoch
from ansible_collections.billmgr.ops.plugins.plugin_utils._reportfiles import earlier_reports, read_report

CACHE_FACT = 'billmgr_health_last_sweep'
NOT_SWEPT = 'not_swept'


def cached_records(hostvars, hosts):
    """[record] of HOSTS that have one in the fact cache, in the order given; HOSTVARS is Ansible's
    ``hostvars`` (or any mapping of host name to variables)."""
    found = []
    for host in hosts:
        record = _cached(hostvars, host)
        if record is not None:
            found.append(record)
    return found


def _cached(hostvars, host):
    try:
        variables = hostvars[host]
    except KeyError:
        return None
    # Cached facts are always under ansible_facts; as top-level variables only while
    # INJECT_FACTS_AS_VARS holds, which a site may turn off.
    facts = _get(variables, 'ansible_facts') or {}
    record = _get(facts, CACHE_FACT) if isinstance(facts, Mapping) else None
    if record is None:
        record = _get(variables, CACHE_FACT)
    if not isinstance(record, Mapping) or record.get('host') != host:
        return None
    return dict(record)


def _get(variables, name):
    try:
        return variables[name]
    except (KeyError, TypeError):
        return None
    except Exception:  # an undefined variable of hostvars raises Ansible's own errors
        return None


def previous_report(records):
    """The records of the hosts' last sweeps as the previous report the comparison reads, or None
    when there is none: each record keeps its own sweep time, the newest names the sweep."""
    records = [r for r in records if isinstance(r, Mapping)]
    if not records:
        return None
    newest = max(records, key=lambda r: _record_time(r) or '')
    sweep = newest.get('sweep') if isinstance(newest.get('sweep'), Mapping) else {}
    return {'sweep': {'id': sweep.get('id'), 'generated_at': _record_time(newest)}, 'hosts': records}


def previous_sweep(records, report_dir=None):
    """What a sweep compares with: the hosts' records in the fact cache as a previous report; when no
    host has one (no fact cache configured), the text of the newest earlier report.json in
    REPORT_DIR; '' when there is neither. The text is handed on unparsed, so that a damaged file is
    noted in the report rather than stopping the sweep."""
    previous = previous_report(records)
    if previous is not None:
        return previous
    found = earlier_reports(report_dir) if report_dir else []
    return read_report(found[-1]) if found else ''


def previous_sweep_time(previous):
    """When the previous sweep (as previous_sweep gives it) ran; '' for none or a damaged report."""
    report, _note = read_previous(previous)
    return str(report['sweep'].get('generated_at') or '') if report else ''


def last_swept_at(records):
    """The newest sweep time among RECORDS, '' when none has one."""
    times = [t for t in (_record_time(r) for r in records if isinstance(r, Mapping)) if t]
    return max(times) if times else ''


def _record_time(record):
    sweep = record.get('sweep')
    if isinstance(sweep, Mapping) and sweep.get('generated_at'):
        return str(sweep['generated_at'])
    return str(record.get('swept_at') or '') or None


def records_to_cache(report):
    """{host: record} of a report from findings_report: each host's entry with the sweep it belongs
    to, as the health role leaves it in the fact cache."""
    sweep = {'id': report['sweep']['id'], 'generated_at': report['sweep']['generated_at']}
    return {record['host']: dict(record, sweep=sweep) for record in report['hosts']}


def fleet_records(records, hosts, generated_at, max_age_seconds):
    """(records for the report, [not swept host]) of the fleet HOSTS.

    RECORDS are the cached ones. A host without one, or whose record is older than MAX_AGE_SECONDS
    before GENERATED_AT, gets a record of its own with one ``not_swept`` finding naming what is
    known of its last sweep, so it is listed and counted, never dropped.
    """
    now = utc_epoch(generated_at)
    by_host = {r['host']: r for r in records if isinstance(r, Mapping) and r.get('host')}
    fresh, missing = [], []
    for host in hosts:
        record = by_host.get(host)
        at = _record_time(record) if record else None
        swept = _epoch_or_none(at)
        if swept is not None and now - swept <= max_age_seconds:
            fresh.append(_as_input(record))
        else:
            missing.append(host)
            fresh.append(_not_swept_record(host, record, at, max_age_seconds, generated_at))
    return fresh, missing


# What a cached record holds beyond the report role's input is worked out again from it.
_INPUT_FIELDS = ('host', 'reachable', 'swept_at', 'summary', 'findings', 'resolved', 'context', 'sweep')


def _as_input(record):
    return {name: record[name] for name in _INPUT_FIELDS if name in record}


def _epoch_or_none(timestamp):
    try:
        return utc_epoch(timestamp)
    except (TypeError, ValueError):
        return None


def _not_swept_record(host, record, at, max_age_seconds, generated_at):
    if record is None:
        summary = 'No sweep of this host is in the fact cache: its slice failed, or it was never swept.'
    else:
        summary = ('The last sweep of this host in the fact cache is from %s, older than the %d s '
                   'this report accepts: its slice failed or did not sweep it.'
                   % (at or 'an unknown time', max_age_seconds))
    evidence = {'last_swept_at': at, 'max_age_seconds': max_age_seconds}
    if record is not None:
        evidence['findings_then'] = sorted({str(f.get('id')) for f in record.get('findings') or []
                                            if isinstance(f, Mapping)})
    finding = {
        'id': NOT_SWEPT, 'key': '', 'severity': SEVERITIES[0], 'summary': summary, 'evidence': evidence,
        'fix': ('Look at the sliced job that should have swept it, then sweep it again (health.yml with '
                '--limit %s), with fact storage on, before running fleet_report.yml.' % host),
        'since_last': 'new', 'first_seen': generated_at,
    }
    return {'host': host, 'reachable': False, 'swept_at': at, 'summary': {}, 'findings': [finding],
            'resolved': [], 'context': []}
