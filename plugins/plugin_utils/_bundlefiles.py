# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of the support bundle: the host's findings from a sweep report, and the archive's
file name and atomic write."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time

_UNSAFE_RE = re.compile(r'[^A-Za-z0-9_.-]')


def report_findings(text, host):
    """``(findings, note)``: HOST's findings in a report.json's TEXT; None and why when there are none."""
    if not text:
        return None, 'no sweep report was given or found'
    try:
        report = json.loads(text)
    except ValueError as exc:
        return None, 'the sweep report is not JSON: %s' % exc
    for record in (report.get('hosts') or []) if isinstance(report, dict) else []:
        if isinstance(record, dict) and record.get('host') == host:
            return {'sweep': report.get('sweep'), 'host': host, 'reachable': record.get('reachable'),
                    'summary': record.get('summary'), 'findings': record.get('findings') or [],
                    'context': record.get('context') or []}, None
    return None, 'the sweep report has no record of %s' % host


def archive_name(host, now=None):
    """``<host>-<UTC time>.tar.gz``, the host's name made safe for a file name."""
    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(time.time() if now is None else now))
    return '%s-%s.tar.gz' % (_UNSAFE_RE.sub('_', host) or 'host', stamp)


def write_archive(dest, name, data):
    """DATA written as DEST/NAME (0600, DEST created 0700), atomically; ``(path, sha256)``."""
    os.makedirs(dest, mode=0o700, exist_ok=True)
    path = os.path.join(dest, name)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % name, dir=dest)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path, hashlib.sha256(data).hexdigest()
