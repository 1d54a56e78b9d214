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

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.billmgr.ops.plugins.plugin_utils._fixes import (
    checkevent_cron_line, debug_close_command, mgr_path, playbook_command, remediate_command)
from ansible_collections.billmgr.ops.plugins.plugin_utils._panelfindings import panel_findings

CRITICAL, WARNING, INFO = 'critical', 'warning', 'info'
SEVERITIES = (CRITICAL, WARNING, INFO)

# The thresholds of the checks, by the names the health role's variables carry after their
# billmgr_health_ prefix (roles/health/defaults/main.yml holds the same values; a unit test checks).
DEFAULT_THRESHOLDS = {
    'clock_skew_warning_seconds': 30,
    'clock_skew_critical_seconds': 300,
    'disk_used_warning_pct': 85,
    'disk_used_critical_pct': 95,
    'inodes_used_warning_pct': 85,
    'inodes_used_critical_pct': 95,
    'memory_min_mb': 2048,
    'memory_available_min_pct': 10,
    'kernel_errors_max': 0,
    'journal_errors_max': 0,
    'license_expiring_warning_days': 14,
    'license_expiring_critical_days': 3,
    'log_errors_warning_count': 10,
    'debug_level_threshold': 8,
    'itemevent_backlog_max_age_minutes': 15,
    'payments_stuck_hours': 2,
    'require_checkevent': True,
    'checkevent_max_interval_minutes': 5,
    'db_disk_used_warning_pct': 80,
    'db_disk_used_critical_pct': 90,
    'db_inodes_used_warning_pct': 85,
    'db_inodes_used_critical_pct': 95,
    'panel_cert_warning_days': 14,
    'panel_cert_critical_days': 3,
}

# Runbook 001's line: checkevent every 5 minutes on a billing that resells through BILLmanager.
CHECKEVENT_LINE = '*/5 * * * *\t/usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1'


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
def skew_text(skew, uncertainty=None):
    """``+5400.0 s ± 1.2 s``; without an uncertainty (a fixed reference time) the skew alone."""
    if skew is None:
        return None
    if uncertainty is None:
        return '%+.1f s' % skew
    return '%+.1f s \u00b1 %.1f s' % (skew, uncertainty)


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
    # Unknown when the caller gave a fixed reference time; the skew is then taken as it is.
    uncertainty = clock.get('skew_uncertainty_seconds') or 0
    warning_at = limits['clock_skew_warning_seconds']
    if skew is not None:
        # The least the clock can be off, given how precisely this call could measure it.
        least = abs(skew) - uncertainty
        evidence = {'skew_seconds': skew, 'uncertainty_seconds': clock.get('skew_uncertainty_seconds'),
                    'host_utc': clock.get('utc')}
        if least >= warning_at:
            critical = least >= limits['clock_skew_critical_seconds']
            found.append(finding(
                'clock_skew', CRITICAL if critical else WARNING,
                'The clock is %s off the controller%s' % (
                    skew_text(skew, clock.get('skew_uncertainty_seconds')),
                    ': the license check fails on a wrong time' if critical else ''),
                evidence,
                'Set the time right (chronyd or systemd-timesyncd with NTP on); the platform checks its '
                'license against the clock.'))
        elif uncertainty > warning_at:
            evidence['note'] = (
                'the controller took %s s from sending the module to reading its result, so the skew is '
                'only known to within %s s, more than the %s s threshold' % (
                    clock.get('round_trip_seconds'), round(uncertainty, 1), warning_at))
            found.append(finding(
                'clock_skew_unmeasured', INFO,
                'The clock skew could not be measured precisely (%s)' % skew_text(skew, uncertainty),
                evidence,
                'Measure again with fewer forks (ansible-playbook playbooks/health.yml -f 5, with --limit '
                'naming this host) or from a less busy controller; on the host, chronyc tracking or '
                'timedatectl timesync-status shows the offset NTP sees.'))
    if clock.get('ntp_synchronized') is False:
        found.append(finding('ntp_unsynced', WARNING, 'The clock is not synchronised with NTP',
                             {'ntp_synchronized': False},
                             'Enable time synchronisation: timedatectl set-ntp true (chronyd or '
                             'systemd-timesyncd).'))
    return found


MOUNT_EVIDENCE = ('mount', 'fs_type', 'size_bytes', 'avail_bytes', 'used_pct', 'inodes_used_pct', 'serves')


def _level(value, limits, name):
    """WARNING or CRITICAL when VALUE reaches ``NAME_warning_pct`` or ``NAME_critical_pct``, else None."""
    if value is None or value < limits[name + '_warning_pct']:
        return None
    return CRITICAL if value >= limits[name + '_critical_pct'] else WARNING


def _mounts(entries):
    """The disk entries that were measured."""
    return [mount for mount in entries or [] if isinstance(mount, dict) and not mount.get('error')]


def _space_findings(mount, limits, prefix, what, evidence, fixes):
    """The space and inode findings of one measured MOUNT: ``disk_low``/``inodes_low`` with PREFIX ''
    (the host's filesystems), ``db_disk_low``/``db_inodes_low`` with PREFIX 'db_' (the database's);
    WHAT names the mount in the summary, FIXES holds the two fix texts."""
    found = []
    used, inodes = mount.get('used_pct'), mount.get('inodes_used_pct')
    level = _level(used, limits, prefix + 'disk_used')
    if level:
        found.append(finding(prefix + 'disk_low', level, '%s is %s%% full' % (what, _pct(used)), evidence,
                             fixes[0], key=mount.get('mount')))
    level = _level(inodes, limits, prefix + 'inodes_used')
    if level:
        found.append(finding(prefix + 'inodes_low', level, '%s has %s%% of its inodes used' % (what, _pct(inodes)),
                             evidence, fixes[1], key=mount.get('mount')))
    return found


def check_disk(facts, limits):
    disks = facts.get('disk')
    if not isinstance(disks, list):
        return []
    found = []
    for mount in _mounts(disks):
        name = mount.get('mount')
        found.extend(_space_findings(
            mount, limits, '', name, {key: mount.get(key) for key in MOUNT_EVIDENCE},
            ('Free space on %s: rotated logs in var/logs/, a debug level left at 9 (see debug_left_on), old '
             'backups; or grow the filesystem.' % name,
             'Remove the many small files filling %s (session and temporary files are the usual cause): '
             'find %s -xdev -type f | cut -d/ -f1-5 | sort | uniq -c | sort -n.' % (name, name))))
    return found


def check_memory(facts, limits):
    memory = _section(facts, 'memory')
    if memory is None or not memory.get('total_bytes'):
        return []
    total, available = memory['total_bytes'], memory.get('available_bytes')
    reasons = []
    if total < limits['memory_min_mb'] * 2 ** 20:
        reasons.append('%d MiB installed, under the %d MiB required' % (total // 2 ** 20, limits['memory_min_mb']))
    if available is not None and available * 100.0 / total < limits['memory_available_min_pct']:
        reasons.append('only %d%% available' % (available * 100 // total))
    if not reasons:
        return []
    return [finding('memory_low', WARNING, 'Memory is short: ' + '; '.join(reasons),
                    {key: memory.get(key) for key in ('total_bytes', 'available_bytes', 'swap_total_bytes',
                                                      'swap_free_bytes')},
                    'Add memory or stop what else runs on the server; BILLmanager needs at least %d MiB.'
                    % limits['memory_min_mb'])]


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


def resells(facts):
    """Whether the host resells through a BILLmanager-integration module: True, False, or None (unknown).

    A module counts when it is on (``active``), or, where the schema has no ``active`` column, when
    it serves items that are not deleted; with neither known, any such module counts.
    """
    db = _section(facts, 'database')
    modules = db.get('reselling_modules') if db else None
    if modules is None:
        return None
    for module in modules:
        if module.get('active') is not None:
            if module['active'] in ('on', 1, '1', True):
                return True
        elif module.get('items') is None or module['items'] > 0:
            return True
    return False


def check_cron(facts, limits):
    cron = _section(facts, 'cron')
    if cron is None or not limits['require_checkevent'] or not resells(facts):
        return []
    checkevent = cron.get('checkevent') or {}
    fix = "Add the runbook's line to root's crontab: %s, or %s." % (
        checkevent_cron_line(_root(facts)), remediate_command('checkevent_missing', limits.get('host')))
    if not checkevent.get('present'):
        return [finding('checkevent_missing', WARNING,
                        "root's crontab has no checkevent line: events from the provider billing are not applied",
                        {'platform_lines': cron.get('platform_lines') or [],
                         'commented_out': checkevent.get('commented_out'), 'runbook_line': CHECKEVENT_LINE},
                        fix)]
    schedule = checkevent.get('schedule') or {}
    interval = schedule.get('interval_minutes')
    if interval is not None and interval <= limits['checkevent_max_interval_minutes']:
        return []
    how_often = 'every %d minutes' % interval if interval is not None else 'on an irregular schedule (%s)' % (
        schedule.get('text'),)
    return [finding('checkevent_slow', WARNING,
                    'checkevent runs %s, less often than every %d minutes: provider events wait that long'
                    % (how_often, limits['checkevent_max_interval_minutes']),
                    {'line': checkevent.get('line'), 'schedule': schedule.get('text'), 'interval_minutes': interval,
                     'runbook_line': CHECKEVENT_LINE},
                    "Make the line run every 5 minutes as the runbook's: %s" % checkevent_cron_line(_root(facts)))]


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
    evidence = {key: lic.get(key) for key in ('id', 'expires', 'expires_text', 'days_left')}
    if lic.get('exit_message'):
        evidence['licctl_error'] = lic['exit_message']
    if not lic.get('linked'):
        found.append(finding('license_unlinked', CRITICAL,
                             'No license is linked to this server (licctl info billmgr: ID: %s)' % lic.get('id'),
                             evidence,
                             'Link it: %s fetch billmgr <activation key> (a new key from the client area; '
                             'the key can be changed once a month), or %s with '
                             'billmgr_remediate_license_key from a vault.'
                             % (mgr_path(_root(facts), 'sbin', 'licctl'),
                                remediate_command('license_unlinked', limits.get('host')))))
    elif lic.get('expires') is None:
        raw = lic.get('expires_text')
        found.append(finding('license_expiry_unknown', INFO,
                             'licctl info printed %s: when the license expires is not known'
                             % ('Expire %r, which is not a date we read' % raw if raw else 'no Expire line'),
                             dict(evidence, lines=lic.get('lines') or []),
                             'Read licctl info billmgr yourself, or the license in the client area; tell us the '
                             'form so that it can be read.'))
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
    unparsed = logs.get('unparsed_headers') or 0
    if unparsed:
        # A writer whose lines no known format reads: its errors would be missing from the counts.
        found.append(finding(
            'log_format_unknown', INFO,
            '%d line(s) holding ERROR start with a time stamp in no known log format since %s'
            % (unparsed, logs.get('since')),
            {'count': unparsed, 'zones': logs.get('zones') or {}},
            'Look at the logs for lines that start with a time but not with [PID]; their ERROR records '
            'are not counted above. billmgr.ops.log_grep counts them as unparsed_headers per call.'))
    return found


def _money_summary(stop):
    """The amounts of a not_enough_money failure as the log gave them; never zeros it did not give."""
    if not stop.get('amounts_logged', stop.get('amount') is not None):
        return 'amounts not logged: billmaintain.log runs below DEBUG'
    return '%s %s needed, %s on the balance, credit limit %s' % (
        stop.get('amount'), stop.get('currency') or '', stop.get('have'), stop.get('limit'))


def check_early_stops(facts, limits):
    """One finding per item: its latest billing failure, with how many there were in the window."""
    stops = _section(facts, 'early_stops')
    if stops is None:
        return []
    latest, counts = {}, {}
    for stop in stops.get('items') or []:
        key = stop.get('item')
        counts[key] = counts.get(key, 0) + 1
        latest[key] = stop
    found = []
    for key, stop in latest.items():
        evidence = dict(stop, failures=counts[key])
        # Without its EXTINFO Query line (a low log level) the thread does not name the item.
        name = key if key is not None else '(item not logged)'
        stopped = stop.get('stopped', True)
        if stop.get('reason') == 'not_enough_money':
            summary = 'not enough money for the overage (%s)' % _money_summary(stop)
            fix = ('Raise the included value of the resource in the tariff plan, allow post-paid overage, or '
                   'give the account a credit limit (playbooks/service_stops.yml shows the balance and limit).')
            if stop.get('amounts_note'):
                fix += ' ' + stop['amounts_note']
        elif stop.get('reason') == 'stat_addon_over_limit':
            summary = 'a resource went past the add-on maximum'
            fix = 'Raise the maximum of the add-on: the service is stopped whatever the balance.'
        else:
            summary = 'no cause in its billmaintain thread'
            fix = 'Read the thread in var/billmaintain.log (billmgr.ops.log_grep).'
        if stopped:
            found.append(finding('services_stopped_early', WARNING, 'Service %s was stopped early: %s'
                                 % (name, summary), evidence, fix, key='' if key is None else key))
        else:
            found.append(finding('overage_unpaid', WARNING, 'billmaintain failed on service %s, not stopped '
                                 '(yet): %s' % (name, summary), evidence, fix, key='' if key is None else key))
    return found


# ---------------------------------------------------------------- database
# How a database that could not be used is reported: by what went wrong, not always as "unreachable".
_DB_FAILURES = {
    'unreachable': ('database_unreachable', 'The billmgr database did not answer',
                    'Check that MariaDB/MySQL runs and that DBHost in etc/billmgr.conf.d/*.conf is right.'),
    'timeout': ('database_unreachable', 'The billmgr database did not answer in time',
                'Check that MariaDB/MySQL runs and is not overloaded.'),
    'refused': ('database_unreachable', 'The billmgr database refused the login',
                'Check DBUser and DBPassword in etc/billmgr.conf.d/*.conf.'),
    'denied': ('database_access_denied', 'The database user may log in but not use the billmgr database',
               'Grant the user of DBUser access to the database of DBName (GRANT ALL ON billmgr.* TO ...), or '
               'correct DBName in etc/billmgr.conf.d/*.conf.'),
    'no_database': ('database_missing', 'The database server has no database of the name DBName gives',
                    'Correct DBName in etc/billmgr.conf.d/*.conf, or restore the database from a backup.'),
}


PAYMENT_EVIDENCE = ('paymethod', 'paymethod_name', 'paymethod_module', 'count', 'over_hours', 'oldest',
                    'oldest_age_seconds')


def _age(seconds):
    if seconds is None:
        return 'age unknown'
    return '%d h' % (seconds // 3600) if seconds >= 3600 else '%d min' % (seconds // 60)


def check_database_access(db, limits):
    kind = db.get('error_kind')
    if kind not in _DB_FAILURES:
        # No client, or output we cannot read: the sweep is incomplete (check_incomplete), not the database.
        return []
    check_id, summary, fix = _DB_FAILURES[kind]
    return [finding(check_id, CRITICAL, summary, {'error': db['error'], 'kind': kind}, fix)]


def check_query_support(db, limits):
    found = []
    for label, names in sorted((db.get('unsupported') or {}).items()):
        found.append(finding('query_unsupported', INFO,
                             'The look-up %s cannot run on this database: it has no %s' % (label, ', '.join(names)),
                             {'query': label, 'missing': names, 'left_out': (db.get('left_out') or {}).get(label, [])},
                             'Nothing to fix on the server; the checks built on %s are skipped here. Tell us the '
                             "schema's names (SHOW COLUMNS) so the look-up can use them." % label, key=label))
    for label, error in sorted((db.get('query_errors') or {}).items()):
        found.append(finding('query_failed', WARNING, 'The look-up %s failed: %s' % (label, error),
                             {'query': label, 'error': error},
                             'Run the SQL of billmgr.ops.billmgr_query for %s by hand (mysql billmgr) and '
                             'read the error.' % label, key=label))
    return found


def check_payments(db, limits):
    methods = db.get('payments_in_pay')
    if not methods:
        return []
    limit = limits['payments_stuck_hours']
    aged = [row for row in methods if (row.get('over_hours') or 0) > 0]
    unknown_age = [row for row in methods if row.get('oldest_age_seconds') is None]
    if not aged and not unknown_age:
        return []
    evidence = {'count': sum(row.get('count') or 0 for row in methods),
                'over_hours': sum(row.get('over_hours') or 0 for row in methods), 'hours': limit,
                'paymethods': [dict((key, row.get(key)) for key in PAYMENT_EVIDENCE) for row in methods]}
    parts = ['%s: %d (oldest %s)' % (row.get('paymethod_name') or 'payment method %s' % row.get('paymethod'),
                                     row.get('count') or 0, _age(row.get('oldest_age_seconds')))
             for row in methods]
    fix = ('If the payment system credited them and their status did not change, re-sync: %s -m billmgr '
           'paymethod.checkpay, or %s. Payments never paid (abandoned checkouts) stay in pay: they are '
           'not an error.' % (mgr_path(limits.get('mgr_root'), 'sbin', 'mgrctl'),
                              remediate_command('payments_stuck', limits.get('host'))))
    if aged:
        return [finding('payments_stuck', WARNING, '%d payment(s) in status 2 (in pay) for over %s h; per method: %s'
                        % (evidence['over_hours'], limit, '; '.join(parts)), evidence, fix)]
    return [finding('payments_stuck', INFO, '%d payment(s) in status 2 (in pay), their age not known; per method: %s'
                    % (evidence['count'], '; '.join(parts)), evidence, fix)]


def check_itemevents(db, limits):
    backlog = db.get('itemevent_backlog')
    if not backlog or not backlog.get('count'):
        return []
    age = backlog.get('oldest_age_seconds')
    fix = 'Run it now and keep it scheduled: %s' % playbook_command(
        'reselling', limits.get('host'), [('reselling_checkevent', 'true')])
    if age is None:
        return [finding('itemevent_backlog', INFO, '%d provider event(s) waiting; their age is not known '
                        '(itemevent has no creation time here)' % backlog['count'], backlog, fix)]
    if age <= limits['itemevent_backlog_max_age_minutes'] * 60:
        return []
    return [finding('itemevent_backlog', WARNING, '%d provider event(s) waiting, the oldest for %d min'
                    % (backlog['count'], age // 60), backlog, fix)]


def check_db_disk(db, limits):
    found = []
    for mount in _mounts(db.get('disk')):
        name = mount.get('mount')
        holds = ' and '.join(mount.get('holds') or []) or 'database files'
        found.extend(_space_findings(
            mount, limits, 'db_', "%s (MariaDB's %s)" % (name, holds),
            {key: mount.get(key) for key in MOUNT_EVIDENCE + ('holds',)},
            ('Free space on %s: MariaDB stops writing when its data directory fills, and large sorts fail '
             'when its tmpdir does; old binary logs and dumps are the usual cause.' % name,
             'Remove the many small files on %s.' % name)))
    return found


def check_database(facts, limits):
    db = facts.get('database')
    if not isinstance(db, dict):
        return []
    if db.get('error'):
        return check_database_access(db, limits)
    found = []
    # The host's root reaches the database checks' fix texts through the limits they share.
    limits = dict(limits, mgr_root=_root(facts))
    for check in (check_query_support, check_payments, check_itemevents, check_db_disk):
        found.extend(check(db, limits))
    return found


def check_panel(facts, limits):
    return panel_findings(facts.get('panel'), facts.get('platform'), limits, _root(facts), finding)


def check_incomplete(facts, limits, sections=None):
    broken = sorted(name for name, section in facts.items()
                    if isinstance(section, dict) and section.get('error')
                    and (name != 'database' or section.get('error_kind') not in _DB_FAILURES)
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
          check_panel, check_license, check_log_errors, check_debug, check_cron, check_database, check_early_stops,
          check_incomplete)
HOST_CHECKS = (check_os, check_clock, check_disk, check_memory, check_kernel, check_journal)


def thresholds(overrides=None):
    limits = dict(DEFAULT_THRESHOLDS)
    for key, value in (overrides or {}).items():
        if key not in limits:
            raise ValueError('unknown threshold %r: known ones are %s' % (key, ', '.join(sorted(limits))))
        limits[key] = value
    return limits


def role_thresholds(role_vars, prefix='billmgr_health_'):
    """The thresholds from a role's variables (PREFIX + threshold name), typed as their defaults;
    ValueError names a variable that is not a number (or a boolean)."""
    limits = {}
    for key, default in DEFAULT_THRESHOLDS.items():
        name = prefix + key
        value = (role_vars or {}).get(name, default)
        try:
            limits[key] = boolean(value, strict=True) if isinstance(default, bool) else int(str(value).strip())
        except (TypeError, ValueError):
            kind = 'true or false' if isinstance(default, bool) else 'a whole number'
            raise ValueError('%s must be %s, got %r' % (name, kind, value))
    return limits


def _judged(check, facts, limits, unjudged):
    """CHECK's findings; a section in a shape it does not know costs that check alone, named in UNJUDGED."""
    try:
        return check(facts, limits)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        unjudged[check.__name__] = '%s: %s' % (type(exc).__name__, exc)
        return []


def host_findings(facts, overrides=None, host=None):
    """Every finding of one host, most severe first. HOST, the inventory name, goes into the
    commands of the fix texts."""
    facts = facts or {}
    limits = dict(thresholds(overrides), host=host)
    found, unjudged = [], {}
    if platform_missing(facts):
        found.extend(check_platform_missing(facts, limits))
        for check in HOST_CHECKS:
            found.extend(_judged(check, facts, limits, unjudged))
        found.extend(check_incomplete(facts, limits, HOST_SECTIONS))
    else:
        for check in CHECKS:
            found.extend(_judged(check, facts, limits, unjudged))
    if unjudged:
        found.append(finding('sweep_incomplete', WARNING,
                             'Part of the sweep could not be judged: %s' % ', '.join(sorted(unjudged)),
                             unjudged, 'The other checks of this host are reported as usual; report the '
                             'evidence (a section of billmgr_facts in a shape the checks do not know).',
                             key='judging'))
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
    if lic is not None and lic.get('activated_before', lic.get('trial_used')):
        found.append(context_item('trial_unavailable', 'A license was activated on this server before (licctl.log '
                                  'has Got lines): a trial license can no longer be activated here',
                                  {'got_lines': lic.get('got_lines') or []}))
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


# ---------------------------------------------------------------- the host's Python
# ansible-core 2.19 runs modules only with Python 3.8 or newer on the managed host. When the sweep's
# module call fails without an answer, a raw probe (no Python needed) names the interpreter Ansible
# would use and its version; an old or missing one is a finding with the fix, not a failed task.
PYTHON_MIN = (3, 8)
PYTHON_PROBE_MARK = 'BILLMGR_PYTHON'
# Python 2 answers too, so an old interpreter is named with its version rather than as unknown.
_PYTHON_SNIPPET = "import sys; sys.stdout.write('%s %d.%d.%d\\n' % ((sys.executable,) + tuple(sys.version_info[:3])))"


def _sh_quote(text):
    return "'" + str(text).replace("'", "'\"'\"'") + "'"


def python_probe_command(candidates):
    """A POSIX shell command printing ``MARK <candidate> <executable> <X.Y.Z>`` for the first of
    CANDIDATES (paths or names, in Ansible's discovery order) that exists, ``MARK <candidate> -
    unknown`` when it does not answer as Python, or ``MARK - - none`` when none exists."""
    names = ' '.join(_sh_quote(name) for name in candidates if str(name).strip())
    mark = PYTHON_PROBE_MARK
    return ('for p in %s; do command -v "$p" >/dev/null 2>&1 || continue; '
            'v=$("$p" -c %s 2>/dev/null | tail -n 1); '
            'if [ -n "$v" ]; then echo "%s $p $v"; else echo "%s $p - unknown"; fi; exit 0; done; '
            'echo "%s - - none"' % (names, _sh_quote(_PYTHON_SNIPPET), mark, mark, mark))


def python_probe_read(output):
    """(candidate, version tuple or None, state) from the probe's output; state is ``ok``, ``old``,
    ``unknown`` (an interpreter that does not answer as Python), ``none`` (no interpreter at all),
    or ``unread`` (no probe line: the output is not what the probe prints)."""
    for line in reversed(str(output or '').splitlines()):
        parts = line.strip().split()
        if len(parts) != 4 or parts[0] != PYTHON_PROBE_MARK:
            continue
        candidate, executable, version = parts[1:]
        if version == 'none':
            return None, None, 'none'
        numbers = version.split('.')
        if version == 'unknown' or not all(n.isdigit() for n in numbers) or len(numbers) < 2:
            return candidate, None, 'unknown'
        found = tuple(int(n) for n in numbers[:3])
        return (executable if executable != '-' else candidate), found, 'ok' if found[:2] >= PYTHON_MIN else 'old'
    return None, None, 'unread'


def python_findings(output, host=None, candidates=(), message=None):
    """``python_unsupported`` when the probe found no usable Python, else nothing (the module call
    failed for another reason, reported as such)."""
    interpreter, version, state = python_probe_read(output)
    if state in ('ok', 'unread'):
        return []
    wanted = '.'.join(str(n) for n in PYTHON_MIN)
    where = host or 'this host'
    if state == 'old':
        summary = 'Python %s at %s is too old for Ansible modules (%s or newer needed)' % (
            '.'.join(str(n) for n in version), interpreter, wanted)
    elif state == 'unknown':
        summary = '%s does not run as Python; Ansible modules need Python %s or newer' % (interpreter, wanted)
    else:
        summary = 'No Python found (looked for %s); Ansible modules need Python %s or newer' % (
            ', '.join(str(name) for name in candidates) or 'python3', wanted)
    evidence = {'interpreter': interpreter, 'version': '.'.join(str(n) for n in version) if version else None,
                'state': state, 'candidates': [str(name) for name in candidates], 'module_message': message}
    fix = ('Install Python %s or newer on %s and point Ansible at it: on EL 8 (system Python 3.6) '
           '`dnf install python39`, then set ansible_python_interpreter=/usr/bin/python3.9 for %s in the '
           'inventory (host_vars/%s.yml); elsewhere the distribution\'s python3 package of %s or newer. '
           'The sweep reads nothing else from the host until then.' % (wanted, where, where, where, wanted))
    return [finding('python_unsupported', CRITICAL, summary, evidence, fix)]
