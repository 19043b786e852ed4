#!/bin/bash
# The kprobe backend against ground truth. Runs inside scripts/qemu-run's guest
# (Debian 6.1 or 6.12, both with kprobe events), started by tests/kprobe.test:
# stat and /proc/PID/maps are read here, in the guest, because inode numbers
# over the guest's 9p root differ from the host's.
. "${srcdir:-.}/tests/init.sh"

[ "${MMT_IN_QEMU:-}" = 1 ] || skip "runs inside scripts/qemu-run (see tests/kprobe.test)"
[ -e "$TRACEFS/kprobe_events" ] || framework_fail "guest kernel $(uname -r) has no kprobe events"
kver=$(uname -r)
echo "guest kernel $kver"
# Private copies: the host tree is shared live, and a rebuild there (a parallel make)
# would swap the binaries under the running test.
cp "$MMAPTRACE" "$MAPPER" "$WORK/" || framework_fail "cannot copy the binaries"
MMAPTRACE=$WORK/${MMAPTRACE##*/}
MAPPER=$WORK/${MAPPER##*/}
ours() { grep -c '^[pr][0-9]*:mmaptrace_' "$TRACEFS/kprobe_events"; }

# A fresh boot: kprobe_events is empty (libtracefs reads that as NULL), and
# the kprobe backend must still be chosen.
if [ ! -s "$TRACEFS/kprobe_events" ]; then
	"$MMAPTRACE" --backend kprobe -o "$WORK/out.json" -- true 2> "$WORK/err"
	check "empty kprobe_events: --backend kprobe status" 0 "$?"
	grep -q 'backend: kprobe' "$WORK/err" && ok "empty kprobe_events: kprobe backend" ||
		fail "empty kprobe_events: $(cat "$WORK/err")"
	check "empty kprobe_events: empty again after the run" 0 "$(wc -c < "$TRACEFS/kprobe_events")"
else
	fail "kprobe_events not empty at boot: $(cat "$TRACEFS/kprobe_events")"
fi

# Another tool's probe on the same function: it must work beside ours and survive us.
other='p:othertool/do_mmap_other do_mmap'
echo "$other" >> "$TRACEFS/kprobe_events" || framework_fail "cannot add $other"

# --print-probes: argument positions from this kernel's BTF; nothing is written.
"$MMAPTRACE" --print-probes > "$WORK/probes" 2> "$WORK/err"
check "--print-probes exit status" 0 "$?"
cat "$WORK/probes"
grep -q 'kprobe layout from btf:/sys/kernel/btf/vmlinux' "$WORK/err" ||
	fail "--print-probes does not say the layout came from BTF"
case $kver in
6.1.*) pos='flags=$arg5:x64 pgoff=$arg6:u64'
       mpos='start=$arg4:x64 end=$arg5:x64 newflags=$arg6:x64 oldflags=+32($arg2):x64' ;;
6.12.*) pos='flags=$arg5:x64 vm_flags=$arg6:x64 pgoff=$arg7:u64'
	mpos='start=$arg5:x64 end=$arg6:x64 newflags=$arg7:x64 oldflags=+32($arg3):x64' ;;
*) framework_fail "no expected do_mmap signature for $kver" ;;
esac
grep -qF -- "$pos ino=+" "$WORK/probes" && ok "do_mmap positions: $pos" ||
	fail "probe definition lacks '$pos'"
# mprotect_fixup gained a vma_iterator first argument in 6.2: the positions move.
grep -Eq "^p:mmaptrace_[0-9]+/mprotect_fixup_entry_[0-9]+ mprotect_fixup $(sed 's/[$()+]/\\&/g' <<< "$mpos") file=" \
	"$WORK/probes" && ok "mprotect_fixup positions: $mpos" || fail "no mprotect_fixup line with '$mpos'"
grep -Eq '^r[0-9]+:mmaptrace_[0-9]+/mprotect_fixup_return_[0-9]+ mprotect_fixup ret=\$retval:s32$' \
	"$WORK/probes" && ok "mprotect_fixup return probe" || fail "mprotect_fixup return probe line"
grep -Eq '^r[0-9]+:mmaptrace_[0-9]+/do_mmap_return_[0-9]+ do_mmap ret=\$retval:x64$' \
	"$WORK/probes" && ok "return probe fetches only \$retval" || fail "return probe line"
check "--print-probes created no probe" 0 "$(ours)"

# A tmpfs whose device minor is >= 256, where the kernel's dev_t (major << 20 | minor)
# and the user-space encoding differ: mount anonymous-device filesystems until one is.
# perl: one process for hundreds of mounts (a fork+exec costs ~80 ms under TCG).
dir=$(WORK=$WORK perl -e 'my ($src, $type) = ("none", "tmpfs");	# syscall() wants writable strings
for my $i (1..400) {
	my $d = "$ENV{WORK}/dev$i";
	mkdir $d or die "mkdir: $!";
	syscall(165, $src, $d, $type, 0, 0) == 0 or die "mount: $!";	# SYS_mount
	my $dev = (stat $d)[0];
	if ((($dev & 0xff) | (($dev >> 12) & 0xfff00)) >= 256) { print $d; exit 0 }
}
exit 1') || framework_fail "no tmpfs with a device minor >= 256"
f=$dir/lib.bin
head -c 16384 /dev/urandom > "$f" || framework_fail "cannot write $f"
echo "test file $f on device $(stat -c '%Hd:%Ld' "$f")"

# exec_file_checks WHAT: the PROT_EXEC mapping of $f at page offset 1 in $WORK/out.json.
exec_file_checks() {
	local line addr rec m range perms off dev ino path start end
	line=$(grep '^map=exec' "$WORK/res")
	addr=$(field addr "$line")
	rec=$(record_at "$addr")
	[ -n "$rec" ] || { fail "$1: no record at address $addr"; return; }
	m=$(maps_line "$addr")
	[ -n "$m" ] || framework_fail "no maps line at $addr"
	read -r range perms off dev ino path <<< "$m"
	start=$((16#${range%-*})); end=$((16#${range#*-}))
	check "$1: addr" "$start" "$(jq .addr <<< "$rec")"
	check "$1: len" "$((end - start))" "$(jq .len <<< "$rec")"
	check "$1: prot" 5 "$(jq .prot <<< "$rec")"
	check "$1: mmap_flags" "$(field flags "$line")" "$(jq .mmap_flags <<< "$rec")"
	check "$1: pgoff" "$((16#$off / $(getconf PAGESIZE)))" "$(jq .pgoff <<< "$rec")"
	check "$1: pgoff-is-1" 1 "$(jq .pgoff <<< "$rec")"
	check "$1: pathname" "$path" "$(jq -r .pathname <<< "$rec")"
	check "$1: inode" "$(stat -c %i "$f")" "$(jq .inode <<< "$rec")"
	check "$1: inode (maps)" "$ino" "$(jq .inode <<< "$rec")"
	check "$1: dev" "$(stat -c %d "$f")" "$(jq .dev <<< "$rec")"
	# From the line as written: jq reads numbers as doubles, and ns since 1970 need
	# more than their 53 bits.
	check "$1: ctime (ns)" "$(stat -c %.9Z "$f" | tr -d .)" \
		"$(grep -F "\"addr\":$addr," "$WORK/out.json" | sed -n 's/.*"ctime":\([0-9]*\).*/\1/p')"
	# O_RDONLY|O_LARGEFILE (0100000), read from the kernel's struct file.
	check "$1: flags (f_flags)" 32768 "$(jq .flags <<< "$rec")"
	case $kver in
	6.1.*) check "$1: vm_flags (not an argument before 6.6)" null "$(jq .vm_flags <<< "$rec")" ;;
	*) check "$1: vm_flags (none added by the mmap syscall)" 0 "$(jq .vm_flags <<< "$rec")" ;;
	esac
	check "$1: backend" kprobe "$(jq -r .backend <<< "$rec")"
	check "$1: pid" "$MAPPER_PID" "$(jq .pid <<< "$rec")"
	check "$1: error" null "$(jq .error <<< "$rec")"
}

# elf_loader_checks NAME FILE: the kernel mapped FILE at execve (no mmap syscall
# maps the executable or ld.so): a record for it, and its text segment as in maps.
elf_loader_checks() {
	local real rec addr m
	real=$(realpath "$2")
	rec=$(jq -c --arg p "$real" 'select(.pathname == $p and .prot == 5)' "$WORK/out.json")
	[ "$(wc -l <<< "$rec")" = 1 ] && [ -n "$rec" ] ||
		{ fail "ELF loader: no single r-x record of $real"; return; }
	ok "ELF loader: $1 mapping recorded"
	addr=$(jq .addr <<< "$rec")
	m=$(maps_line "$addr")
	check "ELF loader: $1 maps perms and path" "r-xp $real" "$(awk '{print $2, $6}' <<< "$m")"
	check "ELF loader: $1 inode" "$(stat -c %i "$real")" "$(jq .inode <<< "$rec")"
	check "ELF loader: $1 dev" "$(stat -c %d "$real")" "$(jq .dev <<< "$rec")"
	check "ELF loader: $1 backend" kprobe "$(jq -r .backend <<< "$rec")"
}

# One process maps $f, then loads code as a JIT and a memfd loader do (mprotect_checks).
trace_mapper --backend kprobe -e do_mmap,mprotect_exec -- loaders "$f"
check "tracer exit status" 0 "$TRACER_STATUS"
cat "$WORK/err"
every_line_parses "$WORK/out.json"
exec_file_checks btf
elf_loader_checks mapper "$MAPPER"
elf_loader_checks ld.so /lib64/ld-linux-x86-64.so.2
# ld.so's own anonymous mappings: no file, so no inode, dev, ctime or flags (never 0).
check "anonymous mappings with a file field" 0 \
	"$(jq -c 'select(.event == "do_mmap" and .mmap_flags % 64 >= 32 and ([.pathname,.inode,.dev,.ctime,.flags] != [null,null,null,null,null]))' "$WORK/out.json" | wc -l)"
[ "$(jq -c 'select(.event == "do_mmap" and .mmap_flags % 64 >= 32)' "$WORK/out.json" | wc -l)" -gt 0 ] ||
	fail "no anonymous mapping recorded"
grep -q 'backend: kprobe' "$WORK/err" || fail "stderr does not name the kprobe backend"
grep -q 'kprobe layout from btf:' "$WORK/err" || fail "stderr does not say where the offsets came from"
# A quiet guest misses nothing: not even 5.10, where every anonymous mapping's
# fetches fault and the kernel counts each fault as a miss of every do_mmap probe.
grep -Eq ', 0 returns missed, 0 entries missed$' "$WORK/err" && ok "summary: nothing missed" ||
	fail "summary lacks the missed counts, or some were missed: $(tail -2 "$WORK/err")"
check "kprobe lost records in a normal run" 0 \
	"$(jq -c 'select(.event == "lost" and .cause != "ring_buffer")' "$WORK/out.json" | wc -l)"
case $kver in
[0-4].*|5.[0-9].*|5.1[0-3].*) n=1 ;;
*) n=0 ;;
esac
check "notice that entry misses are not counted (kernels before 5.14)" $n \
	"$(grep -c "counts a fault in a probe's fetch as a miss" "$WORK/err")"
no_instance_of "$TRACER_PID"
check "our kprobes after the run" 0 "$(ours)"

# mprotect_checks WHAT: the mprotect_exec records of the loaders run, from the
# mprotect_fixup kprobe, whose vma gives the protection before the call; checked
# against the program's own lines and /proc/PID/maps.
mprotect_checks() {
	local line addr recs rec
	grep -q "kprobe layout: mprotect_fixup(vma=" "$WORK/err" ||
		{ cat "$WORK/err"; fail "$1: stderr does not give the mprotect_fixup layout"; }
	check "$1: mprotect_exec records (jit twice, memfd once, pkey once)" 4 \
		"$(jq -c 'select(.info.event.name == "mprotect_exec")' "$WORK/out.json" | wc -l)"
	line=$(grep -m1 '^mprotect=exec' "$WORK/res")
	addr=$(field addr "$line")
	recs=$(jq -c --arg a "$(printf '0x%x' "$addr")" 'select(.data.addr == $a)' "$WORK/out.json")
	check "$1: jit records (W^X twice)" 2 "$(grep -c . <<< "$recs")"
	rec=$(head -1 <<< "$recs")
	check "$1: jit prot, prev_prot (from the vma), len" '["0x5","0x3",4096]' \
		"$(jq -c '[.data.prot,.data.prev_prot,.data.len]' <<< "$rec")"
	check "$1: jit anonymous, alerts" 'true ["anon_exec"]' \
		"$(jq -c '.data.anonymous, .data.alerts' <<< "$rec" | tr '\n' ' ' | sed 's/ $//')"
	check "$1: jit backend" kprobe "$(jq -r .data.backend <<< "$rec")"
	check "$1: jit maps perms" r-xp "$(maps_line "$addr" | awk '{print $2}')"
	addr=$(field addr "$(grep '^mprotect=memfd' "$WORK/res")")
	rec=$(jq -c --arg a "$(printf '0x%x' "$addr")" 'select(.data.addr == $a)' "$WORK/out.json")
	check "$1: memfd path as maps shows it" "$(maps_line "$addr" | cut -d' ' -f6- | sed 's/^ *//')" \
		"$(jq -r .data.mapped.path <<< "$rec")"
	check "$1: memfd sha256" "$(sha256sum < "$f" | cut -d' ' -f1)" "$(jq -r .data.mapped.sha256 <<< "$rec")"
	check "$1: memfd prev_prot, alerts" '"0x1" ["memfd_exec"]' \
		"$(jq -c '.data.prev_prot, .data.alerts' <<< "$rec" | tr '\n' ' ' | sed 's/ $//')"
	addr=$(field addr "$(grep '^mprotect=pkey' "$WORK/res")")
	rec=$(jq -c --arg a "$(printf '0x%x' "$addr")" 'select(.data.addr == $a)' "$WORK/out.json")
	check "$1: pkey_mprotect prot, prev_prot, len, alerts" '"0x5" "0x3" 4096 ["anon_exec"]' \
		"$(jq -c '.data.prot, .data.prev_prot, .data.len, .data.alerts' <<< "$rec" | tr '\n' ' ' | sed 's/ $//')"
	check "$1: pkey maps perms" r-xp "$(maps_line "$addr" | awk '{print $2}')"
}
mprotect_checks btf

# One kretprobe instance (the test knob) and a storm of mappings by 4 processes
# of 2 threads: returns are missed, the summary says how many, lost records sum
# to it, and the kernel's own columns, read at the end of the storm, agree.
MMAPTRACE_MAXACTIVE=1 "$MMAPTRACE" -q --backend kprobe -e do_mmap -o "$WORK/out.json" -- \
	sh -c '"$1" stress 2 4 2 && cat "$2/kprobe_profile"' sh "$MAPPER" "$TRACEFS" \
	> "$WORK/res" 2> "$WORK/err"
check "storm: tracer exit status" 0 "$?"
missed=$(sed -n 's/.*, \([0-9]*\) returns missed, 0 entries missed$/\1/p' "$WORK/err")
[ "${missed:-0}" -gt 0 ] && ok "storm: $missed returns missed" ||
	fail "storm: no returns missed with maxactive 1: $(tail -2 "$WORK/err")"
check "storm: lost kretprobe_missed records add up to the summary" "$missed" \
	"$(jq -s '[.[] | select(.event == "lost" and .cause == "kretprobe_missed") | .lost] | add' \
		"$WORK/out.json")"
check "storm: lost kprobe_missed records" 0 \
	"$(jq -c 'select(.event == "lost" and .cause == "kprobe_missed")' "$WORK/out.json" | wc -l)"
# The kretprobe's column less its kprobe's: the returns missed by the end of the storm
kmissed=$(awk '$1 ~ /^do_mmap_return_/ { r = $3 } $1 ~ /^do_mmap_entry_/ { e = $3 }
	END { print r - e }' "$WORK/res")
[ "$missed" -ge "$kmissed" ] && [ "$kmissed" -gt 0 ] &&
	ok "storm: kernel's count at the end of the storm, $kmissed, is in it" ||
	{ cat "$WORK/res"; fail "storm: kernel's count $kmissed, the tool's $missed"; }
check "storm: our kprobes after the run" 0 "$(ours)"

# Without BTF: btf.c's table for this version must give the same truth.
export MMAPTRACE_BTF=none
trace_mapper --backend kprobe -e do_mmap,mprotect_exec -- loaders "$f"
unset MMAPTRACE_BTF
check "fallback: tracer exit status" 0 "$TRACER_STATUS"
grep -q "kprobe layout from fallback:${kver%.*-*}" "$WORK/err" && ok "fallback named on stderr" ||
	{ cat "$WORK/err"; fail "stderr does not name the fallback table"; }
exec_file_checks fallback
check "our kprobes after the fallback run" 0 "$(ours)"
mprotect_checks fallback
# -q silences the layout notice, never the warning that it may not fit.
MMAPTRACE_BTF=none "$MMAPTRACE" -q --backend kprobe -o /dev/null -- true 2> "$WORK/err"
grep -q "no BTF: .*wrong if this one is built differently" "$WORK/err" &&
	ok "fallback: -q still warns" || { cat "$WORK/err"; fail "fallback: -q hid the warning"; }
"$MMAPTRACE" -q --backend kprobe -o /dev/null -- true 2> "$WORK/err"
check "BTF layout under -q: stderr" "" "$(grep -v '^mmaptrace: [0-9]* events\|reader cpu' "$WORK/err")"

# An executable stack (PT_GNU_STACK RWE, as gcc -z execstack makes it): execve
# itself makes the stack executable through mprotect_fixup, while the stack is
# at a temporary address. No mprotect_exec record may name that range.
python3 -c '
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
off, = struct.unpack_from("<Q", b, 0x20)
size, n = struct.unpack_from("<HH", b, 0x36)
for o in range(off, off + size * n, size):
    if struct.unpack_from("<I", b, o)[0] == 0x6474e551:
        struct.pack_into("<I", b, o + 4, 7)
open(sys.argv[2], "wb").write(b)' "$MAPPER" "$WORK/execstack" && chmod +x "$WORK/execstack" ||
	framework_fail "cannot make an executable-stack copy of the mapper"
MAPPER=$WORK/execstack trace_mapper --backend kprobe -e do_mmap,mprotect_exec -- anon
check "exec stack: maps has an rwxp [stack]" 1 "$(grep -c ' rwxp .*\[stack\]$' "$WORK/maps")"
check "exec stack: mprotect_exec records" 0 \
	"$(jq -c 'select(.info.event.name == "mprotect_exec")' "$WORK/out.json" | wc -l)"
[ "$(jq -c 'select(.event == "do_mmap")' "$WORK/out.json" | wc -l)" -gt 0 ] ||
	fail "exec stack: the run recorded nothing at all"

# Ordinary programs raise no alert with the kprobe backend either, which also
# sees the ELF loader's mappings and execve's own stack setup.
for cmd in "ls /" "python3 -c pass"; do
	"$MMAPTRACE" -q --backend kprobe -e do_mmap,mmap_exec,mprotect_exec -o "$WORK/out.json" \
		-- $cmd > /dev/null 2> "$WORK/err"
	check "$cmd: status" 0 "$?"
	check "$cmd: records with an alert (of $(wc -l < "$WORK/out.json"))" 0 \
		"$(jq -c 'select((.alerts // .data.alerts) != [])' "$WORK/out.json" | wc -l)"
done

# SIGINT and SIGTERM while tracing: the run ends with status 0, whole lines
# and its summary, and takes its kprobes and instance with it.
for sig in INT TERM; do
	start_tracer --backend kprobe -- anon
	wait_for_line ready || framework_fail "SIG$sig: mapper did not start"
	wait_ready "$WORK/err" || fail "SIG$sig: the run never enabled its events"
	check "SIG$sig: our kprobes while running" 4 "$(ours)"
	kill -s "$sig" "$TRACER_PID"
	wait_tracer
	exec 9>&-
	check "SIG$sig: tracer exit status" 0 "$TRACER_STATUS"
	grep -q 'events lost' "$WORK/err" || fail "SIG$sig: no summary on stderr"
	every_line_parses "$WORK/out.json"
	check "SIG$sig: our kprobes after" 0 "$(ours)"
	no_instance_of "$TRACER_PID"
done

# SIGHUP with -o reopens the output file (logrotate's way), probes and all
# going on: a mapping made after it is in the new file only.
start_tracer --backend kprobe -- -w anon
wait_for_line waiting || framework_fail "SIGHUP: mapper did not start"
wait_ready "$WORK/err" || fail "SIGHUP: the run never enabled its events"
mv "$WORK/out.json" "$WORK/out.1"
kill -HUP "$TRACER_PID"
for i in $(seq 1 100); do [ -e "$WORK/out.json" ] && break; sleep 0.1; done
[ -e "$WORK/out.json" ] || fail "SIGHUP: the output file was not opened again"
echo >&9
wait_for_line ready || fail "SIGHUP: the mapper did not map"
sleep 0.3
exec 9>&-
wait_tracer
check "SIGHUP: tracer exit status" 0 "$TRACER_STATUS"
addr=$(field addr "$(grep '^map=anon' "$WORK/res")")
check "SIGHUP: the mapping is in the new file" 1 "$(record_at "$addr" | jq -r .backend | grep -c kprobe)"
check "SIGHUP: and not in the old one" 0 \
	"$(jq -c --argjson a "$addr" 'select(.event == "do_mmap" and .addr == $a)' "$WORK/out.1" | wc -l)"
every_line_parses "$WORK/out.1"
check "SIGHUP: our kprobes after" 0 "$(ours)"
no_instance_of "$TRACER_PID"

# A run killed with SIGKILL, or crashed (SIGSEGV: no teardown runs), leaves
# its probes; the next run removes them.
for sig in KILL SEGV; do
	rm -f "$WORK/ctl2"; mkfifo "$WORK/ctl2"
	"$MMAPTRACE" --backend kprobe -o /dev/null -- "$MAPPER" anon < "$WORK/ctl2" > /dev/null 2>&1 &
	crashed=$!
	exec 8> "$WORK/ctl2"
	for i in $(seq 1 100); do
		grep -q "^p:mmaptrace_$crashed/" "$TRACEFS/kprobe_events" &&
			[ -d "$TRACEFS/instances/mmaptrace-$crashed" ] && break
		sleep 0.1
	done
	kill -s "$sig" "$crashed"
	wait "$crashed" 2>/dev/null
	exec 8>&-
	check "SIG$sig: probes of the dead run still there" 4 \
		"$(grep -c "^[pr][0-9]*:mmaptrace_$crashed/" "$TRACEFS/kprobe_events")"
	"$MMAPTRACE" --backend kprobe -o /dev/null -- true 2> "$WORK/err"
	check "SIG$sig: next run exit status" 0 "$?"
	grep -q "removed 4 kprobe(s) of group mmaptrace_$crashed" "$WORK/err" &&
		ok "SIG$sig: next run says it removed the dead run's probes" ||
		{ cat "$WORK/err"; fail "SIG$sig: no removal message"; }
	no_instance_of "$crashed"
	check "SIG$sig: our kprobes after the sweep" 0 "$(ours)"
done
check "instances left" "" "$(ls "$TRACEFS/instances")"
grep -qxF "$other" "$TRACEFS/kprobe_events" && ok "another tool's kprobe untouched" ||
	fail "another tool's kprobe was removed"
echo "-:othertool/do_mmap_other" >> "$TRACEFS/kprobe_events" || fail "cannot remove $other"
WORK=$WORK perl -e 'for my $d (glob "$ENV{WORK}/dev*") { syscall(166, $d, 0) }'	# SYS_umount2
echo "guest script took ${SECONDS}s"
finish
