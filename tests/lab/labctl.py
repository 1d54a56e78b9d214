#!/usr/bin/env python3
"""Command line of the lab fleet: `labctl.py up|down|status` (what `make lab-up` / `lab-down` call),
and `lock|unlock`, which hold the lab lock from molecule's create to its destroy."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from billmgr_lab import fleet, lablock, scenario  # noqa: E402

LABCTL = [sys.executable, os.path.abspath(__file__)]


def main(argv=None):
    parser = argparse.ArgumentParser(prog='labctl', description=__doc__)
    parser.add_argument('--lab-dir', help='where the lab keeps its state (default ./.lab)')
    sub = parser.add_subparsers(dest='cmd', required=True)
    up = sub.add_parser('up', help='start a fleet (replaces a running one)')
    up.add_argument('--hosts', type=int, help='number of hosts (pads the scenario with healthy ones)')
    up.add_argument('--scenario', help='scenario YAML (default: tests/lab/scenarios/default.yml)')
    up.add_argument('--light', choices=('auto', 'yes', 'no'), default='auto',
                    help='one shared MariaDB server instead of one per host (auto: from 12 hosts)')
    up.add_argument('--seed', type=int, default=1)
    up.add_argument('--ssh-port', type=int, default=22)
    up.add_argument('--no-cron', action='store_true', help='do not run a cron daemon on the hosts')
    sub.add_parser('down', help='stop every process of the lab and give up its lock; safe to run twice')
    sub.add_parser('status', help='show the running fleet')
    for name, text in (('lock', 'hold the lab lock until unlock or down (waits for a test session)'),
                       ('lock-holder', argparse.SUPPRESS)):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument('--wait-seconds', type=float, default=lablock.DEFAULT_WAIT_SECONDS)
        cmd.add_argument('--max-seconds', type=float, default=lablock.DEFAULT_MAX_SECONDS,
                         help='give the lock up by itself after this long')
        cmd.add_argument('--lock-file', default=fleet.LAB_LOCK, help=argparse.SUPPRESS)
    sub.add_parser('unlock', help='give up the lock that lock took')
    args = parser.parse_args(argv)

    lab = fleet.Fleet(args.lab_dir)
    try:
        if args.cmd == 'up':
            if args.hosts is not None and not 1 <= args.hosts <= 200:
                raise fleet.LabError('HOSTS must be between 1 and 200, not %d' % args.hosts)
            light = {'auto': None, 'yes': True, 'no': False}[args.light]
            state = lab.up(hosts=args.hosts, scenario_path=args.scenario, light=light, seed=args.seed,
                           ssh_port=args.ssh_port, cron=not args.no_cron,
                           lock_held=lablock.holder_pid(lab.dir) is not None)
            print('lab: %d host(s) up%s; inventory %s'
                  % (len(state['hosts']), ' (light mode: one shared MariaDB)' if state['light'] else '',
                     lab.inventory_file))
            print(lab.inventory_file.read_text())
            print('try: ssh -i %s root@%s hostname' % (lab.key, next(iter(state['hosts'].values()))['address']))
        elif args.cmd == 'down':
            lab.down()
            if lablock.release(lab.dir):
                print('lab: lock released')
        elif args.cmd == 'lock':
            pid = lablock.hold(LABCTL, lab.dir, args.lock_file, args.wait_seconds, args.max_seconds)
            print('lab: lock %s held by process %d until labctl unlock or down' % (args.lock_file, pid))
        elif args.cmd == 'lock-holder':
            return lablock.run_holder(lab.dir, args.lock_file, args.wait_seconds, args.max_seconds)
        elif args.cmd == 'unlock':
            print('lab: lock released' if lablock.release(lab.dir) else 'lab: no lock was held')
        else:
            state = lab.status()
            if not state:
                print('lab: not running')
                return 1
            for name, info in state['hosts'].items():
                print('%-8s %-12s init=%-7s %s %s' % (name, info['address'], info['init_pid'],
                                                      'running' if info['running'] else 'STOPPED',
                                                      'ssh-ok' if info['ssh'] else 'ssh-DOWN'))
    except (fleet.LabError, scenario.ScenarioError, lablock.LockError) as exc:
        return fleet.main_error(exc)
    return 0


if __name__ == '__main__':
    sys.exit(main())
