# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reselling role's per-host record and the lines it shows of it.

The record is put together from what the role's tasks registered: the crontab read, the item event
backlog before and after checkevent, the plans re-synced, the drift compared and corrected. A task
that did not run registered nothing or a skipped result; both read as "nothing learned".
"""

from __future__ import annotations

RUNBOOK_INTERVAL_MINUTES = 5


def _dict(value):
    return value if isinstance(value, dict) else {}


def _changed(result):
    return bool(_dict(result).get('changed', False))


def _first_row(result, query):
    rows = _dict(_dict(result).get('rows')).get(query) or []
    return rows[0] if rows and isinstance(rows[0], dict) else None


def backlog_before(result, max_age_minutes):
    row = _first_row(result, 'itemevent_backlog') or {}
    count = row.get('count', 0)
    age = row.get('oldest_age_seconds')
    return {'count': count, 'oldest': row.get('oldest'), 'oldest_age_seconds': age,
            'stale': count > 0 and (age or 0) > int(max_age_minutes) * 60}


def backlog_after(result):
    row = _first_row(result, 'itemevent_backlog')
    if not row:
        return None
    return {'count': row.get('count'), 'oldest': row.get('oldest'), 'oldest_age_seconds': row.get('oldest_age_seconds')}


def checkevent_record(checkevent, added, added_line):
    checkevent = _dict(checkevent)
    schedule = checkevent.get('schedule') or {}
    return {
        'present': checkevent.get('present', False),
        'form': checkevent.get('form'),
        'line': checkevent.get('line'),
        'lines': checkevent.get('count', 0),
        'interval_minutes': schedule.get('interval_minutes'),
        'commented_out': checkevent.get('commented_out'),
        'added': added,
        'added_line': added_line if added else None,
    }


def plan_results(synced):
    """One entry per plan re-synced: its id and name, whether the call went through, and its error."""
    out = []
    for result in _dict(synced).get('results') or []:
        plan = result.get('item') or {}
        failed = bool(result.get('failed', False))
        out.append({'id': plan.get('id'), 'intname': plan.get('intname'), 'ok': not failed,
                    'skipped_in_check_mode': bool(result.get('skipped', False) or result.get('skipped_call', False)),
                    'error': result.get('msg') if failed else None})
    return out


def not_compared_because(reseller, drift_check, api_error=None):
    if not reseller:
        return 'not a reseller (no pmbillmgr processing module)'
    if not drift_check:
        return 'billmgr_reselling_drift_check is false'
    if api_error:
        return 'the provider API: %s' % api_error
    return 'no billmgr_provider_host in the inventory, and billmgr_reselling_provider_api is false'


def notes(reseller, provider_host, checkevent, before, after, mgr_root):
    checkevent = _dict(checkevent)
    interval = (checkevent.get('schedule') or {}).get('interval_minutes') or RUNBOOK_INTERVAL_MINUTES
    said = []
    if provider_host is not None and not reseller:
        said.append('the inventory names the provider %s, but the database has no pmbillmgr processing module'
                    % provider_host)
    if reseller and checkevent.get('commented_out'):
        said.append('checkevent is also commented out in the crontab: %s' % checkevent['commented_out'])
    if reseller and (checkevent.get('count') or 0) > 1:
        said.append('%s crontab lines run checkevent; one is enough' % checkevent['count'])
    if reseller and checkevent.get('present') and interval != RUNBOOK_INTERVAL_MINUTES:
        said.append('checkevent runs every %s minutes; the runbooks ask for every %d' % (interval, RUNBOOK_INTERVAL_MINUTES))
    if reseller and before['stale'] and after is None:
        said.append('the oldest provider event waits for %s minutes: is checkevent running?'
                    ' (reselling_checkevent=true runs it now)' % (before['oldest_age_seconds'] // 60))
    # checkevent ran in this run: what is left after it answers the question above.
    if after is not None and int(after.get('count') or 0) > 0:
        said.append('%s provider event(s) still wait after checkevent ran: read %s/var/billmgr.log for why they'
                    ' are not applied' % (after['count'], mgr_root))
    return said


def host_record(given):
    """billmgr_reselling_record of one host, from GIVEN: the role's settings and registered results.

    Keys of GIVEN: host, reseller, provider_host (None when the inventory names none), mgr_root,
    check_mode, local (billmgr_item_sync's read), checkevent (the crontab's checkevent facts),
    cron_added, added_line, backlog, backlog_after, backlog_max_age_minutes, checkevent_run,
    checkevent_ran, imported, sync_requested, synced, compare, drift_check, compared, fix,
    backup_file, backup_written, fixed; api (billmgr_provider_items' read, when the provider was read
    over its API) and api_error (why that read failed).
    """
    reseller = bool(given['reseller'])
    local = _dict(given.get('local'))
    compared = _dict(given.get('compared'))
    fixed = _dict(given.get('fixed'))
    before = backlog_before(given.get('backlog'), given['backlog_max_age_minutes'])
    after = backlog_after(given.get('backlog_after'))
    ran = given.get('checkevent_ran')
    run = bool(given['checkevent_run']) and reseller
    added = _changed(given.get('cron_added'))
    api = _dict(given.get('api'))
    return {
        'host': given['host'],
        'reseller': reseller,
        'provider_host': given.get('provider_host'),
        'provider_modules': local.get('processing_modules') or [],
        'checkevent': checkevent_record(given.get('checkevent'), added, given.get('added_line')) if reseller else None,
        'backlog': before if reseller else None,
        'checkevent_run': {
            'requested': run,
            'ran': _changed(ran) and not _dict(ran).get('skipped_call', False),
            'skipped_in_check_mode': bool(given['check_mode']) and run,
            'backlog_after': after,
        },
        'plans': {
            'imported': given.get('imported') or [],
            'requested': given.get('sync_requested') or [],
            'synced': plan_results(given.get('synced')),
        },
        'drift': {
            'checked': bool(given['compare']),
            'not_checked_because': None if given['compare'] else not_compared_because(
                reseller, given['drift_check'], given.get('api_error')),
            'source': 'database' if given.get('provider_host') is not None else 'api',
            'provider_api': api.get('provider'),
            'unreadable_at_provider': api.get('unreadable') or [],
            'linked_items': len(local.get('linked_items') or []),
            'items': compared.get('drift') or [],
            'not_at_provider': compared.get('not_at_provider') or [],
        },
        'fix': {
            'requested': bool(given['fix']),
            'check_mode': bool(given['check_mode']),
            'backup': given.get('backup_file') if _changed(given.get('backup_written')) else None,
            'changes': fixed.get('changes') or [],
            'conflicts': fixed.get('conflicts') or [],
        },
        'notes': notes(reseller, given.get('provider_host'), given.get('checkevent'), before, after,
                       given.get('mgr_root')),
    }


def summary_lines(record):
    """What the run shows of a host's record, one line per part that applies to it."""
    reseller = record['reseller']
    lines = []
    if not reseller:
        lines.append('not a reseller: left alone')
    else:
        checkevent = record['checkevent']
        lines.append('checkevent: ' + ('present (%s)' % checkevent['form'] if checkevent['present']
                                       else 'missing, added: %s' % checkevent['added_line']))
        backlog = record['backlog']
        line = 'item events waiting: %s' % backlog['count']
        if backlog['count']:
            line += ', the oldest for %s min' % (backlog['oldest_age_seconds'] // 60)
        lines.append(line + (' (stale)' if backlog['stale'] else ''))
    run = record['checkevent_run']
    if run['requested']:
        after = run['backlog_after']
        lines.append('checkevent run: ' + ('skipped in check mode' if run['skipped_in_check_mode']
                                           else 'events waiting after it: %s' % ('?' if after is None else after['count'])))
    plans = record['plans']
    if reseller and plans['requested']:
        failed = [str(plan['id']) for plan in plans['synced'] if not plan['ok']]
        lines.append('plans synced: ' + (', '.join(str(plan['id']) for plan in plans['synced']) or 'none')
                     + (', failed: ' + ', '.join(failed) if failed else ''))
    drift = record['drift']
    if drift['checked']:
        lines.append('drift: %d of %s linked items differ from %s'
                     % (len(drift['items']), drift['linked_items'], record['provider_host'] or 'the provider API'))
    elif reseller:
        lines.append('drift not checked: %s' % drift['not_checked_because'])
    fix = record['fix']
    if fix['requested'] and drift['checked']:
        lines.append('corrected: %d%s, backup: %s, conflicts: %d'
                     % (len(fix['changes']), ' (check mode: would be)' if fix['check_mode'] else '',
                        fix['backup'] or 'none', len(fix['conflicts'])))
    if record['notes']:
        lines.append('; '.join(record['notes']))
    return lines
