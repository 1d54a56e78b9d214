# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn one host's sweep data (the billmgr_facts result) into findings.

A finding is data: ``id``, ``key`` (tells apart several findings of one check), ``severity``
(critical, warning, info), ``summary``, ``evidence`` and ``fix`` (the runbook's remedy, and the
playbook that applies it when one does). Reports are rendered from findings, never from task output.
Each check is a small function of (facts, thresholds); a section that could not be gathered yields
no finding of its own checks but a ``sweep_incomplete`` finding that says which part is missing.
A host without a platform under its mgr root gets ``platform_missing`` and the host checks only:
nothing is judged from data that is not there. Facts that need no action (credit limits, promised
payments, a used trial) are the host's context (``host_context``), not findings, so a host without
findings is clean. Fix texts name the host and its own mgr root (``_fixes``).
"""

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.plugin_utils._fixes import (
    checkevent_cron_line, debug_close_command, mgr_path, playbook_command, remediate_command)

CRITICAL, WARNING, INFO = 'critical', 'warning', 'info'
SEVERITIES = (CRITICAL, WARNING, INFO)

DEFAULT_THRESHOLDS = {
    'clock_skew_warning_seconds': 30,
    'clock_skew_critical_seconds': 300,
    'disk_used_warning_pct': 85,
    'disk_used_critical_pct': 95,
    'inodes_used_warning_pct': 85,
    'inodes_used_critical_pct': 95,
    'memory_min_bytes': 2 * 1024 ** 3,
    'memory_available_min_pct': 10,
    'kernel_errors_max': 0,
    'journal_errors_max': 0,
    'license_expiring_warning_days': 14,
    'license_expiring_critical_days': 3,
    'log_errors_warning_count': 10,
    'debug_level_threshold': 8,
    'itemevent_backlog_max_age_seconds': 900,
    'payments_stuck_hours': 2,
    'require_checkevent': True,
}


def finding(check_id, severity, summary, evidence=None, fix='', key=''):
    return {'id': check_id, 'key': str(key), 'severity': severity, 'summary': summary,
            'evidence': evidence if evidence is not None else {}, 'fix': fix}


def _section(facts, name):
    """The section NAME when it was gathered without error, else None."""
    section = facts.get(name)
    if not isinstance(section, dict) or section.get('error'):
        return None
    return section


def _root(facts):
    return facts.get('mgr_root')


def _pct(value):
    return round(float(value), 1)


# ---------------------------------------------------------------- host
def check_os(facts, limits):
    os_facts = _section(facts, 'os')
    if os_facts is None or os_facts.get('supported') is not False:
        return []
    name = os_facts.get('pretty_name') or '%s %s' % (os_facts.get('id'), os_facts.get('version'))
    return [finding('os_unsupported', WARNING, '%s is not on the list of supported systems' % name,
                    {'id': os_facts.get('id'), 'version': os_facts.get('version'), 'pretty_name': name},
                    'Move the platform to a supported OS release (BILLmanager documentation: system '
                    'requirements), or add this release to billmgr_health_supported_os if it is supported.')]


def check_clock(facts, limits):
    clock = _section(facts, 'clock')
    if clock is None:
        return []
    found = []
    skew = clock.get('skew_seconds')
    if skew is not None and abs(skew) >= limits['clock_skew_warning_seconds']:
        critical = abs(skew) >= limits['clock_skew_critical_seconds']
        found.append(finding(
            'clock_skew', CRITICAL if critical else WARNING,
            'The clock is %+d s off the controller%s' % (skew, ': the license check fails on a wrong time'
                                                         if critical else ''),
            {'skew_seconds': skew, 'host_utc': clock.get('utc')},
            'Set the time right (chronyd or systemd-timesyncd with NTP on); the platform checks its '
            'license against the clock.'))
    if clock.get('ntp_synchronized') is False:
        found.append(finding('ntp_unsynced', WARNING, 'The clock is not synchronised with NTP',
                             {'ntp_synchronized': False},
                             'Enable time synchronisation: timedatectl set-ntp true (chronyd or '
                             'systemd-timesyncd).'))
    return found


def check_disk(facts, limits):
    disks = facts.get('disk')
    if not isinstance(disks, list):
        return []
    found = []
    for mount in disks:
        if not isinstance(mount, dict) or mount.get('error'):
            continue
        evidence = {key: mount.get(key) for key in ('mount', 'fs_type', 'size_bytes', 'avail_bytes',
                                                    'used_pct', 'inodes_used_pct', 'serves')}
        used, inodes = mount.get('used_pct'), mount.get('inodes_used_pct')
        if used is not None and used >= limits['disk_used_warning_pct']:
            found.append(finding(
                'disk_low', CRITICAL if used >= limits['disk_used_critical_pct'] else WARNING,
                '%s is %s%% full' % (mount.get('mount'), _pct(used)), evidence,
                'Free space on %s: rotated logs in var/logs/, a debug level left at 9 (see '
                'debug_left_on), old backups; or grow the filesystem.' % mount.get('mount'),
                key=mount.get('mount')))
        if inodes is not None and inodes >= limits['inodes_used_warning_pct']:
            found.append(finding(
                'inodes_low', CRITICAL if inodes >= limits['inodes_used_critical_pct'] else WARNING,
                '%s has %s%% of its inodes used' % (mount.get('mount'), _pct(inodes)), evidence,
                'Remove the many small files filling %s (session and temporary files are the usual '
                'cause): find %s -xdev -type f | cut -d/ -f1-5 | sort | uniq -c | sort -n.'
                % (mount.get('mount'), mount.get('mount')), key=mount.get('mount')))
    return found


def check_memory(facts, limits):
    memory = _section(facts, 'memory')
    if memory is None or not memory.get('total_bytes'):
        return []
    total, available = memory['total_bytes'], memory.get('available_bytes')
    reasons = []
    if total < limits['memory_min_bytes']:
        reasons.append('%d MiB installed, under the %d MiB required'
                       % (total // 2 ** 20, limits['memory_min_bytes'] // 2 ** 20))
    if available is not None and available * 100.0 / total < limits['memory_available_min_pct']:
        reasons.append('only %d%% available' % (available * 100 // total))
    if not reasons:
        return []
    return [finding('memory_low', WARNING, 'Memory is short: ' + '; '.join(reasons),
                    {key: memory.get(key) for key in ('total_bytes', 'available_bytes', 'swap_total_bytes',
                                                      'swap_free_bytes')},
                    'Add memory or stop what else runs on the server; BILLmanager needs at least %d MiB.'
                    % (limits['memory_min_bytes'] // 2 ** 20))]


def _error_lines(facts, name, check_id, source, limit_key, limits):
    section = _section(facts, name)
    if section is None or not section.get('available'):
        return []
    count = section.get('count') or 0
    if count <= limits[limit_key]:
        return []
    return [finding(check_id, WARNING, '%d %s line(s) match error|failed|critical|bug|panic' % (count, source),
                    {'count': count, 'lines': section.get('lines') or [], 'since': section.get('since')},
                    'Read the lines: a failing disk, the OOM killer or a crashing worker shows here first.')]


def check_kernel(facts, limits):
    return _error_lines(facts, 'kernel_errors', 'kernel_errors', 'kernel ring buffer', 'kernel_errors_max', limits)


def check_journal(facts, limits):
    return _error_lines(facts, 'journal_errors', 'journal_errors', 'journal', 'journal_errors_max', limits)


# ---------------------------------------------------------------- platform
def check_platform(facts, limits):
    # Not _section(): a hung mgrctl leaves an error in the section, and that is the platform being
    # down, the most critical case; `answers` is gathered on its own and stays true to it.
    platform = facts.get('platform')
    if not isinstance(platform, dict) or not platform.get('installed'):
        return []
    found = []
    if platform.get('maintenance'):
        found.append(finding('maintenance_mode', WARNING,
                             'The platform is in maintenance mode (etc/billmgr.DoNothing exists)',
                             {'maintenance_file': True},
                             'Remove etc/billmgr.DoNothing when the maintenance is over; until then '
                             'billing and scheduled jobs do nothing.'))
    if not platform.get('answers'):
        evidence = {'answer_error': platform.get('answer_error'), 'processes': platform.get('processes'),
                    'blocked': platform.get('blocked')}
        found.append(finding('platform_down', CRITICAL, 'The platform does not answer (mgrctl -m billmgr whoami)',
                             evidence,
                             'Start it: %s -m billmgr -R, or %s; then read %s for why it stopped.'
                             % (mgr_path(_root(facts), 'sbin', 'mgrctl'),
                                remediate_command('platform_down', limits.get('host')),
                                mgr_path(_root(facts), 'var', 'billmgr.log'))))
    return found


def check_cron(facts, limits):
    cron = _section(facts, 'cron')
    if cron is None or not limits['require_checkevent']:
        return []
    checkevent = cron.get('checkevent') or {}
    if checkevent.get('present'):
        return []
    return [finding('checkevent_missing', WARNING,
                    "root's crontab has no checkevent line: events from the provider billing are not applied",
                    {'platform_lines': cron.get('platform_lines') or []},
                    "Add %s to root's crontab, or %s."
                    % (checkevent_cron_line(_root(facts)), remediate_command('checkevent_missing', limits.get('host'))))]


def check_debug(facts, limits):
    entries = facts.get('debug')
    if isinstance(entries, dict):
        entries = entries.get('entries')
    if not isinstance(entries, list):
        return []
    found = []
    for entry in entries:
        level = entry.get('level')
        if level is None or level < limits['debug_level_threshold']:
            continue
        name = '%s.%s' % (entry.get('log'), entry.get('module') or '*')
        if entry.get('expires'):
            summary = '%s is at level %s until %s' % (name, level, entry['expires'])
        else:
            summary = '%s is at level %s with no end set: it fills the disk' % (name, level)
        found.append(finding('debug_left_on', WARNING, summary,
                             {'entry': name, 'level': level, 'expires': entry.get('expires'),
                              'managed': bool(entry.get('managed')), 'previous': entry.get('previous')},
                             _debug_fix(entry, limits.get('host')), key=name))
    return found


def _debug_fix(entry, host):
    # debug.yml only undoes the lines it wrote (it leaves an operator's line alone); remediate
    # removes an operator's forgotten line and undoes an expired one of ours.
    if entry.get('managed'):
        return ('Close the window now (the level it replaced comes back, then one restart): %s'
                % debug_close_command(entry.get('log'), entry.get('module') or '*', host))
    return ('This line was set by hand, so debug.yml leaves it alone. Remove it and restart: %s '
            '(or delete the line from etc/debug.conf and restart the platform).'
            % remediate_command('debug_left_on', host))


# ---------------------------------------------------------------- license
def check_license(facts, limits):
    lic = _section(facts, 'license')
    if lic is None:
        return []
    found = []
    evidence = {key: lic.get(key) for key in ('id', 'expires', 'days_left')}
    if not lic.get('linked'):
        found.append(finding('license_unlinked', CRITICAL,
                             'No license is linked to this server (licctl info billmgr: ID: %s)' % lic.get('id'),
                             evidence,
                             'Link it: %s fetch billmgr <activation key> (a new key from the client area; '
                             'the key can be changed once a month), or %s with '
                             'billmgr_remediate_license_key from a vault.'
                             % (mgr_path(_root(facts), 'sbin', 'licctl'),
                                remediate_command('license_unlinked', limits.get('host')))))
    else:
        days = lic.get('days_left')
        if days is not None and days <= limits['license_expiring_warning_days']:
            critical = days <= limits['license_expiring_critical_days']
            found.append(finding('license_expiring', CRITICAL if critical else WARNING,
                                 'The license %s %s' % ('expired' if days < 0 else 'expires',
                                                        ('%d day(s) ago' % -days) if days < 0
                                                        else 'in %d day(s) (%s)' % (days, lic.get('expires'))),
                                 evidence,
                                 'Renew the license in the client area, then %s fetch billmgr to refresh it.'
                                 % mgr_path(_root(facts), 'sbin', 'licctl')))
    return found


# ---------------------------------------------------------------- logs
def check_log_errors(facts, limits):
    logs = _section(facts, 'log_errors')
    if logs is None:
        return []
    found = []
    for error_type, sample in sorted((logs.get('by_error_type') or {}).items()):
        count = sample.get('count', 0)
        if not count:
            continue
        found.append(finding(
            'log_errors', WARNING if count >= limits['log_errors_warning_count'] else INFO,
            '%d ERROR record(s) of type %s since %s' % (count, error_type, logs.get('since')),
            {'count': count, 'error_type': error_type, 'log': sample.get('log'),
             'thread': sample.get('thread_key'), 'time': sample.get('time'),
             'message': sample.get('message'), 'thread_lines': sample.get('context') or []},
            'Read the sample thread; the same search over SSH: billmgr.ops.log_grep with '
            "pattern and since, or grep -F '%s' %s." % (
                sample.get('thread_key') or '', mgr_path(_root(facts), 'var', '%s.log' % (sample.get('log') or 'billmgr'))),
            key=error_type))
    return found


def check_early_stops(facts, limits):
    stops = _section(facts, 'early_stops')
    if stops is None:
        return []
    found = []
    for stop in stops.get('items') or []:
        if stop.get('reason') == 'not_enough_money':
            summary = ('Service %s was stopped early: not enough money for the overage (%s %s needed, %s on '
                       'the balance)' % (stop.get('item'), stop.get('amount'), stop.get('currency'), stop.get('have')))
            fix = ('Raise the included value of the resource in the tariff plan, allow post-paid overage, or '
                   'give the account a credit limit.')
        else:
            summary = 'Service %s was stopped early: a resource went past the add-on maximum' % stop.get('item')
            fix = 'Raise the maximum of the add-on: the service is stopped whatever the balance.'
        found.append(finding('services_stopped_early', WARNING, summary, stop, fix, key=stop.get('item')))
    return found


# ---------------------------------------------------------------- database
def check_database(facts, limits):
    db = facts.get('database')
    if not isinstance(db, dict):
        return []
    if db.get('error'):
        return [finding('database_unreachable', CRITICAL, 'The billmgr database did not answer', {'error': db['error']},
                        'Check that MariaDB/MySQL runs and that DBHost/DBUser/DBName in '
                        'etc/billmgr.conf.d/*.conf are right.')]
    found = []
    backlog = db.get('itemevent_backlog') or {}
    if backlog.get('count') and (backlog.get('oldest_age_seconds') or 0) > limits['itemevent_backlog_max_age_seconds']:
        found.append(finding('itemevent_backlog', WARNING,
                             '%d provider event(s) waiting, the oldest for %d min' % (
                                 backlog['count'], backlog['oldest_age_seconds'] // 60), backlog,
                             'Run it now and keep it scheduled: %s'
                             % playbook_command('reselling', limits.get('host'), [('reselling_checkevent', 'true')])))
    stuck = db.get('stuck_payments') or []
    if stuck:
        found.append(finding('payments_stuck', WARNING,
                             '%d payment(s) stuck in status 2 (in pay) for over %s h' % (
                                 len(stuck), limits['payments_stuck_hours']),
                             {'payments': stuck[:20], 'count': len(stuck)},
                             'Re-sync with the payment systems: %s -m billmgr paymethod.checkpay, or %s.'
                             % (mgr_path(_root(facts), 'sbin', 'mgrctl'),
                                remediate_command('payments_stuck', limits.get('host')))))
    return found


def check_incomplete(facts, limits, sections=None):
    broken = sorted(name for name, section in facts.items()
                    if isinstance(section, dict) and section.get('error') and name != 'database'
                    and (sections is None or name in sections))
    if not broken:
        return []
    return [finding('sweep_incomplete', WARNING, 'Part of the sweep failed: %s' % ', '.join(broken),
                    {name: facts[name].get('error') for name in broken},
                    'Look at the errors; the other checks of this host are reported as usual.')]


# ---------------------------------------------------------------- no platform at all
# What the host itself tells, whatever is installed; every other check reads the platform.
HOST_SECTIONS = ('os', 'clock', 'disk', 'memory', 'kernel_errors', 'journal_errors')


def platform_missing(facts):
    """True when the sweep looked for the platform and found no mgrctl under the mgr root."""
    platform = facts.get('platform')
    return isinstance(platform, dict) and platform.get('installed') is False


def check_platform_missing(facts, limits):
    root = mgr_path(_root(facts))
    return [finding('platform_missing', CRITICAL,
                    'No BILLmanager under %s: %s is not there, so nothing of the platform was checked'
                    % (root, mgr_path(root, 'sbin', 'mgrctl')),
                    {'mgr_root': root, 'answer_error': facts['platform'].get('answer_error')},
                    'Set billmgr_mgr_root of %s in the inventory to the directory the platform is installed '
                    'in (the default is /usr/local/mgr5), or take the host out of the group the playbooks '
                    'run on (billmgr_hosts, default billmgr).' % (limits.get('host') or 'this host'))]


CHECKS = (check_os, check_clock, check_disk, check_memory, check_kernel, check_journal, check_platform,
          check_license, check_log_errors, check_debug, check_cron, check_database, check_early_stops,
          check_incomplete)
HOST_CHECKS = (check_os, check_clock, check_disk, check_memory, check_kernel, check_journal)


def thresholds(overrides=None):
    limits = dict(DEFAULT_THRESHOLDS)
    for key, value in (overrides or {}).items():
        if key not in limits:
            raise ValueError('unknown threshold %r: known ones are %s' % (key, ', '.join(sorted(limits))))
        limits[key] = value
    return limits


def host_findings(facts, overrides=None, host=None):
    """Every finding of one host, most severe first. HOST, the inventory name, goes into the
    commands of the fix texts."""
    facts = facts or {}
    limits = dict(thresholds(overrides), host=host)
    found = []
    if platform_missing(facts):
        found.extend(check_platform_missing(facts, limits))
        for check in HOST_CHECKS:
            found.extend(check(facts, limits))
        found.extend(check_incomplete(facts, limits, HOST_SECTIONS))
    else:
        for check in CHECKS:
            found.extend(check(facts, limits))
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(found, key=lambda item: (order[item['severity']], item['id'], item['key']))


# ---------------------------------------------------------------- context, not findings
def context_item(context_id, summary, evidence):
    return {'id': context_id, 'summary': summary, 'evidence': evidence}


def host_context(facts):
    """What explains a host's state and asks nothing of the operator: listed beside its findings."""
    facts = facts or {}
    if platform_missing(facts):
        return []
    found = []
    lic = _section(facts, 'license')
    if lic is not None and lic.get('trial_used'):
        found.append(context_item('trial_used', 'A trial license was already activated on this server: only '
                                  'a commercial license can be linked here now', {'trial_used': True}))
    db = facts.get('database')
    if isinstance(db, dict) and not db.get('error'):
        promised = db.get('promised_payments') or []
        if promised:
            found.append(context_item('promised_payments', '%d service(s) run on a promised payment, which '
                                      'explains services kept on credit' % len(promised),
                                      {'count': len(promised), 'rows': promised[:20]}))
        credit = db.get('credit_limits') or []
        if credit:
            found.append(context_item('credit_limits', '%d account(s) have a credit limit above zero: their '
                                      'overage is charged instead of stopping services' % len(credit),
                                      {'count': len(credit), 'rows': credit[:20]}))
    return found


def unreachable_finding(message):
    return finding('unreachable', CRITICAL, 'The host could not be swept: %s' % (message or 'unreachable'),
                   {'message': message},
                   'Check SSH access from the controller (address, key, become) and that the host is up.')
