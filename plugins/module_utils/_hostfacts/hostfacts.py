# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""All of the runbook's first diagnostic step, section by section, for the ``billmgr_facts`` module.

``gather(request, sections)`` returns one dictionary per section asked for.  Sections are
independent: one that fails (a tool hangs, a file cannot be read) carries ``error`` and the others
are still returned, because a sweep over a fleet wants every answer a host can give.  Every
command goes through a :class:`~ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl.Runner`
with a timeout.  Stdlib only: the module hands in ``module.run_command``.
"""

from __future__ import annotations

import os
import shutil
import time

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.clockinfo import NTP_ARGV_TAIL, clock_facts, parse_ntp
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.diskinfo import MOUNTINFO, disk_facts, failed_entry
from ansible_collections.billmgr.ops.plugins.module_utils._logs.errorscan import (
    DEFAULT_PATTERN,
    boot_epoch,
    compile_pattern,
    failure,
    grep_unsupported,
    journal_argv,
    journal_errors,
    kernel_errors,
    unavailable,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import read_text
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.meminfo import MEMINFO, read_memory
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.osinfo import (
    LEGACY_RELEASE_FILES,
    OS_RELEASE_FILES,
    os_facts,
    read_release,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.platformfacts import (
    CRONTAB_SPOOL,
    cron_facts,
    debug_facts,
    platform_facts,
)
from ansible_collections.billmgr.ops.plugins.module_utils._platform.panel import panel_facts
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.procscan import PROC
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.sweepfacts import GATHERERS as SWEEP_GATHERERS
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.sweepfacts import SWEEP_SECTIONS, SectionError

SECTIONS = ('os', 'clock', 'disk', 'memory', 'kernel_errors', 'journal_errors', 'platform', 'cron', 'debug', 'panel')

# Where the host's own files are; a test points these at copies.
HOST_PATHS = {
    'os_release': OS_RELEASE_FILES,
    'legacy_release': LEGACY_RELEASE_FILES,
    'mountinfo': MOUNTINFO,
    'meminfo': MEMINFO,
    'uptime': '/proc/uptime',
    'proc': PROC,
    'crontab_spool': CRONTAB_SPOOL,
}
# Searched after PATH: an SSH session's PATH often lacks the sbin directories.
TOOL_DIRS = ('/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin')


def find_tool(name):
    """The absolute path of the program NAME, or None."""
    search = os.pathsep.join([os.environ.get('PATH', '')] + list(TOOL_DIRS))
    return shutil.which(name, path=search)


class FactsRequest:
    """Everything a section needs: the platform layout, a runner, the validated options."""

    def __init__(self, layout, runner, supported_os=(), reference_epoch=None, since_local=None,
                 error_pattern=None, error_lines=10, debug_threshold=8, mgrctl_timeout=10, tool_timeout=10,
                 now=None, logs=('billmgr',), stuck_payment_hours=2, log_zones=None, panel_names=()):
        self.layout = layout
        self.runner = runner
        self.supported_os = supported_os
        self.reference_epoch = reference_epoch
        self.since_local = since_local
        self.error_pattern = error_pattern or compile_pattern(DEFAULT_PATTERN)
        self.error_lines = error_lines
        self.debug_threshold = debug_threshold
        self.mgrctl_timeout = mgrctl_timeout
        self.tool_timeout = tool_timeout
        self.logs = list(logs)
        self.log_zones = dict(log_zones or {})
        self.stuck_payment_hours = stuck_payment_hours
        self.panel_names = list(panel_names)
        self.now = time.time() if now is None else now
        self.paths = dict(HOST_PATHS)
        self.find_tool = find_tool

    @property
    def since_text(self):
        return self.since_local.isoformat(timespec='seconds') if self.since_local else None

    @property
    def since_epoch(self):
        return self.since_local.timestamp() if self.since_local else None


def _read_text(path):
    return read_text(path)


# ---- host sections -------------------------------------------------------------------------------

def os_section(request):
    values, source = read_release(request.paths['os_release'], request.paths['legacy_release'])
    if values is None:
        section = os_facts({}, None, request.supported_os)
        section['supported'] = None
        section['error'] = 'no release file: none of %s' % ', '.join(
            tuple(request.paths['os_release']) + tuple(request.paths['legacy_release']))
        return section
    return os_facts(values, source, request.supported_os)


def clock_section(request):
    section = clock_facts(request.now, request.reference_epoch)
    timedatectl = request.find_tool('timedatectl')
    if timedatectl is None:
        section.update(ntp_synchronized=None, ntp_reason='timedatectl not found (no systemd on this host)')
        return section
    result = request.runner.run([timedatectl] + NTP_ARGV_TAIL, request.tool_timeout)
    section['ntp_synchronized'], section['ntp_reason'] = parse_ntp(result)
    if result.timed_out:
        section['error'] = section['ntp_reason']
    return section


def disk_paths(mgr_root):
    """The three paths the runbook checks space on: the root filesystem, the mgr root, its var/."""
    return ['/', mgr_root, os.path.join(mgr_root, 'var')]


def disk_section(request):
    return disk_facts(disk_paths(request.layout.root), request.paths['mountinfo'])


def memory_section(request):
    return read_memory(request.paths['meminfo'])


def kernel_errors_section(request):
    since_text = request.since_text
    dmesg = request.find_tool('dmesg')
    if dmesg is None:
        return unavailable('dmesg not found', since_text)
    result = request.runner.run([dmesg], request.tool_timeout)
    if result.timed_out or result.rc != 0:
        return failure(result, 'dmesg', since_text)
    try:
        boot = boot_epoch(request.now, _read_text(request.paths['uptime']))
    except OSError:
        boot = None
    return kernel_errors(result.stdout, request.error_pattern, request.since_epoch, boot, request.error_lines,
                         since_text)


def journal_errors_section(request):
    since_text = request.since_text
    journalctl = request.find_tool('journalctl')
    if journalctl is None:
        return unavailable('journalctl not found (no systemd journal on this host)', since_text)
    pattern_text = request.error_pattern.pattern
    result = request.runner.run(journal_argv(journalctl, request.since_local, pattern_text),
                                request.tool_timeout)
    if grep_unsupported(result):
        # An old journalctl, or one built without PCRE2: read everything and filter here.
        result = request.runner.run(journal_argv(journalctl, request.since_local), request.tool_timeout)
    return journal_errors(result, request.error_pattern, request.error_lines, since_text)


GATHERERS = {
    'os': os_section,
    'clock': clock_section,
    'disk': disk_section,
    'memory': memory_section,
    'kernel_errors': kernel_errors_section,
    'journal_errors': journal_errors_section,
    'platform': platform_facts,
    'cron': cron_facts,
    'debug': debug_facts,
    'panel': panel_facts,
}


GATHERERS.update(SWEEP_GATHERERS)
# The sweep's sections come last: they read logs and the database, the slowest parts.
ALL_SECTIONS = SECTIONS + SWEEP_SECTIONS


def _failed_section(name, request, exc):
    if isinstance(exc, SectionError):
        error = str(exc)
    else:
        error = 'gathering %s failed: %s: %s' % (name, type(exc).__name__, exc)
    if name == 'disk':
        entry = failed_entry('/', error)
        entry['serves'] = disk_paths(request.layout.root)
        return [entry]
    return {'error': error}


def gather(request, sections=SECTIONS):
    """``{section: facts}`` for every name of SECTIONS, in the canonical order."""
    facts = {}
    for name in ALL_SECTIONS:
        if name not in sections:
            continue
        try:
            facts[name] = GATHERERS[name](request)
        except Exception as exc:  # pylint: disable=broad-except
            # One broken section must not cost the sweep the others.
            facts[name] = _failed_section(name, request, exc)
    return facts
