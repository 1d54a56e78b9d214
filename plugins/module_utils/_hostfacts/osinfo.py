# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which OS a host runs (``/etc/os-release``, else ``/etc/*-release``) and whether it is supported.

A supported list entry is ``{id, versions}`` or a string ``"almalinux 8"``; a wanted version
matches the host's ``VERSION_ID`` component by component from the left, so ``8`` takes ``8.10`` and
``1.7`` takes Astra's ``1.7_x86-64``, while ``22.04`` does not take ``22.10``.  An entry without
versions takes every version of that OS.  Stdlib only, no Ansible imports.
"""

from __future__ import annotations

import re

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import read_text

OS_RELEASE_FILES = ('/etc/os-release', '/usr/lib/os-release')
# Older systems have only a one-line release file.
LEGACY_RELEASE_FILES = ('/etc/redhat-release', '/etc/system-release', '/etc/centos-release')

# The documented default; the platform's real list is not published in a form we can confirm.
DEFAULT_SUPPORTED = ('almalinux 8', 'almalinux 9', 'rocky 8', 'rocky 9', 'ubuntu 20.04', 'ubuntu 22.04',
                     'ubuntu 24.04', 'debian 11', 'debian 12', 'astra 1.7')

_LINE_RE = re.compile(r'^\s*([A-Za-z0-9_]+)=(.*)$')
_VERSION_RE = re.compile(r'\d+(?:\.\d+)*')
_COMPONENT_SPLIT_RE = re.compile(r'[._-]')
_LEGACY_IDS = (('red hat', 'rhel'), ('centos', 'centos'), ('almalinux', 'almalinux'), ('rocky', 'rocky'),
               ('cloudlinux', 'cloudlinux'), ('oracle', 'ol'), ('fedora', 'fedora'))


class SupportedOsError(ValueError):
    """An entry of the supported list that cannot be read; the message shows the accepted forms."""


def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        # Shell double-quote escapes, as os-release(5) allows: \" \\ \$ \`
        return re.sub(r'\\([\\"$`])', r'\1', value[1:-1])
    # An unquoted value ends at a comment.
    return value.split(' #', 1)[0].strip()


def parse_os_release(text):
    """os-release text -> ``{KEY: value}``; comments and lines that are not assignments are skipped."""
    values = {}
    for line in (text or '').splitlines():
        if line.lstrip().startswith('#'):
            continue
        match = _LINE_RE.match(line)
        if match:
            values[match.group(1)] = _unquote(match.group(2))
    return values


def parse_legacy_release(text):
    """``CentOS release 6.10 (Final)`` -> ``{ID, VERSION_ID, PRETTY_NAME}`` as far as it can tell."""
    line = (text or '').strip().splitlines()[0].strip() if (text or '').strip() else ''
    lowered = line.lower()
    os_id = next((known for word, known in _LEGACY_IDS if lowered.startswith(word)), None)
    if os_id is None and line:
        os_id = lowered.split()[0]
    version = _VERSION_RE.search(line)
    return {'ID': os_id, 'VERSION_ID': version.group(0) if version else None, 'PRETTY_NAME': line or None}


def os_facts(values, source, supported):
    """The ``os`` section from parsed release VALUES read from SOURCE, checked against SUPPORTED."""
    os_id = (values.get('ID') or '').strip().lower() or None
    version = values.get('VERSION_ID') or None
    return {
        'id': os_id,
        'version': version,
        'pretty_name': values.get('PRETTY_NAME') or values.get('NAME') or None,
        'id_like': (values.get('ID_LIKE') or '').lower().split(),
        'supported': is_supported(os_id, version, supported),
        'source': source,
    }


def read_release(os_release_files=OS_RELEASE_FILES, legacy_files=LEGACY_RELEASE_FILES):
    """``(values, path)`` from the first readable release file; ``(None, None)`` when there is none."""
    for path in os_release_files:
        text = _read(path)
        if text is not None:
            return parse_os_release(text), path
    for path in legacy_files:
        text = _read(path)
        if text is not None and text.strip():
            return parse_legacy_release(text), path
    return None, None


def _read(path):
    try:
        return read_text(path)
    except OSError:
        return None


# ---- the supported list --------------------------------------------------------------------------

def _version_text(value, entry):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SupportedOsError('supported_os: version %r of %r is not a version such as "9" or "22.04"'
                               % (value, entry))
    return str(value).strip()


def normalize_supported(entries):
    """The option as ``[{'id': ..., 'versions': [...]}]``, one item per OS id, in first-seen order.

    Takes ``"almalinux 9"``, ``"almalinux 8 9"``, ``"almalinux"`` (any version) and mappings
    ``{id: almalinux, versions: ["8", "9"]}`` (``versions`` may be one string; ``version`` too).
    """
    merged = {}
    for entry in entries or ():
        if isinstance(entry, str):
            words = entry.split()
            if not words:
                raise SupportedOsError('supported_os: an empty entry; give "ID [VERSION ...]" such as "almalinux 9"')
            os_id, versions = words[0], words[1:]
        elif isinstance(entry, dict):
            unknown = set(entry) - {'id', 'versions', 'version'}
            if unknown or not isinstance(entry.get('id'), str) or not entry['id'].strip():
                raise SupportedOsError('supported_os: %r is not a mapping {id: ID, versions: [VERSION, ...]}' % (entry,))
            os_id = entry['id'].strip()
            raw = entry.get('versions', entry.get('version'))
            if raw is None:
                versions = []
            elif isinstance(raw, list):
                versions = [_version_text(value, entry) for value in raw]
            else:
                versions = [_version_text(raw, entry)]
        else:
            raise SupportedOsError('supported_os: %r is neither "ID VERSION" nor {id, versions}' % (entry,))
        item = merged.setdefault(os_id.lower(), {'id': os_id.lower(), 'versions': [], 'any': False})
        if not versions:
            item['any'] = True
        item['versions'].extend(version for version in versions if version not in item['versions'])
    return [{'id': item['id'], 'versions': [] if item['any'] else item['versions']} for item in merged.values()]


def version_matches(actual, wanted):
    """Whether host version ACTUAL is the WANTED release: ``8.10`` is ``8``, ``22.10`` is not ``22.04``."""
    if not actual or not wanted:
        return False
    have = _COMPONENT_SPLIT_RE.split(str(actual).strip().lower())
    want = _COMPONENT_SPLIT_RE.split(str(wanted).strip().lower())
    return have[:len(want)] == want


def is_supported(os_id, version, supported):
    """Whether OS_ID VERSION is in SUPPORTED (normalized or raw option entries)."""
    if not os_id:
        return False
    for entry in normalize_supported(supported):
        if entry['id'] != os_id.lower():
            continue
        if not entry['versions'] or any(version_matches(version, wanted) for wanted in entry['versions']):
            return True
    return False
