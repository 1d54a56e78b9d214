# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate role's decisions: which fixes a host needs and what became of each.

A fix is judged by the second sweep, not by its task: fixed when none of the findings it answered is
left, still failing when one is (with the task's error when it had one). Except payments_stuck:
checkpay settles only what the payment systems report paid, so it is judged by its command, and the
payments left in pay are told with the counts before and after.
"""

from __future__ import annotations

import re

from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import MASK

# The fix catalogue: each id is the health finding the fix answers, in the order fixes run.
FIXES = ('license_unlinked', 'checkevent_missing', 'payments_stuck', 'debug_left_on', 'platform_down')
DEBUG_FIX = 'debug_left_on'
PAYMENTS_FIX = 'payments_stuck'

FIXED = 'fixed'
WOULD_FIX = 'would fix'
STILL_FAILING = 'still failing'
NOT_CHECKED = 'not checked'
NOT_NEEDED = 'not needed'
# The fleet summary's order; a host fails when one of its fixes ends in UNFIXED.
SUMMARY_ORDER = (FIXED, WOULD_FIX, STILL_FAILING, NOT_CHECKED)
UNFIXED = (STILL_FAILING, NOT_CHECKED)

# An AWX survey sends a text field as one string: "license_unlinked, platform_down" counts too.
_ASKED_WORD = re.compile(r'''[^\s,\[\]'"]+''')


def asked_fixes(value):
    """The fix ids asked for, from a list or the string an AWX survey sends; duplicates dropped."""
    if isinstance(value, str):
        words = _ASKED_WORD.findall(value)
    else:
        words = value or []
    asked = []
    for word in words:
        word = str(word).strip()
        if word and word not in asked:
            asked.append(word)
    return asked


def refused(asked):
    """The sentence refusing ids this role does not fix, or '' when every id is known."""
    unknown = [fix for fix in asked if fix not in FIXES]
    if not unknown:
        return ''
    return ('billmgr.ops.remediate: billmgr_remediate names findings this role does not fix: %s. It fixes %s;'
            ' nothing was done.' % (', '.join(unknown), ', '.join(FIXES)))


def in_pay(facts):
    """Every payment in pay, young ones too: checkpay is judged by how many it leaves."""
    rows = ((facts or {}).get('database') or {}).get('payments_in_pay') or []
    return sum(row.get('count', 0) for row in rows)


def level_name(entry):
    """LOG.MODULE of a debug.conf entry, '*' for a whole log."""
    return '%s.%s' % (entry.get('log'), entry.get('module') or '*')


def _debug_levels(record, facts):
    """The high debug levels sorted by their end: expired are undone, forgotten (no end) removed,
    and temporary ones (an expiry still ahead) are someone's debugging, left to run out."""
    if not any(f.get('id') == DEBUG_FIX for f in record.get('findings') or []):
        return [], [], []
    entries = ((facts or {}).get('debug') or {}).get('entries') or []
    expired = [e for e in entries if e.get('expires') is not None and e.get('expired')]
    forgotten = [e for e in entries if e.get('expires') is None]
    temporary = [e for e in entries if e.get('expires') is not None and e.get('expired') is not True]
    return expired, forgotten, temporary


def plan(record, facts, asked):
    """What the first sweep asks of this host.

    RECORD: the health role's record of the host; FACTS: the billmgr_facts it was judged from.
    Each fix's targets are the keys of the findings it answers; a fix with none does not run.
    """
    expired, forgotten, temporary = _debug_levels(record, facts)
    targets = {fix: [f.get('key') for f in record.get('findings') or [] if f.get('id') == fix]
               for fix in FIXES if fix != DEBUG_FIX}
    targets[DEBUG_FIX] = [level_name(entry) for entry in expired + forgotten]
    return {
        'before': record,
        'in_pay_before': in_pay(facts),
        'debug_expired': expired,
        'debug_forgotten': forgotten,
        'debug_temporary': [level_name(entry) for entry in temporary],
        'targets': targets,
        'todo': [fix for fix in asked if targets.get(fix)],
    }


def _failed(result):
    return isinstance(result, dict) and bool(result.get('failed', False))


def _errors(results):
    return [result['msg'] if 'msg' in result else 'failed' for result in results if _failed(result)]


def _done(fix, aimed, settings, in_pay_before, in_pay_after):
    check_mode = settings['check_mode']
    if fix == 'license_unlinked':
        return 'licctl fetch billmgr %s' % ('with the activation key' if settings.get('license_key') else 'without a key')
    if fix == 'checkevent_missing':
        return "checkevent line (%s form, every 5 minutes) added to root's crontab" % settings.get('checkevent_form')
    if fix == PAYMENTS_FIX:
        text = 'mgrctl -m billmgr paymethod.checkpay ran once: %s payment(s) in pay before' % in_pay_before
        if not check_mode:
            text += ', %s after' % in_pay_after
            if int(in_pay_after) != 0:
                text += (' (still pending: the payment systems have not reported them paid;'
                         ' abandoned checkouts stay so)')
        return text
    if fix == 'platform_down':
        return 'started with mgrctl -m billmgr -R'
    return '%s put back, then one platform restart' % ', '.join(aimed)


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def outcome(fix, the_plan, after, in_pay_after, results, settings):
    """{id, status, detail} of one fix asked for; RESULTS: the registered results of its tasks."""
    before = the_plan['before']
    aimed = the_plan['targets'].get(fix, [])
    errors = _errors(results)
    left = [f for f in after.get('findings') or [] if f.get('id') == fix and f.get('key') in aimed]
    done = _done(fix, aimed, settings, the_plan['in_pay_before'], in_pay_after)
    if not (before.get('reachable') and after.get('reachable')):
        status = NOT_CHECKED
        unswept = after if before.get('reachable') else before
        detail = 'the host could not be swept: ' + '; '.join(f.get('summary', '') for f in unswept.get('findings') or [])
    elif not aimed:
        status = NOT_NEEDED
        detail = 'no %s finding on this host' % fix
        if fix == DEBUG_FIX and the_plan['debug_temporary']:
            detail += '; left to run out: ' + ', '.join(the_plan['debug_temporary'])
    elif settings['check_mode']:
        status, detail = WOULD_FIX, done
    elif (errors if fix == PAYMENTS_FIX else left):
        status = STILL_FAILING
        detail = '; '.join(_unique(errors + [f.get('summary') for f in left]))
    else:
        status = FIXED
        detail = done + ('; but: ' + '; '.join(errors) if errors else '')
    detail = detail.strip()
    # licctl masks the key in what it returns; this keeps it out even if an error quoted it.
    if settings.get('license_key'):
        detail = detail.replace(settings['license_key'], MASK)
    return {'id': fix, 'status': status, 'detail': detail}


def host_result(host, the_plan, after, in_pay_after, asked, results, settings):
    """billmgr_remediate_result of one host.

    RESULTS: fix id -> the registered results of the tasks that fix it, plus 'restarts': the
    registered results of the restart and the start (a restart counts only when one happened).
    SETTINGS: check_mode, license_key, checkevent_form.
    """
    restarts = results.get('restarts') or []
    return {
        'host': host,
        'check_mode': bool(settings['check_mode']),
        'restarted': not settings['check_mode'] and any(
            isinstance(r, dict) and r.get('restarted') for r in restarts),
        'fixes': [outcome(fix, the_plan, after, in_pay_after, results.get(fix) or [], settings) for fix in asked],
    }


def fleet_summary(tagged):
    """One line per outcome for the whole fleet: 'fixed: bm01 license_unlinked, ...; would fix: none; ...'."""
    parts = []
    for status in SUMMARY_ORDER:
        hits = ['%s %s' % (fix['host'], fix['id']) for fix in tagged if fix.get('status') == status]
        parts.append('%s: %s' % (status, ', '.join(hits) if hits else 'none'))
    return '; '.join(parts)


def unfixed(fixes):
    """The ids of the fixes asked for that did not take (still failing, or the host not swept)."""
    return [fix['id'] for fix in fixes if fix.get('status') in UNFIXED]
