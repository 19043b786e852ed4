# Sourced by tests/*.test for the helpers alone: it needs neither root nor
# tracefs, and sourcing it never exits, so a test that traces nothing (the
# man page, make install, the unit tests) sources this and gates itself on
# what it does need. tests/init.sh sources it too and adds the tracer's gate.
# Exit codes (automake): 0 pass, 1 fail, 77 skip, 99 framework failure.
set -u

# make check exports both; by hand the tree sits above this file.
srcdir=${srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
builddir=${builddir:-$srcdir}
MMAPTRACE=${MMAPTRACE:-$builddir/mmaptrace}
NFAIL=0

skip() { echo "SKIP: $*"; exit 77; }
framework_fail() { echo "ERROR: $*"; exit 99; }
fail() { echo "FAIL: $*"; NFAIL=$((NFAIL + 1)); }
ok() { echo "ok: $*"; }
# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1 = $3"; else fail "$1: expected '$2', got '$3'"; fi
}
finish() { [ "$NFAIL" = 0 ] && exit 0; echo "$NFAIL check(s) failed"; exit 1; }

# need_built FILE: the build made FILE (a program the test runs).
need_built() { [ -x "$1" ] || framework_fail "$1 not built"; }

# make_work: a scratch directory in $WORK, removed at exit. A test that sets
# its own EXIT trap calls cleanup from it.
make_work() {
	WORK=$(mktemp -d /tmp/mmt-test.XXXXXX) || framework_fail "mktemp"
	trap cleanup EXIT
}
cleanup() {
	# fd 9: the mapper's stdin (tests/init.sh's start_tracer); closed, a
	# mapper still waiting ends.
	exec 9>&- 2>/dev/null
	rm -rf "$WORK"
}

# every_line_parses FILE: each line, on its own, is one JSON object.
every_line_parses() {
	local n bad
	n=$(wc -l < "$1")
	bad=$(jq -R -c 'fromjson? // "BAD"' "$1" | grep -c '^"BAD"$')
	if [ "$bad" = 0 ] && [ -z "$(tail -c1 "$1" | tr -d '\n')" ]; then
		ok "all $n lines of $(basename "$1") parse as JSON"
	else
		fail "$bad of $n lines of $(basename "$1") do not parse (or the last line is cut)"
	fi
}

# field KEY LINE: value of KEY= in a mapper output line.
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2"; }

# record_at ADDR [FILE]: the do_mmap record whose addr is ADDR (decimal), in
# FILE ($WORK/out.json by default).
record_at() {
	jq -c --argjson a "$1" 'select(.event == "do_mmap" and .addr == $a)' "${2:-$WORK/out.json}"
}

# maps_line ADDR [FILE]: the /proc/PID/maps line of the VMA that starts at ADDR
# (decimal), in FILE ($WORK/maps by default).
maps_line() { grep "^$(printf '%x' "$1")-" "${2:-$WORK/maps}"; }
