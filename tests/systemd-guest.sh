#!/bin/bash
# The shipped unit under a real systemd. Runs inside `scripts/qemu-run --systemd`
# (the host's systemd as PID 1, /etc, /usr and /var writable in the guest's
# memory), started by tests/systemd.test. The unit make built goes to
# /etc/systemd/system and the fresh binary to the path of its ExecStart, as
# make install puts them; then systemctl start, a mapping, logrotate with the
# shipped configuration, systemctl stop, each checked against what the guest
# itself sees: the record's hash against sha256sum, the process's limits
# against the unit's settings, tracefs against what a clean exit leaves.
. "${srcdir:-.}/tests/init.sh"

[ "${MMT_IN_QEMU:-}" = 1 ] || skip "runs inside scripts/qemu-run --systemd (see tests/systemd.test)"
[ "$(cat /proc/1/comm)" = systemd ] || framework_fail "PID 1 is $(cat /proc/1/comm), not systemd"
for t in systemctl journalctl logrotate capsh sha256sum; do
	command -v $t > /dev/null || framework_fail "$t is not installed"
done
echo "guest kernel $(uname -r), $(systemctl --version | head -n1)"
LOG=/var/log/mmaptrace/events.jsonl

# The unit make built; without one (no systemd unit dir at configure time),
# the template as make fills it in for the default prefix.
unit=$builddir/data/mmaptrace.service
if [ -r "$unit" ]; then
	cp "$unit" "$WORK/unit"
else
	unit=$srcdir/data/mmaptrace.service.in
	sed 's|@sbindir[@]|/usr/local/sbin|g' "$unit" > "$WORK/unit"
fi
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$WORK/unit")
# A prefix in the build tree (make distcheck): the guest's copy of that tree is read-only.
case $exe in
/usr/*) ;;
*) sed -i "s|^ExecStart=$exe |ExecStart=/usr/local/sbin/mmaptrace |" "$WORK/unit"
   echo "ExecStart=$exe is not under /usr: the unit runs /usr/local/sbin/mmaptrace"
   exe=/usr/local/sbin/mmaptrace ;;
esac
echo "unit from $unit, ExecStart=$exe"
install -D -m 755 "$MMAPTRACE" "$exe" && install -m 644 "$WORK/unit" /etc/systemd/system/mmaptrace.service ||
	framework_fail "cannot install the unit and $exe"
cp "$MAPPER" "$WORK/mapper" || framework_fail "cannot copy the mapper"
MAPPER=$WORK/mapper
rm -rf /var/log/mmaptrace	# what the host may have there
# A unit not loaded yet is read at its first use; one already loaded (a
# package of the host's enabled it) needs a reload, which costs ~5 s here.
[ "$(systemctl show -p FragmentPath -p NeedDaemonReload mmaptrace.service | sort | xargs)" = \
	"FragmentPath=/etc/systemd/system/mmaptrace.service NeedDaemonReload=no" ] ||
	systemctl daemon-reload ||
	framework_fail "systemctl daemon-reload"

# Whatever systemd finds wrong in the unit file (the man page of
# Documentation= is not installed here).
systemd-analyze verify --man=no /etc/systemd/system/mmaptrace.service > "$WORK/verify" 2>&1
check "systemd-analyze verify status" 0 "$?"
check "systemd-analyze verify says" "" "$(cat "$WORK/verify")"

show() { systemctl show -p "$1" --value mmaptrace.service; }
journal() {
	echo "---- journal of mmaptrace.service:"
	journalctl -b -p info -u mmaptrace.service -o short-monotonic --no-pager
}

echo "[${SECONDS}s] systemctl start"
systemctl start mmaptrace.service
check "systemctl start status" 0 "$?"
pid=$(show MainPID)
check "active after start" active "$(show ActiveState)"
check "the unit systemd runs" /etc/systemd/system/mmaptrace.service "$(show FragmentPath)"
check "sys-kernel-tracing.mount (Requires=)" active "$(systemctl is-active sys-kernel-tracing.mount)"
inst=$TRACEFS/instances/mmaptrace-$pid
for i in $(seq 1 300); do
	[ "$(cat "$inst/tracing_on" 2> /dev/null)" = 1 ] &&
		grep -qsx 1 "$inst"/events/*/*/enable && break
	sleep 0.1
done
[ "$i" = 300 ] && { journal; framework_fail "the service's run $pid never enabled its events"; }

# map_until_recorded FILE: the mapper maps FILE PROT_EXEC and waits until
# the record of that mapping is in $LOG (30 s at most; a record comes in a
# few): the service reads the mapper's /proc files while it lives. Sets
# MAPPER_PID; without the record, says what the service wrote of the mapper.
map_until_recorded() {
	local end=$((SECONDS + 30))
	rm -f "$WORK/ctl" "$WORK/res"
	mkfifo "$WORK/ctl"
	"$MAPPER" exec "$1" < "$WORK/ctl" > "$WORK/res" &
	exec 9> "$WORK/ctl"
	wait_for_line ready || framework_fail "mapper did not map $1"
	MAPPER_PID=$(sed -n 's/^ready //p' "$WORK/res")
	until grep -qF "\"$1\"" "$LOG" 2> /dev/null; do
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.5
	done
	exec 9>&-
	wait
	grep -qF "\"$1\"" "$LOG" 2> /dev/null && return 0
	echo "no record of $1 after 30 s; the service's records of its inode in pid $MAPPER_PID:"
	jq -c --argjson p "$MAPPER_PID" --argjson i "$(stat -c %i "$1")" \
		'select(.info.task.pid == $p and .data.mapping.inode == $i) |
		{path: .data.mapped.path, sha256: .data.mapped.sha256, error: .data.mapped.error}' "$LOG"
}

# A file under /tmp: the service has a /tmp of its own (PrivateTmp=), and
# reaches the file through /proc/PID/map_files all the same.
f=$WORK/lib-first.bin
head -c 16384 /dev/urandom > "$f" || framework_fail "cannot write $f"
map_until_recorded "$f"
rec=$(jq -c --arg p "$f" 'select(.info.event.name == "mmap_exec" and .data.mapped.path == $p)' "$LOG")
check "mmap_exec records of $f" 1 "$(grep -c . <<< "$rec")"
if [ -n "$rec" ]; then
	check "record: sha256 (sha256sum)" "$(sha256sum < "$f" | cut -d' ' -f1)" \
		"$(head -n1 <<< "$rec" | jq -r .data.mapped.sha256)"
	check "record: pid, error" "$MAPPER_PID null" \
		"$(head -n1 <<< "$rec" | jq -r '"\(.info.task.pid) \(.data.error)"')"
fi
check "the service's /tmp is its own" no "$([ -e "/proc/$pid/root$f" ] && echo yes || echo no)"

# The unit's hardening, on the running process.
st=/proc/$pid/status
want=$(sed -n 's/^CapabilityBoundingSet=//p' "$WORK/unit" | tr 'A-Z ' 'a-z\n' | sort | xargs)
got=$(capsh --decode="$(awk '/^CapBnd:/ {print $2}' "$st")" | sed 's/.*=//' | tr , '\n' | sort | xargs)
check "CapBnd = CapabilityBoundingSet=" "$want" "$got"
check "NoNewPrivs (NoNewPrivileges=)" 1 "$(awk '/^NoNewPrivs:/ {print $2}' "$st")"
check "Seccomp filter (SystemCallArchitectures=, MemoryDenyWriteExecute=, ...)" 2 \
	"$(awk '/^Seccomp:/ {print $2}' "$st")"
check "/ read-only (ProtectSystem=strict)" ro \
	"$(awk '$5 == "/" {split($6, o, ","); print o[1]}' "/proc/$pid/mountinfo")"
check "/home inaccessible (ProtectHome=)" 0 "$(stat -c %a "/proc/$pid/root/home")"
cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
check "cgroup" /sys/fs/cgroup/system.slice/mmaptrace.service "$cg"
check "memory.high, memory.max, pids.max" "268435456 536870912 32" \
	"$(cat "$cg/memory.high" "$cg/memory.max" "$cg/pids.max" | xargs)"
check "log directory mode (LogsDirectoryMode=)" 750 "$(stat -c %a /var/log/mmaptrace)"
check "records file mode (0600, as created)" 600 "$(stat -c %a "$LOG")"

echo "[${SECONDS}s] logrotate"
# Rotation as the shipped logrotate configuration does it: under systemd,
# its postrotate sends SIGHUP through systemctl.
logrotate -f -s "$WORK/logrotate.state" "$srcdir/data/logrotate/mmaptrace" > "$WORK/lr" 2>&1
check "logrotate status" 0 "$?"
cat "$WORK/lr"
check "rotated file" yes "$([ -s "$LOG.1" ] && echo yes || echo no)"
g=$WORK/lib-second.bin
head -c 16384 /dev/urandom > "$g" || framework_fail "cannot write $g"
map_until_recorded "$g"
check "after the rotation: in the new file" 1 \
	"$(jq -c --arg p "$g" 'select(.data.mapped.path == $p)' "$LOG" | wc -l)"
check "after the rotation: not in the rotated file" 0 \
	"$(jq -c --arg p "$g" 'select(.data.mapped.path == $p)' "$LOG.1" | wc -l)"
check "before the rotation: only in the rotated file" "1 0" \
	"$(jq -c --arg p "$f" 'select(.data.mapped.path == $p)' "$LOG.1" | wc -l) $(grep -cF "\"$f\"" "$LOG")"
check "the same run after SIGHUP" "active $pid" "$(show ActiveState) $(show MainPID)"
check "new file mode (logrotate create 0600)" 600 "$(stat -c %a "$LOG")"
every_line_parses "$LOG.1"

# systemd takes death by SIGTERM for a clean exit too, and unloads a stopped
# unit nothing refers to (systemctl show then gives defaults): how the main
# process ended is in the journal, at debug level only when it is a success.
systemctl show -p NRestarts,ExecMainStartTimestampMonotonic mmaptrace.service > "$WORK/before-stop"
echo "[${SECONDS}s] systemctl stop"
systemd-analyze log-level debug
systemctl stop mmaptrace.service
check "systemctl stop status" 0 "$?"
systemd-analyze log-level info
check "after stop: ActiveState" inactive "$(show ActiveState)"
# The live file once its writer is gone: read while the service writes a
# batch (one write(2) of whole lines), a reader can see the write half done.
every_line_parses "$LOG"
check "NRestarts (Restart=on-failure)" NRestarts=0 "$(grep NRestarts "$WORK/before-stop")"
journalctl -b -u mmaptrace.service -o cat --no-pager > "$WORK/journal"
check "how the main process ended (journal)" "Main process exited, code=exited, status=0/SUCCESS (success)" \
	"$(sed -n 's/^mmaptrace.service: \(Main process exited, .*\)/\1/p' "$WORK/journal")"
grep -q '^mmaptrace.service: Deactivated successfully' "$WORK/journal" &&
	ok "journal: deactivated successfully" || fail "journal: not deactivated successfully"
check "tracefs instances of mmaptrace left" "" "$(ls "$TRACEFS/instances" | grep mmaptrace | xargs)"
check "kprobes of mmaptrace left" 0 "$(cat "$TRACEFS/kprobe_events" 2> /dev/null | grep -c mmaptrace)"
check "/run/mmaptrace kept (RuntimeDirectoryPreserve=)" yes "$([ -d /run/mmaptrace ] && echo yes || echo no)"
grep -q '^mmaptrace: [0-9]* events, [0-9]* mappings, [0-9]* records written' "$WORK/journal" &&
	ok "the journal has the run's summary" || fail "no summary in the journal"
check "journal: mmaptrace's errors and warnings" "" \
	"$(grep '^mmaptrace:' "$WORK/journal" | grep -Ei 'cannot|error|fail|warn' | xargs)"

# -o journal: into this systemd's own journald (issue 16): every record is an
# entry whose MESSAGE is the record, typed and with its fields.
j=$WORK/journal-lib.bin
head -c 12288 /dev/urandom > "$j" || framework_fail "cannot write $j"
"$MMAPTRACE" -o journal: -e mmap_exec -- "$MAPPER" -n exec "$j" > /dev/null 2> "$WORK/jerr" &
jpid=$!
wait "$jpid"
check "journal: status" 0 "$?"
written=$(sed -n 's/.* \([0-9]*\) records written.*/\1/p' "$WORK/jerr")
journalctl --sync 2> /dev/null
journalctl -o json --no-pager SYSLOG_IDENTIFIER=mmaptrace _PID="$jpid" > "$WORK/jj"
[ "${written:-0}" -ge 1 ] || framework_fail "journal: no record written: $(cat "$WORK/jerr")"
check "journal: mmap_exec entries = records written" "$written" \
	"$(jq -c 'select(.MMAPTRACE_EVENT == "mmap_exec")' "$WORK/jj" | wc -l)"
check "journal: entries whose MESSAGE is not their record" 0 \
	"$(jq -c 'select(.MMAPTRACE_EVENT == "mmap_exec" and
		(.MESSAGE | fromjson | .info.event.name) != .MMAPTRACE_EVENT)' "$WORK/jj" | wc -l)"
check "journal: the mapped file's MMAPTRACE_SHA256" "$(sha256sum < "$j" | cut -d' ' -f1)" \
	"$(jq -r --arg p "$j" 'select(.MMAPTRACE_PATH == $p) | .MMAPTRACE_SHA256' "$WORK/jj")"
check "journal: priority info for records without alerts" "" \
	"$(jq -r 'select(.MMAPTRACE_EVENT == "mmap_exec" and (.MMAPTRACE_ALERTS // "") == "") | .PRIORITY' \
		"$WORK/jj" | grep -v '^6$' | xargs)"
journal
echo "guest script took ${SECONDS}s"
finish
