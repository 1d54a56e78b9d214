"""The fleet's license calendar: rows, their order and the days counted from the report's date."""

from ansible_collections.billmgr.ops.plugins.plugin_utils._licensecalendar import license_calendar

GENERATED = '2026-03-10T23:30:00Z'


def record(host, license_id=123456, expires='2026-04-09', findings=(), reachable=True):
    summary = {'license_id': license_id, 'license_expires': expires} if reachable else {}
    return {'host': host, 'reachable': reachable, 'summary': summary, 'findings': list(findings)}


def test_rows_are_sorted_unlinked_first_then_by_days_left_then_unknown():
    rows = license_calendar([
        record('far', expires='2026-09-01'),
        record('gone', reachable=False),
        record('soon', expires='2026-03-12',
               findings=[{'id': 'license_expiring', 'severity': 'critical'}]),
        record('unlinked', license_id=0, expires=None, findings=[{'id': 'license_unlinked', 'severity': 'critical'}]),
        record('expired', expires='2026-02-26'),
        record('odd', expires='next spring'),
    ], GENERATED)
    assert [row['host'] for row in rows] == ['unlinked', 'expired', 'soon', 'far', 'odd', 'gone']
    by_host = {row['host']: row for row in rows}
    assert by_host['soon']['days_left'] == 2 and by_host['soon']['severity'] == 'critical'
    assert by_host['expired']['days_left'] == -12 and by_host['expired']['state'] == 'expired'
    assert by_host['far']['state'] == 'valid' and by_host['far']['severity'] is None
    assert by_host['odd']['state'] == 'unknown' and by_host['odd']['expires'] is None
    assert by_host['gone']['state'] == 'not_swept' and by_host['gone']['license_id'] is None
    assert by_host['unlinked']['state'] == 'unlinked' and by_host['unlinked']['license_id'] == 0


def test_days_are_counted_from_the_report_date_and_the_epoch_is_the_expiry_day_in_utc():
    row = license_calendar([record('bm01', expires='2026-03-11')], GENERATED)[0]
    # 23:30 UTC on the 10th: one day left, whatever the hour.
    assert row['days_left'] == 1
    assert row['expires_epoch'] == 1773187200  # 2026-03-11T00:00:00Z
    assert row['license_id'] == 123456


def test_a_license_id_given_as_text_is_read_and_garbage_is_none():
    rows = license_calendar([record('a', license_id='654321'), record('b', license_id='n/a')], GENERATED)
    assert {row['host']: row['license_id'] for row in rows} == {'a': 654321, 'b': None}
