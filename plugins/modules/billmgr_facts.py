#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: billmgr_facts
short_description: The runbook's first diagnostic step on a BILLmanager server, in one call
version_added: 0.1.0
description:
  - Reads, in one round trip, what the runbook checks first on a server before anything else, and
    returns it as data (RV(billmgr_facts), also set as the fact C(billmgr) so C(hostvars) carry it).
  - The host - the OS release against a supported list; the clock, its skew against the
    controller's time and whether NTP keeps it in step; space and inodes of C(/), the mgr root and
    its C(var/); memory and swap; kernel ring buffer and journal lines matching the runbook's
    C(error|failed|critical|bug|panic).
  - The platform - whether it is installed, its version, whether C(core) and C(ihttpd) run, whether
    it answers C(mgrctl -m billmgr whoami) and what it said when not, maintenance mode, a blocked
    platform; the C(checkevent) line and the other platform lines of root's crontab; every
    C(etc/debug.conf) entry at a high level, with this collection's expiry marker.
  - Sections are independent. A section that fails (a tool hangs, a file cannot be read) carries
    C(error) inside it and the others are still returned; the task fails only for bad options.
    Tools that are absent (no C(journalctl), no C(timedatectl)) are reported as not available,
    never as a failure.
  - Every command the module runs is killed after O(mgrctl_timeout) or O(tool_timeout) seconds, so
    a hung C(mgrctl) cannot hang a fleet sweep.
  - Never changes the server. Run it as root, as the runbook does (root's crontab, C(dmesg)).
options:
  gather:
    description:
      - The sections to gather; V(all) gathers every host and platform section (C(os) to C(panel)).
        Sections not gathered are absent from the result.
      - V(panel) knocks on the platform's web server C(ihttpd) with TLS where C(etc/ihttpd.conf)
        says it listens (port 1500 on every address when the file names none) and reads the
        certificate it serves, without trusting it (its expiry, and whether it names the host).
      - The sweep's sections are asked for by name, or all at once with V(sweep) (V(all) and
        four more) - V(license) (as M(billmgr.ops.licctl_info) sees it), V(log_errors) (ERROR
        records of O(logs) since O(since), counted by error type with one sample thread each),
        V(early_stops) (billing failures of billmaintain since O(since) and the services it stopped early, with the reason) and
        V(database) (payments in pay per payment method, the item event backlog, promised payments,
        credit limits, the reselling processing modules, and MariaDB's data directory and tmpdir with
        the space of their filesystems, read with the platform's own DB settings in one client call
        as M(billmgr.ops.billmgr_query) does; a look-up the schema cannot serve is listed in
        C(unsupported), the others still answer).
      - With the sweep's sections one call holds everything the health sweep judges, in one round
        trip per host.
    type: list
    elements: str
    choices: [all, sweep, os, clock, disk, memory, kernel_errors, journal_errors, platform, cron, debug,
              panel, license, log_errors, early_stops, database]
    default: [all]
  panel_names:
    description:
      - The names the panel's certificate must be valid for (one is enough), for the V(panel) section.
      - Empty, the default, means the host's own hostname (as C(hostname) prints it).
    type: list
    elements: str
    default: []
  logs:
    description:
      - The logs the V(log_errors) section reads (names under C(var/), globs allowed), as O(billmgr.ops.log_grep#module:logs).
    type: list
    elements: str
    default: [billmgr]
  log_zones:
    description:
      - The time zone the stamps of a log are in (V(auto), V(local) or V(utc)), by log name or glob,
        as O(billmgr.ops.log_grep#module:log_zones); logs not named are V(auto).
    type: dict
    default: {}
  stuck_payment_hours:
    description: Payments in status 2 (in pay) older than this many hours are counted in C(over_hours) of the V(database) section.
    type: int
    default: 2
  supported_os:
    description:
      - The operating systems the platform is supported on, for RV(billmgr_facts.os.supported).
      - Each entry is a string C(ID VERSION...) (V(almalinux 9), V(ubuntu 22.04); an ID alone takes
        every version) or a mapping C({id, versions}). IDs are the C(ID) of C(/etc/os-release).
      - A version matches the host's C(VERSION_ID) component by component from the left, so V(8)
        takes C(8.10) and V(1.7) takes Astra's C(1.7_x86-64), but V(22.04) does not take C(22.10).
        Quote versions in YAML (V("20.10") not V(20.10), which YAML reads as the number 20.1).
      - The default is a plausible list only. The platform's real list is not published in a form
        we can confirm; set it per site from the vendor's current requirements.
    type: list
    elements: raw
    default: [almalinux 8, almalinux 9, rocky 8, rocky 9, ubuntu 20.04, ubuntu 22.04, ubuntu 24.04,
              debian 11, debian 12, astra 1.7]
  reference_time:
    description:
      - Not needed as a rule. Without it the skew is measured over the call's own round trip;
        the controller reads its clock just before the call and just after the result, the module
        reads the host's as it starts and as it ends, and the skew comes with its uncertainty
        (RV(billmgr_facts.clock.skew_uncertainty_seconds)), which a busy controller or a queue of
        forks widens instead of turning into skew.
      - When given, a fixed time the skew is measured against instead (host time minus this); its
        uncertainty is then unknown (null) and includes however long the task took to start
        after the value was templated.
      - Seconds since the epoch or an ISO 8601 time; an ISO time without an offset is read as UTC.
        Do not pass C(now) with C(utc=true) through C(timestamp); that gives a UTC time without a
        zone, which C(timestamp) reads as the controller's local time.
    type: raw
  since:
    description:
      - How far back to look for kernel and journal error lines, as a duration before now (V(30m),
        V(24h), V(7d)) or an ISO 8601 time (host local time unless it carries an offset).
      - Journal lines are cut by C(journalctl --since). Kernel lines carry seconds since boot; they
        are cut after putting them on the wall clock with C(/proc/uptime), which drifts on hosts
        that were suspended.
    type: str
    default: 24h
  error_lines:
    description:
      - How many of the last matching lines to return per source; the count covers all of them.
    type: int
    default: 10
  error_pattern:
    description:
      - The regular expression (Python syntax, matched without case) that marks an error line.
      - The default is the runbook's own, substring semantics included (C(debug) contains C(bug)),
        so the counts match what an operator following the runbook sees.
    type: str
    default: error|failed|critical|bug|panic
  debug_threshold:
    description:
      - Entries of C(etc/debug.conf) at this level or above are returned (8 code trace, 9 debug).
    type: int
    default: 8
  mgrctl_timeout:
    description:
      - Seconds the C(mgrctl whoami) probe may take before it is killed and counted as no answer.
    type: float
    default: 10
  tool_timeout:
    description:
      - Seconds each other command (C(core -v), C(crontab -l), C(timedatectl), C(dmesg),
        C(journalctl)) may take before it is killed and its section reports an error.
    type: float
    default: 10
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
  - billmgr.ops._attributes.read_only
attributes:
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
requirements:
  - For V(database) in O(gather) (V(sweep) includes it), the C(mariadb) or C(mysql) command-line
    client on the managed host; the other sections need nothing beyond Python.
notes:
  - Reads C(/proc) and C(/etc/os-release) directly and runs C(mgrctl), C(bin/core), C(crontab),
    C(timedatectl), C(dmesg) and C(journalctl), and for V(database) the database client; nothing
    is installed on the host.
  - Disks are reported per mount point, as C(df) does; a bind mount is its own mount point.
seealso:
  - module: billmgr.ops.licctl_info
  - module: billmgr.ops.debug_level
  - module: billmgr.ops.mgrctl_restart
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: Take the runbook's first look at every server
  billmgr.ops.billmgr_facts:

- name: Name the servers whose platform does not answer
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}: {{ billmgr.platform.answer_error }}"
  when: not billmgr.platform.answers

- name: Only the platform and the crontab, with this site's supported systems
  billmgr.ops.billmgr_facts:
    gather: [platform, cron]
    supported_os:
      - almalinux 9
      - {id: ubuntu, versions: ["22.04", "24.04"]}
  register: quick

- name: Errors of the last hour, twenty lines of each
  billmgr.ops.billmgr_facts:
    gather: [kernel_errors, journal_errors]
    since: 1h
    error_lines: 20
'''

RETURN = r'''
billmgr_facts:
  description:
    - What was gathered, one key per section asked for in O(gather); also returned as the fact
      C(billmgr).
    - Any section may carry C(error), a sentence saying what could not be read; the other keys of
      that section hold what could.
  returned: always
  type: dict
  contains:
    mgr_root:
      description: The install root the platform sections looked at.
      type: str
      returned: always
      sample: /usr/local/mgr5
    gathered:
      description: The sections gathered, in this order.
      type: list
      elements: str
      returned: always
      sample: [os, clock, disk, memory, kernel_errors, journal_errors, platform, cron, debug]
    os:
      description: The operating system, from C(/etc/os-release) (else C(/etc/redhat-release) and the like).
      type: dict
      returned: when gathered
      contains:
        id:
          description: C(ID), lower case.
          type: str
          sample: almalinux
        version:
          description: C(VERSION_ID).
          type: str
          sample: '9.4'
        pretty_name:
          description: C(PRETTY_NAME).
          type: str
          sample: AlmaLinux 9.4 (Seafoam Ocelot)
        id_like:
          description: C(ID_LIKE), split into words.
          type: list
          elements: str
          sample: [rhel, centos, fedora]
        supported:
          description: Whether the OS is in O(supported_os); null when no release file was found.
          type: bool
          sample: true
        source:
          description: The file the values were read from.
          type: str
          sample: /etc/os-release
    clock:
      description: The host's clock, as C(date -R) would show it, and its skew.
      type: dict
      returned: when gathered
      contains:
        utc:
          description: The host's time in UTC, ISO 8601.
          type: str
          sample: '2026-11-23T14:26:02Z'
        local:
          description: The host's local time with its UTC offset.
          type: str
          sample: '2026-11-23T17:26:02+03:00'
        timezone:
          description: The host's time zone abbreviation.
          type: str
          sample: MSK
        epoch:
          description: The host's time in seconds since the epoch, as the module started.
          type: float
          sample: 1795443962.118
        epoch_end:
          description: The host's time in seconds since the epoch, as the module finished its work.
          type: float
          sample: 1795443962.904
        reference_epoch:
          description:
            - The controller's time the skew is measured against, in seconds since the epoch - the
              middle of the call's round trip, or O(reference_time) when given.
            - Null when the module ran without the collection's action plugin (asynchronously).
          type: float
          sample: 1795443961.9
        skew_seconds:
          description:
            - How far the host's clock is ahead of the controller's (negative when behind); the
              middle of what the round trip allows. Null when not measured.
          type: float
          sample: 0.218
        skew_uncertainty_seconds:
          description:
            - The skew is RV(billmgr_facts.clock.skew_seconds) plus or minus this; half of the round
              trip left once the module's own work is taken out. Null with O(reference_time) or when
              not measured.
          type: float
          sample: 0.35
        round_trip_seconds:
          description: The controller's time from just before the call to just after the result; null when not measured.
          type: float
          sample: 1.49
        ntp_synchronized:
          description: C(timedatectl show -p NTPSynchronized --value); null when it cannot tell.
          type: bool
          sample: true
        ntp_reason:
          description: Why RV(billmgr_facts.clock.ntp_synchronized) is null; null otherwise.
          type: str
          sample: 'timedatectl gave no answer (exit status 1): Failed to connect to bus: Host is down'
    disk:
      description:
        - One entry per mount point holding C(/), the mgr root or its C(var/), in that order, each
          listing which of these paths it serves.
        - A path that does not exist or cannot be read gets an entry of its own with C(error) and
          null figures.
      type: list
      elements: dict
      returned: when gathered
      contains:
        mount:
          description: The mount point (null when C(/proc/self/mountinfo) could not say).
          type: str
          sample: /usr/local/mgr5/var
        fs_type:
          description: The filesystem type.
          type: str
          sample: xfs
        source:
          description: The mounted device or source.
          type: str
          sample: /dev/mapper/almalinux-root
        size_bytes:
          description: Size of the filesystem.
          type: int
          sample: 53660876800
        used_bytes:
          description: Bytes in use.
          type: int
          sample: 21464350720
        avail_bytes:
          description: Bytes available to unprivileged users.
          type: int
          sample: 32196526080
        used_pct:
          description: Percent used, as C(df) counts it (used over used plus available).
          type: float
          sample: 40.0
        inodes_total:
          description: Inodes of the filesystem (0 on filesystems without a fixed count).
          type: int
          sample: 26214400
        inodes_free:
          description: Free inodes.
          type: int
          sample: 25900000
        inodes_used_pct:
          description: Percent of inodes used; null when the filesystem reports no inodes.
          type: float
          sample: 1.2
        serves:
          description: Which of C(/), the mgr root and its C(var/) live on this mount, as given.
          type: list
          elements: str
          sample: [/usr/local/mgr5, /usr/local/mgr5/var]
        error:
          description: Why the figures are missing or the mount is unknown.
          type: str
          returned: on a failed path
          sample: /usr/local/mgr5/var does not exist
    memory:
      description: Memory and swap from C(/proc/meminfo), as C(free) shows them.
      type: dict
      returned: when gathered
      contains:
        total_bytes:
          description: C(MemTotal).
          type: int
          sample: 8154972160
        available_bytes:
          description: C(MemAvailable), or free plus buffers plus cache on kernels older than 3.14.
          type: int
          sample: 5368709120
        available_estimated:
          description: Whether RV(billmgr_facts.memory.available_bytes) is that estimate.
          type: bool
          sample: false
        swap_total_bytes:
          description: C(SwapTotal).
          type: int
          sample: 2147483648
        swap_free_bytes:
          description: C(SwapFree).
          type: int
          sample: 2147483648
    kernel_errors:
      description: Lines of C(dmesg) matching O(error_pattern) since O(since).
      type: dict
      returned: when gathered
      contains:
        available:
          description: Whether the kernel ring buffer could be read.
          type: bool
          sample: true
        reason:
          description: Why not, when RV(billmgr_facts.kernel_errors.available) is false.
          type: str
          sample: 'dmesg failed (exit status 1): dmesg: read kernel buffer failed: Operation not permitted'
        count:
          description: How many lines matched; null when not available.
          type: int
          sample: 2
        lines:
          description: The last O(error_lines) matching lines, with the time put on the host's wall clock.
          type: list
          elements: str
          sample: ['2026-11-23T09:12:44 EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm core: reading directory lblock 0']
        since:
          description: The start of the window, host local time.
          type: str
          sample: '2026-11-22T14:26:02'
        since_applied:
          description: Whether lines were cut at RV(billmgr_facts.kernel_errors.since) (false when C(dmesg) printed no timestamps).
          type: bool
          sample: true
    journal_errors:
      description: Lines of the systemd journal matching O(error_pattern) since O(since), same keys as RV(billmgr_facts.kernel_errors).
      type: dict
      returned: when gathered
      contains:
        available:
          description: Whether the journal could be read (false without C(journalctl) or without journal files).
          type: bool
          sample: true
        reason:
          description: Why not.
          type: str
          sample: journalctl found no journal files (journald does not keep a journal here)
        count:
          description: How many lines matched; null when not available.
          type: int
          sample: 14
        lines:
          description: The last O(error_lines) matching lines, in C(journalctl -o short-iso) form.
          type: list
          elements: str
          sample: ['2026-11-23T13:02:11+0300 bm01 systemd[1]: ihttpd.service: Failed with result exit-code.']
        since:
          description: The start of the window, host local time.
          type: str
          sample: '2026-11-22T14:26:02'
        since_applied:
          description: Whether C(--since) was used.
          type: bool
          sample: true
    platform:
      description: The platform below O(mgr_root).
      type: dict
      returned: when gathered
      contains:
        installed:
          description: Whether C(sbin/mgrctl) exists and is executable.
          type: bool
          sample: true
        version:
          description: What C(bin/core billmgr -v) printed (its first dotted number); null without C(bin/core).
          type: str
          sample: 6.112.0
        processes:
          description: Whether a live process named C(core) and one named C(ihttpd) exist.
          type: dict
          sample: {core: true, ihttpd: true}
        answers:
          description: Whether C(mgrctl -m billmgr whoami) exited 0 without an C(ERROR) line.
          type: bool
          sample: true
        answer_error:
          description:
            - What C(whoami) said instead; null when the platform answered.
            - C(type), C(object), C(value) from C(ERROR type(object,value)); type C(timeout), C(exit) or
              C(not_installed) when there was no such line. C(output) is the tail of what it printed.
          type: dict
          sample: {type: connect, object: billmgr, value: '', msg: null, output: 'ERROR connect(billmgr,)'}
        maintenance:
          description: Whether C(etc/billmgr.DoNothing) exists.
          type: bool
          sample: false
        blocked:
          description: Whether the error says the platform is blocked (C(mgrctl -l)); the wording is read tolerantly.
          type: bool
          sample: false
    cron:
      description: Root's crontab, as the platform's schedules need it.
      type: dict
      returned: when gathered
      contains:
        checkevent:
          description: The C(checkevent) job the reselling runbooks require every 5 minutes.
          type: dict
          contains:
            present:
              description: Whether an active line runs C(mgrctl -m billmgr checkevent) of this mgr root.
              type: bool
              sample: true
            form:
              description: V(plain) (C(sbin/mgrctl) itself) or V(wrapper) (through C(sbin/cron-billmgr)); null when absent.
              type: str
              sample: plain
            line:
              description: The first such line as written.
              type: str
              sample: '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1'
            schedule:
              description: Its schedule, field by field, and C(interval_minutes) when it repeats evenly at least daily.
              type: dict
              sample: {text: '*/5 * * * *', minute: '*/5', hour: '*', day_of_month: '*', month: '*',
                       day_of_week: '*', interval_minutes: 5}
            count:
              description: How many active lines run it.
              type: int
              sample: 1
            commented_out:
              description: The first commented-out checkevent line, when there is one.
              type: str
              sample: '#*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent'
        platform_lines:
          description: The other active lines that name the mgr root, as written.
          type: list
          elements: str
          sample: ['0 3 * * * /usr/local/mgr5/sbin/cron-billmgr sbin/billmaintain']
        source:
          description: Where the crontab was read from; null when there is none.
          type: str
          sample: /usr/bin/crontab -u root -l
    debug:
      description: Entries of C(etc/debug.conf) at O(debug_threshold) or above.
      type: dict
      returned: when gathered
      contains:
        path:
          description: The file read.
          type: str
          sample: /usr/local/mgr5/etc/debug.conf
        exists:
          description: Whether it exists.
          type: bool
          sample: true
        threshold:
          description: O(debug_threshold).
          type: int
          sample: 8
        entries:
          description: One item per entry, in file order.
          type: list
          elements: dict
          sample:
            - {log: billmgr, module: '*', level: 9, line_number: 7, managed: true,
               expires: '2026-11-23T15:00:00Z', expired: false, previous: 4}
          contains:
            log:
              description: The log name (V(*) for every log).
              type: str
            module:
              description: The logger inside the log (V(*) for all).
              type: str
            level:
              description: The level.
              type: int
            line_number:
              description: Its line in the file, from 1.
              type: int
            managed:
              description: Whether M(billmgr.ops.debug_level) wrote it (its marker sits right above).
              type: bool
            expires:
              description: When the marker says it is to be undone; null when unmanaged or without expiry.
              type: str
            expired:
              description: Whether that time has passed (the entry should have been reverted).
              type: bool
            previous:
              description: The level the operator had before; null when unmanaged or there was no line.
              type: int
    panel:
      description:
        - Whether the platform's web server takes a TLS connection, and what its certificate says.
        - The form of C(etc/ihttpd.conf) is assumed (C(listen) blocks with C(ip) and C(port) lines);
          lines not understood are counted in C(unread_lines).
      type: dict
      returned: when gathered
      contains:
        config:
          description: The config file read.
          type: str
          sample: /usr/local/mgr5/etc/ihttpd.conf
        config_found:
          description: Whether it exists.
          type: bool
        assumed_default:
          description: True when no port was found in it and the default (port 1500 on every address) was tried.
          type: bool
        unread_lines:
          description: Lines of the config that were not understood.
          type: int
        answers:
          description: Whether any endpoint completed a TLS handshake.
          type: bool
        endpoints:
          description: One item per C(listen) block (at most 8).
          type: list
          elements: dict
          sample:
            - {address: 192.0.2.10, port: 1500, connect_to: 192.0.2.10, answers: true, error: null,
               tls_version: TLSv1.3,
               certificate: {subject_cn: billing.example.com, issuer_cn: R11, self_signed: false,
                             not_before: '2026-09-01T00:00:00Z', not_after: '2026-11-30T00:00:00Z',
                             not_after_epoch: 1795996800, days_left: 20, dns_names: [billing.example.com],
                             ip_addresses: [], names_checked: [billing], name_matches: false}}
    license:
      description:
        - The license (only with V(license) or V(sweep) in O(gather)), as RV(billmgr.ops.licctl_info#module:license)
          without C(raw).
      returned: when asked for
      type: dict
      sample: {id: 123456, linked: true, expires: '2027-03-01', days_left: 98, activated_before: false,
               trial_used: false, fields: {JustInstalled: billing.example.com}, lines: [JustInstalled billing.example.com],
               got_lines: [], exit_status: 0}
    log_errors:
      description: ERROR records since O(since) (only with V(log_errors) or V(sweep) in O(gather)).
      returned: when asked for
      type: dict
      contains:
        since:
          description: Start of the window, host local time.
          type: str
        total:
          description: ERROR records in the window, over every log read.
          type: int
        by_error_type:
          description:
            - "Per error type (the type named in C(Error: Type: '..'); V(other) for records without one)
              its C(count) and one sample record (C(log), C(time), C(thread_key), C(message), C(context))."
          type: dict
        by_error:
          description:
            - "The records grouped by (error type, object): C(groups), most records first, each with
              C(type), C(object), C(records), C(first), C(last) and its first record's C(log),
              C(thread_key), C(message) and C(thread_lines); at most 50 (C(dropped) counts the rest)."
            - "Built from the first 200 records of the window: C(complete) is false when there were more,
              and C(records) then counts the records kept."
          type: dict
        missing:
          description: Logs of O(logs) that do not exist.
          type: list
          elements: str
        unparsed_headers:
          description: As RV(billmgr.ops.log_grep#module:unparsed_headers), for the ERROR records searched.
          type: int
        zones:
          description: The time zone each log was read in, V(local) or V(utc).
          type: dict
      sample: {since: '2026-11-22T14:00:00', total: 25, missing: [], unparsed_headers: 0, zones: {billmgr: local},
               by_error_type: {missed: {count: 25, thread_key: '8821:17', time: '2026-11-23T13:40:01'}}}
    early_stops:
      description:
        - Billing failures of billmaintain since O(since) and the services it stopped early (only with
          V(early_stops) or V(sweep) in O(gather)), read from C(var/billmaintain.log) and its rotated
          archives in C(var/logs/) last written inside the window.
      returned: when asked for
      type: dict
      contains:
        items:
          description:
            - One entry per failure, stopped or not, in the order they happened - C(item) (null when
              the thread's C(service.billdaily) or C(service.statdaily) query was not logged), C(reason)
              (V(not_enough_money), V(stat_addon_over_limit), or V(unknown) for a stop whose thread
              showed no cause), C(time), C(thread), C(stopped) and C(stopped_at) (the time of the
              C(service.autosuspend ... stat=on) line; null when no suspend line followed).
            - For V(not_enough_money) also C(amount), C(have), C(currency), C(deficit) and C(limit) as
              the error's C(Result xml) DEBUG record gave them, and C(amounts_logged). The amounts are
              null, never zero, when the log's level hid that record; C(amounts_note) then says how to
              raise it (C(playbooks/debug.yml)).
          type: list
          elements: dict
        files:
          description: The files read, archives first.
          type: list
          elements: str
        missing:
          description: V(billmaintain) when neither the log nor an archive of it exists.
          type: list
          elements: str
        skipped:
          description: Files that could not be read (a corrupt archive), each with why; the others are still read.
          type: dict
        truncated:
          description: Whether the log held more matching records than are read (failures may be missing).
          type: bool
      sample: {items: [{item: 310598, reason: not_enough_money, amount: '0.1048', have: '0.00', currency: EUR,
                        deficit: '0.1048', limit: '0.00', amounts_logged: true, time: '2026-11-23T00:19:17+03:00',
                        thread: '8821:1', stopped: true, stopped_at: '2026-11-23T00:19:18+03:00'}],
               files: [/usr/local/mgr5/var/billmaintain.log], missing: [], skipped: {}, truncated: false}
    database:
      description:
        - Look-ups of the sweep (only with V(database) or V(sweep) in O(gather)). The password is never returned.
        - When the database could not be used at all, only C(error), C(error_kind) (V(unreachable),
          V(refused), V(denied) for error 1044, V(no_database) for 1049, V(timeout) or V(client)) and C(db).
        - A look-up's value is null when this database cannot serve it (see C(unsupported)) or it failed
          (see C(query_errors)).
      returned: when asked for
      type: dict
      contains:
        payments_in_pay:
          description: Rows of the C(payments_in_pay) query of M(billmgr.ops.billmgr_query), one per payment method.
          type: list
          elements: dict
        itemevent_backlog:
          description: C(count), C(oldest) and C(oldest_age_seconds) of the events waiting.
          type: dict
        promised_payments:
          description: Rows of the C(promised_payments) query (the table as it is).
          type: list
          elements: dict
        credit_limits:
          description: Rows of the C(credit_limits) query.
          type: list
          elements: dict
        reselling_modules:
          description: Rows of the C(reselling_modules) query (C(pmbillmgr) processing modules).
          type: list
          elements: dict
        unsupported:
          description: Look-ups not run, with the tables or columns this database lacks.
          type: dict
        left_out:
          description: Columns each look-up went without.
          type: dict
        query_errors:
          description: Look-ups that failed, with the error.
          type: dict
        server:
          description: C(datadir) and C(tmpdir) of the database server, and whether it runs on this host (C(local)).
          type: dict
        disk:
          description: Space and inodes of the filesystems of C(datadir) and C(tmpdir) (entries as in C(disk)), with C(holds).
          type: list
          elements: dict
'''

import time
from datetime import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.clockinfo import ReferenceTimeError, parse_reference_time
from ansible_collections.billmgr.ops.plugins.module_utils._logs.errorscan import DEFAULT_PATTERN, PatternError, compile_pattern
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.hostfacts import SECTIONS, FactsRequest, gather
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logsources import LogSourceError, check_name
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logzone import check_zones
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.sweepfacts import SWEEP_SECTIONS
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import MAX_TIMEOUT, Runner
from ansible_collections.billmgr.ops.plugins.module_utils._platform.panel import check_panel_name
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.osinfo import DEFAULT_SUPPORTED, SupportedOsError, normalize_supported
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, MgrLayout, check_options
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_data
from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import TimeSpecError, parse_time_or_relative


def _validated(params, now, layout):
    """The options as a FactsRequest's keywords; raises ValueError with an operator's message."""
    check_options(params, numbers=(('mgrctl_timeout', 0, MAX_TIMEOUT, True), ('tool_timeout', 0, MAX_TIMEOUT, True),
                                   ('error_lines', 0, 10000, False)))
    if params['error_lines'] < 0:
        raise ValueError('error_lines must be 0 or more, not %s' % params['error_lines'])
    if not 1 <= params['stuck_payment_hours'] <= 24 * 365:
        raise ValueError('stuck_payment_hours must be a number of hours from 1 to 8760, not %s'
                         % params['stuck_payment_hours'])
    for name in params['logs']:
        check_name(name, layout)
    log_zones = dict((check_name(name, layout), zone) for name, zone in check_zones(params['log_zones']).items())
    if not 0 <= params['debug_threshold'] <= 9:
        raise ValueError('debug_threshold must be a debug.conf level from 0 to 9, not %s' % params['debug_threshold'])
    return {
        'supported_os': normalize_supported(params['supported_os']),
        'reference_epoch': parse_reference_time(params['reference_time']),
        'since_local': parse_time_or_relative(params['since'], now=datetime.fromtimestamp(now), option='since'),
        'error_pattern': compile_pattern(params['error_pattern']),
        'error_lines': params['error_lines'],
        'debug_threshold': params['debug_threshold'],
        'mgrctl_timeout': params['mgrctl_timeout'],
        'tool_timeout': params['tool_timeout'],
        'logs': params['logs'],
        'log_zones': log_zones,
        'stuck_payment_hours': params['stuck_payment_hours'],
        'panel_names': [check_panel_name(name) for name in params['panel_names']],
    }


def main():
    # The host's clock as early as the module runs: the controller's round trip brackets it.
    now = time.time()
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            gather=dict(type='list', elements='str', default=['all'],
                        choices=['all', 'sweep'] + list(SECTIONS) + list(SWEEP_SECTIONS)),
            logs=dict(type='list', elements='str', default=['billmgr']),
            panel_names=dict(type='list', elements='str', default=[]),
            log_zones=dict(type='dict', default={}),
            stuck_payment_hours=dict(type='int', default=2),
            supported_os=dict(type='list', elements='raw', default=list(DEFAULT_SUPPORTED)),
            reference_time=dict(type='raw'),
            since=dict(type='str', default='24h'),
            error_lines=dict(type='int', default=10),
            error_pattern=dict(type='str', default=DEFAULT_PATTERN),
            debug_threshold=dict(type='int', default=8),
            mgrctl_timeout=dict(type='float', default=10),
            tool_timeout=dict(type='float', default=10),
        ),
        supports_check_mode=True,
    )
    layout = MgrLayout(module.params['mgr_root'])
    asked = set(module.params['gather'])
    if 'sweep' in asked:
        asked.update(('all',) + SWEEP_SECTIONS)
    sections = [name for name in SECTIONS + SWEEP_SECTIONS
                if name in asked or ('all' in asked and name in SECTIONS)]
    try:
        options = _validated(module.params, now, layout)
    except (ValueError, ReferenceTimeError, PatternError, SupportedOsError, TimeSpecError, LogSourceError) as exc:
        module.fail_json(msg=str(exc), changed=False)
    request = FactsRequest(layout, Runner(), now=now, **options)

    facts = {'mgr_root': layout.root, 'gathered': list(sections)}
    # Log samples, early-stop threads and command output are masked before they leave the host.
    facts.update(mask_data(gather(request, sections)))
    if isinstance(facts.get('clock'), dict):
        # As late as possible: the host's work in between is taken out of the round trip.
        facts['clock']['epoch_end'] = round(time.time(), 3)
    module.exit_json(changed=False, billmgr_facts=facts, ansible_facts={'billmgr': facts})


if __name__ == '__main__':
    main()
