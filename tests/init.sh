# Sourced by every tests/*.test that runs the tracer: the helpers of
# tests/lib.sh, the gate (root, jq, the binary, tracefs, syscall
# tracepoints: a test that needs none of them sources lib.sh alone) and the
# helpers that run the tracer and read tracefs.
# Exit codes (automake): 0 pass, 1 fail, 77 skip, 99 framework failure.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MAPPER=${MAPPER:-$builddir/tests/mapper}
TRACEFS=/sys/kernel/tracing

[ "$(id -u)" = 0 ] || skip "needs root (tracefs)"
command -v jq >/dev/null || framework_fail "jq is not installed"
need_built "$MMAPTRACE"
if [ "$(stat -f -c %T $TRACEFS 2>/dev/null)" != tracefs ]; then
	mount -t tracefs nodev $TRACEFS 2>/dev/null || skip "tracefs not available"
fi
[ -r $TRACEFS/events/syscalls/sys_enter_mmap/format ] ||
	skip "kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)"

make_work

# no_instance_of PID: the run of PID left nothing in tracefs.
no_instance_of() {
	if [ -e "$TRACEFS/instances/mmaptrace-$1" ]; then
		fail "instance mmaptrace-$1 left behind"
	else
		ok "no instance of run $1 left"
	fi
}

# wait_tracer: wait for $TRACER_PID, at most MMT_TRACER_WAIT seconds (120);
# a tracer that has not ended by then is shown (its threads' kernel stacks,
# and its children's states), then stopped with SIGTERM, and the test
# fails: a hang says where it hung instead of stalling the whole suite.
# Sets TRACER_STATUS.
wait_tracer() {
	local i t c limit=$((${MMT_TRACER_WAIT:-120} * 10))
	for ((i = 0; i < limit; i++)); do
		kill -0 "$TRACER_PID" 2> /dev/null || break
		[ "$(cut -d' ' -f3 "/proc/$TRACER_PID/stat" 2> /dev/null)" = Z ] && break
		sleep 0.1
	done
	if [ "$i" = "$limit" ]; then
		fail "tracer $TRACER_PID still running after ${MMT_TRACER_WAIT:-120} s"
		for t in /proc/"$TRACER_PID"/task/*; do
			echo "task ${t##*/} ($(cut -d' ' -f3 "$t/stat" 2> /dev/null)," \
				"wchan $(cat "$t/wchan" 2> /dev/null)):"
			cat "$t/stack" 2> /dev/null
		done
		for c in $(cat /proc/"$TRACER_PID"/task/*/children 2> /dev/null); do
			echo "child $c: $(cut -d' ' -f2-3 "/proc/$c/stat" 2> /dev/null)"
		done
		kill -TERM "$TRACER_PID"
	fi
	wait "$TRACER_PID"
	TRACER_STATUS=$?
}

# start_tracer [MMAPTRACE OPTIONS] -- MAPPER ARGS: the tracer on the mapper in
# the background, records to $WORK/out.json, mapper output to $WORK/res,
# tracer stderr to $WORK/err; the mapper's stdin is fd 9 (closing it lets the
# mapper end). Sets TRACER_PID.
start_tracer() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	rm -f "$WORK/ctl" "$WORK/res" "$WORK/maps"
	mkfifo "$WORK/ctl"
	"$MMAPTRACE" -o "$WORK/out.json" "${opts[@]}" -- "$MAPPER" "$@" \
		< "$WORK/ctl" > "$WORK/res" 2> "$WORK/err" &
	TRACER_PID=$!
	exec 9> "$WORK/ctl"
}

# wait_for_line WORD: at most 10 s for a mapper line that starts with WORD.
wait_for_line() {
	local i
	for i in $(seq 1 200); do
		grep -q "^$1" "$WORK/res" 2> /dev/null && return 0
		sleep 0.05
	done
	return 1
}

# trace_mapper [MMAPTRACE OPTIONS] -- MAPPER ARGS: run the mapper under the
# tracer; while the mapper waits, copy its /proc/PID/maps, cmdline and comm
# to $WORK/maps, $WORK/cmdline and $WORK/comm.
# Records in $WORK/out.json, mapper output in $WORK/res, tracer stderr in
# $WORK/err; sets TRACER_PID, MAPPER_PID and TRACER_STATUS.
trace_mapper() {
	start_tracer "$@"
	wait_for_line ready
	MAPPER_PID=$(sed -n 's/^ready //p' "$WORK/res")
	[ -n "$MAPPER_PID" ] || { cat "$WORK/err"; framework_fail "mapper did not start"; }
	cp "/proc/$MAPPER_PID/maps" "$WORK/maps"
	cat "/proc/$MAPPER_PID/cmdline" > "$WORK/cmdline"
	cat "/proc/$MAPPER_PID/comm" > "$WORK/comm"
	sleep 0.2	# let the tracer read the events while the mapper still lives
	exec 9>&-
	wait_tracer
}

# trace_stopped [MMAPTRACE OPTIONS] -- [-n] MAPPER ARGS: like trace_mapper, but
# the tracer is stopped (SIGSTOP) from before the mapper's first mapping until
# the mapper is done (printed "ready"; with -n, has exited too), so the reader
# surely looks only after what the mapper did meanwhile (an unlink, a rename,
# its own exit): a fast reader would otherwise often look before.
# Records in $WORK/out.json, mapper output in $WORK/res, tracer stderr in
# $WORK/err; sets TRACER_PID, MAPPER_PID and TRACER_STATUS.
trace_stopped() {
	local opts=() nowait=() i
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	[ "${1:-}" = -n ] && { nowait=(-n); shift; }
	start_tracer "${opts[@]}" -- "${nowait[@]}" -w "$@"
	wait_for_line waiting
	MAPPER_PID=$(sed -n 's/^waiting //p' "$WORK/res")
	[ -n "$MAPPER_PID" ] || framework_fail "mapper did not start: $(cat "$WORK/err")"
	kill -STOP "$TRACER_PID"
	echo go >&9
	wait_for_line ready || framework_fail "mapper did not finish: $(cat "$WORK/res")"
	# -n: the mapper exits at once; the stopped tracer (its parent) leaves a zombie.
	for i in $(seq 1 200); do
		[ ${#nowait[@]} = 0 ] && break
		[ "$(cut -d' ' -f3 "/proc/$MAPPER_PID/stat" 2>/dev/null)" = Z ] && break
		sleep 0.05
	done
	kill -CONT "$TRACER_PID"
	sleep 0.3
	exec 9>&-
	wait_tracer
}

# leaked_instances: instances of mmaptrace runs that are no longer alive.
leaked_instances() {
	local d pid
	for d in "$TRACEFS"/instances/mmaptrace-*; do
		[ -e "$d" ] || continue
		pid=${d##*-}
		[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = mmaptrace ] || echo "${d##*/}"
	done
}

# no_leaks WHAT: no dead run left an instance behind.
no_leaks() {
	local l
	l=$(leaked_instances)
	if [ -z "$l" ]; then ok "$1: no instance left"; else fail "$1: left $l"; fi
}

# top_state: the top-level tracing state that mmaptrace must never change.
top_state() {
	local f
	for f in tracing_on current_tracer trace_clock buffer_size_kb set_event set_event_pid \
		 options/event-fork buffer_percent; do
		printf '%s: %s\n' "$f" "$(cat "$TRACEFS/$f" 2>/dev/null | tr '\n' ' ')"
	done
	printf 'enabled: %s\n' "$(cat "$TRACEFS/events/enable")"
	printf 'kprobes: %s\n' "$(grep -c mmaptrace "$TRACEFS/kprobe_events" 2>/dev/null)"
}

# wait_ready ERRFILE: until the run whose stderr is ERRFILE has enabled all its
# events (it says which backend it uses then; 5 s at most).
# A file that an earlier run wrote says it at once: remove it before the run.
wait_ready() {
	local i
	for i in $(seq 1 100); do
		grep -q 'backend:' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wait_instance PID: until the run PID has created its instance (5 s at most).
wait_instance() {
	local i
	for i in $(seq 1 100); do
		[ -e "$TRACEFS/instances/mmaptrace-$1/events/syscalls/sys_enter_mmap/enable" ] &&
			[ "$(cat "$TRACEFS/instances/mmaptrace-$1/events/syscalls/sys_enter_mmap/enable")" = 1 ] &&
			return 0
		sleep 0.05
	done
	return 1
}
