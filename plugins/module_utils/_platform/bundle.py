# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The support bundle of one host, built in memory: what the vendor's support asks for, masked.

``build_bundle(request)`` returns ``(archive bytes, manifest)``: a gzip'd tar that never touches the
host's disk (nothing to clean up, nothing left behind), holding

- ``errors/threads.txt`` and ``errors/records.json``: the ERROR records of the window in every log
  asked for (every log writer by default), each with the lines of its thread around it;
- ``logs/<name>.log``: each live log, whole when it is small, else cut to the stretches around its
  errors of the window and its last lines, with a marker where bytes were left out;
- ``config/``: debug.conf, billmgr.conf, billmgr.conf.d/*.conf and ihttpd.conf;
- ``license/licctl_info.txt``; ``host/facts.json`` (OS, platform version and processes, disk, inodes,
  memory, root's crontab lines of the platform), ``host/versions.txt``, ``host/packages.txt``;
- ``sweep/findings.json``: the sweep's findings for the host, handed in by the controller;
- ``manifest.json``: the window, every file with its size and SHA-256, what was cut or left out.

Everything that goes in passes the one masking rule (``secrets``) with the secrets the host's own
files name (DBPassword, licctl's key lines) added. The size bound counts the uncompressed content,
so the archive is never larger. Stdlib only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform as pyplatform
import re
import tarfile
import time

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.hostfacts import gather
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import open_regular, read_text
from ansible_collections.billmgr.ops.plugins.module_utils._platform.licctl import info_argv
from ansible_collections.billmgr.ops.plugins.module_utils._platform.license import license_facts
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import scan
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logsources import find_sources
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import conf_secrets, mask_conf_text, mask_data, mask_text

HOST_SECTIONS = ('os', 'disk', 'memory', 'platform', 'cron')
# Package names of the platform on Debian/Ubuntu and RHEL-like systems (coremanager, billmanager-*,
# ispsystem-*, ihttpd, mgr5 packages of the vendor's repository).
PACKAGE_RE = re.compile(r'(?:billmanager|coremanager|ispsystem|ihttpd|isp-|mgr5)', re.IGNORECASE)
PACKAGE_QUERIES = (
    ('dpkg-query', ['-W', '-f', '${Package} ${Version}\\n']),
    ('rpm', ['-qa', '--qf', '%{NAME} %{VERSION}-%{RELEASE}\\n']),
)
# The last stretch of a cut log, and the most kept around one error.
TAIL_BYTES = 64 * 1024
AROUND_MAX_BYTES = 64 * 1024
CUT_MARK = '\n[... %d bytes left out by billmgr.ops.support_bundle ...]\n'
MAX_RECORDS = 500


class BundleRequest:
    """What one bundle needs: the facts request of the host, the window and the bounds."""

    def __init__(self, facts_request, since, until=None, logs=('*',), max_bytes=8 << 20, log_bytes=1 << 20,
                 thread_lines=200, findings=None, host=None):
        self.facts = facts_request
        self.layout = facts_request.layout
        self.since = since
        self.until = until
        self.logs = list(logs)
        self.max_bytes = max_bytes
        self.log_bytes = log_bytes
        self.thread_lines = thread_lines
        self.findings = findings
        self.host = host


class _Contents:
    """The files of the bundle under one size bound; what does not fit is listed, not silently lost."""

    def __init__(self, max_bytes, secrets):
        self.max_bytes = max_bytes
        self.secrets = secrets
        self.files = []
        self.listed = []
        self.left_out = []
        self.errors = {}
        self.used = 0

    def add(self, path, text, note=None, masked=False):
        data = (text if masked else mask_text(text, self.secrets)).encode('utf-8')
        if self.used + len(data) > self.max_bytes:
            self.left_out.append({'path': path, 'bytes': len(data),
                                  'reason': 'the bundle would pass max_bytes (%d)' % self.max_bytes})
            return False
        self.used += len(data)
        self.files.append((path, data))
        entry = {'path': path, 'bytes': len(data), 'sha256': hashlib.sha256(data).hexdigest()}
        if note:
            entry['note'] = note
        self.listed.append(entry)
        return True

    def add_json(self, path, value):
        return self.add(path, json.dumps(mask_data(value, self.secrets), indent=1, sort_keys=True, default=str) + '\n',
                        masked=True)


# ---------------------------------------------------------------- secrets and config

def _config_files(layout):
    files = [layout.debug_conf, layout.manager_conf]
    try:
        names = sorted(os.listdir(layout.manager_conf_dir))
    except OSError:
        names = []
    files.extend(os.path.join(layout.manager_conf_dir, name) for name in names if name.endswith('.conf'))
    files.append(os.path.join(layout.etc_dir, 'ihttpd.conf'))
    return files


def _read_configs(layout, errors):
    texts = []
    for path in _config_files(layout):
        try:
            texts.append((path, read_text(path, what='platform config')))
        except FileNotFoundError:
            continue
        except OSError as exc:
            errors[os.path.relpath(path, layout.root)] = str(exc)
    return texts


def _license(request, secrets, errors):
    layout = request.layout
    if not os.path.exists(layout.licctl):
        errors['license'] = 'licctl not found at %s' % layout.licctl
        return None
    run = request.facts.runner.run(info_argv(layout.licctl, layout.manager), request.facts.tool_timeout)
    _found, found_secrets = license_facts(run.stdout, layout.licctl_log)
    secrets.extend(found_secrets)
    text = '$ %s\n%s' % (' '.join(info_argv(layout.licctl, layout.manager)), run.stdout)
    if run.rc != 0 or run.timed_out:
        text += '\n[exit status %s%s]\n%s' % (run.rc, ', timed out' if run.timed_out else '', run.stderr)
    return text


# ---------------------------------------------------------------- host

def _packages(request):
    for tool, tail in PACKAGE_QUERIES:
        path = request.facts.find_tool(tool)
        if path is None:
            continue
        run = request.facts.runner.run([path] + tail, request.facts.tool_timeout)
        lines = sorted(line for line in run.stdout.splitlines() if PACKAGE_RE.search(line.split(' ', 1)[0]))
        head = '# %s, names matching %s\n' % (' '.join([tool] + tail), PACKAGE_RE.pattern)
        if run.rc != 0 or run.timed_out:
            head += '# exit status %s%s\n' % (run.rc, ', timed out' if run.timed_out else '')
        return head + ('\n'.join(lines) + '\n' if lines else '# no platform package found\n')
    return '# neither dpkg-query nor rpm is on this host\n'


def _versions(facts):
    os_facts = facts.get('os') or {}
    platform = facts.get('platform') or {}
    return ''.join('%s: %s\n' % pair for pair in (
        ('platform_version', platform.get('version')),
        ('os', os_facts.get('pretty_name')),
        ('os_id', os_facts.get('id')),
        ('os_version_id', os_facts.get('version_id')),
        ('kernel', pyplatform.release()),
        ('python', pyplatform.python_version()),
    ))


def _crontab(facts):
    cron = facts.get('cron') or {}
    lines = ['# root\'s crontab lines of the platform (%s)' % (cron.get('source') or 'no crontab found')]
    checkevent = cron.get('checkevent') or {}
    if checkevent.get('line'):
        lines.append(checkevent['line'])
    lines.extend(cron.get('platform_lines') or [])
    if cron.get('error'):
        lines.append('# error: %s' % cron['error'])
    return '\n'.join(lines) + '\n'


# ---------------------------------------------------------------- errors and logs

def _threads_text(matches):
    parts = []
    for match in matches:
        error = match.get('error') or {}
        parts.append('=== %s %s [%s] %s %s\n' % (match.get('log'), match.get('time'), match.get('thread_key'),
                                                 match.get('level'), error.get('type') or ''))
        parts.append('%s\n' % match.get('message'))
        context = match.get('context') or []
        if context:
            parts.append('--- the thread around it (%d lines)\n%s\n' % (len(context), '\n'.join(context)))
    return ''.join(parts) or 'No ERROR record in the window.\n'


def _line_aligned(fd, start, end, size):
    """(start, end) moved to whole lines: the first partial line and the last are dropped."""
    if start > 0:
        head = os.pread(fd, min(4096, end - start), start)
        cut = head.find(b'\n')
        start = start + cut + 1 if cut >= 0 else start
    if end < size:
        tail = os.pread(fd, min(4096, end - start), max(start, end - 4096))
        cut = tail.rfind(b'\n')
        end = max(start, end - 4096) + cut + 1 if cut >= 0 else end
    return start, max(start, end)


def _merged(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def log_excerpt(path, offsets, budget):
    """``(text, cut)``: PATH whole when it fits BUDGET, else the stretches around OFFSETS and its tail."""
    fd = open_regular(path, what='log')
    try:
        size = os.fstat(fd).st_size
        if size <= budget:
            return os.pread(fd, size, 0).decode('utf-8', 'replace'), False
        tail = min(TAIL_BYTES, budget // 4)
        around = min(AROUND_MAX_BYTES, (budget - tail) // max(1, 2 * len(offsets))) if offsets else 0
        spans = [(max(0, offset - around), min(size, offset + around)) for offset in offsets] if around else []
        spans.append((size - tail, size))
        pieces, kept, position = [], 0, 0
        for start, end in _merged(spans):
            if kept >= budget:
                break
            end = min(end, start + budget - kept)
            start, end = _line_aligned(fd, start, end, size)
            if start > position:
                pieces.append(CUT_MARK % (start - position))
            pieces.append(os.pread(fd, end - start, start).decode('utf-8', 'replace'))
            kept += end - start
            position = end
        if position < size:
            pieces.append(CUT_MARK % (size - position))
        return ''.join(pieces), True
    finally:
        os.close(fd)


def _logs(request, contents, matches):
    sources, _missing = find_sources(request.layout, request.logs)
    offsets = {}
    for match in matches:
        offsets.setdefault(match.get('file'), []).append(match.get('offset') or 0)
    # Smallest first: every small log fits whole, the largest are the ones cut.
    sized = []
    for source in sources:
        try:
            sized.append((os.stat(source.path).st_size, source))
        except OSError as exc:
            contents.errors['logs/%s.log' % source.log] = str(exc)
    for size, source in sorted(sized, key=lambda pair: (pair[0], pair[1].log)):
        try:
            text, cut = log_excerpt(source.path, offsets.get(source.path, []), request.log_bytes)
        except OSError as exc:
            contents.errors['logs/%s.log' % source.log] = str(exc)
            continue
        note = 'cut from %d bytes around its errors of the window and its last lines' % size if cut else None
        contents.add('logs/%s.log' % source.log, text, note)


def build_bundle(request):
    """``(archive bytes, manifest)`` of the host; see the module docstring for what is in it."""
    layout = request.layout
    errors = {}
    configs = _read_configs(layout, errors)
    secrets = [value for _path, text in configs for value in conf_secrets(text)]
    license_text = _license(request, secrets, errors)
    contents = _Contents(request.max_bytes, secrets)
    contents.errors = errors

    found = {'matches': [], 'truncated': False}
    try:
        sources, missing = find_sources(layout, request.logs, rotated=True)
        found = scan(sources, levels=('ERROR',), since=request.since, until=request.until, context='thread',
                     context_lines=request.thread_lines, max_matches=MAX_RECORDS)
        found['missing'] = missing
    except (OSError, ValueError) as exc:
        errors['errors'] = str(exc)
    records = [dict((key, match.get(key)) for key in ('log', 'time', 'thread_key', 'level', 'message', 'error', 'context'))
               for match in found['matches']]
    contents.add('errors/threads.txt', _threads_text(found['matches']))
    contents.add_json('errors/records.json', {'count': len(records), 'truncated': found.get('truncated', False),
                                              'counts': found.get('counts'), 'records': records})

    for path, text in configs:
        contents.add('config/' + os.path.relpath(path, layout.etc_dir), mask_conf_text(text, secrets), masked=True)
    if license_text is not None:
        contents.add('license/licctl_info.txt', license_text)

    facts = gather(request.facts, HOST_SECTIONS)
    contents.add('host/versions.txt', _versions(facts))
    contents.add('host/crontab.txt', _crontab(facts))
    contents.add('host/packages.txt', _packages(request))
    contents.add_json('host/facts.json', facts)
    if request.findings is not None:
        contents.add_json('sweep/findings.json', request.findings)
    _logs(request, contents, found['matches'])

    manifest = {
        'host': request.host or pyplatform.node(),
        'generated_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(request.facts.now)),
        'mgr_root': layout.root,
        'window': {'since': request.since.isoformat(timespec='seconds') if request.since else None,
                   'until': request.until.isoformat(timespec='seconds') if request.until else None,
                   'zone': 'the host\'s local time'},
        'logs': request.logs,
        'logs_missing': found.get('missing', []),
        'error_records': len(records),
        'error_records_truncated': bool(found.get('truncated')),
        'max_bytes': request.max_bytes,
        'content_bytes': contents.used,
        'files': contents.listed,
        'left_out': contents.left_out,
        'errors': mask_data(errors, secrets),
        'masked': 'every file passed billmgr.ops\'s masking of secrets (passwords, keys, tokens)',
    }
    return _archive(contents.files, manifest, request.facts.now), manifest


def _archive(files, manifest, now):
    buffer = io.BytesIO()
    prefix = 'support-bundle/'
    with tarfile.open(fileobj=buffer, mode='w:gz') as tar:
        for path, data in [('manifest.json', (json.dumps(manifest, indent=1, sort_keys=True) + '\n').encode('utf-8'))] + files:
            info = tarfile.TarInfo(prefix + path)
            info.size = len(data)
            info.mtime = int(now)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
