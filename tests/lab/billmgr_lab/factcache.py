"""Ansible's jsonfile fact cache, read and written through ansible-core's own cache plugin.

ansible-core 2.19 wraps every entry (a schema prefix on the file name, the facts as an encoded
payload), so the lab never writes the files by hand: it goes through the same plugin loader
ansible-playbook uses. Runs as its own process (it installs Ansible's collection finder):

    python -m billmgr_lab.factcache age DIR SECONDS      # date every sweep record SECONDS earlier
    python -m billmgr_lab.factcache fleet SRC DST N      # DST: N hosts h00000.., records cloned from SRC
    python -m billmgr_lab.factcache dump DIR             # {host: facts} as JSON on stdout
"""

import json
import sys
from datetime import datetime, timedelta, timezone

FACT = 'billmgr_health_last_sweep'
STAMP = '%Y-%m-%dT%H:%M:%SZ'


_FINDER = []


def open_cache(path):
    if not _FINDER:
        from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
        _FINDER.append(_AnsibleCollectionFinder(paths=[]))
        _FINDER[0]._install()
    from ansible.plugins.loader import cache_loader
    return cache_loader.get('ansible.builtin.jsonfile', _uri=str(path), _timeout=0, _prefix='')


def _earlier(stamp, seconds):
    if not stamp:
        return stamp
    when = datetime.strptime(stamp, STAMP).replace(tzinfo=timezone.utc) - timedelta(seconds=seconds)
    return when.strftime(STAMP)


def age(path, seconds):
    """Date every sweep record in the cache SECONDS earlier, as if it had been left by an old sweep."""
    cache = open_cache(path)
    for host in cache.keys():
        facts = cache.get(host)
        record = facts.get(FACT)
        if not record:
            continue
        record['swept_at'] = _earlier(record.get('swept_at'), seconds)
        record['sweep'] = dict(record.get('sweep') or {}, generated_at=_earlier(
            (record.get('sweep') or {}).get('generated_at'), seconds))
        cache.set(host, facts)


def fleet(source, target, count):
    """Write COUNT hosts named h00000... to the cache TARGET, each with a copy of one of SOURCE's
    sweep records (round robin) under its own name; returns the names."""
    cache = open_cache(source)
    records = [facts[FACT] for facts in (cache.get(host) for host in sorted(cache.keys())) if facts.get(FACT)]
    if not records:
        raise SystemExit('factcache: no sweep record in %s' % source)
    cache = open_cache(target)
    names = []
    for number in range(count):
        name = 'h%05d' % number
        record = json.loads(json.dumps(records[number % len(records)]))
        record['host'] = name
        cache.set(name, {FACT: record})
        names.append(name)
    return names


def dump(path):
    cache = open_cache(path)
    return {host: cache.get(host) for host in cache.keys()}


def main(argv):
    command = argv[0]
    if command == 'age':
        age(argv[1], int(argv[2]))
    elif command == 'fleet':
        print(json.dumps(fleet(argv[1], argv[2], int(argv[3]))))
    elif command == 'dump':
        print(json.dumps(dump(argv[1]), default=str))
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
