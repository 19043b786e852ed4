#!/bin/bash
# The kprobe backend against ground truth. Runs inside scripts/qemu-run's guest
# (a Debian kernel with kprobe events and BTF), started by tests/kprobe.test:
# stat and /proc/PID/maps are read here, in the guest, because inode numbers
# in the guest (its own root, and the host's folders over 9p) differ from the
# host's, and the expected layout
# comes from the guest's BTF, read by bpftool.
. "${srcdir:-.}/tests/init.sh"

[ "${MMT_IN_QEMU:-}" = 1 ] || skip "runs inside scripts/qemu-run (see tests/kprobe.test)"
# Debian's programs first: a version manager's shim in the host's PATH (pyenv's
# python3 runs bash scripts and forks a dozen times) took 30 s to start python3
# under TCG on 5.10, /usr/bin/python3 0.7 s.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
# Under TCG every process counts: 0.1 s for true, 0.2 s for sed or grep, 0.6 s
# for jq. The C locale opens no file, C.UTF-8 a dozen over 9p: sed and grep
# take 0.1 s less in C (5.10 and 6.1). None of the test's tools needs
# C.UTF-8, and mmaptrace reads no locale. The programs traced keep the locale
# they had ($lc): how long ls lives decides whether its files are hashed
# before it exits (the perf checks below).
lc=${LC_ALL-}
export LC_ALL=C
[ -e "$TRACEFS/kprobe_events" ] || framework_fail "guest kernel $(uname -r) has no kprobe events"
kver=$(uname -r)
arch=$(uname -m)
page=$(getconf PAGESIZE)
echo "guest kernel $kver ($arch)"
# What differs between the architectures the guests run: ld.so's name, the
# numbers of the system calls perl makes (mount(2), umount2(2)), and the
# kernel's O_LARGEFILE (0100000 on x86, 0400000 on arm64), which every
# 64-bit open(2) sets in the struct file's f_flags
case $arch in
x86_64) ldso=/lib64/ld-linux-x86-64.so.2 sys_mount=165 sys_umount2=166 o_largefile=32768 ;;
aarch64) ldso=/lib/ld-linux-aarch64.so.1 sys_mount=40 sys_umount2=39 o_largefile=131072 ;;
*) framework_fail "no ld.so name or syscall numbers for $arch" ;;
esac
# pkey_mprotect(2): always on x86_64; on arm64 only from 6.12 (its syscall
# tracepoints say whether this kernel has it)
pkey=1
[ "$arch" = x86_64 ] || [ -e "$TRACEFS/events/syscalls/sys_enter_pkey_mprotect" ] || pkey=0
# Private copies: the host tree is shared live, and a rebuild there (a parallel make)
# would swap the binaries under the running test.
BTF_DUMP=$builddir/tests/btf-dump
cp "$MMAPTRACE" "$MAPPER" "$BTF_DUMP" "$WORK/" || framework_fail "cannot copy the binaries"
MMAPTRACE=$WORK/${MMAPTRACE##*/}
MAPPER=$WORK/${MAPPER##*/}
BTF_DUMP=$WORK/${BTF_DUMP##*/}
# ours: how many kprobes of mmaptrace runs kprobe_events lists (counted by bash,
# not grep: see LC_ALL above).
ours() {
	local l n=0
	while IFS= read -r l; do
		[[ $l =~ ^[pr][0-9]*:mmaptrace_ ]] && n=$((n + 1))
	done < "$TRACEFS/kprobe_events"
	echo "$n"
}
# maps_of ADDR: sets maps_at to the line of $WORK/maps for the VMA that starts at
# ADDR (decimal), as lib.sh's maps_line finds it, read by bash itself.
maps_of() {
	local l start
	printf -v start '%x' "$1"
	maps_at=
	while IFS= read -r l; do
		[[ $l == "$start"-* ]] && { maps_at=$l; return 0; }
	done < "$WORK/maps"
	return 1
}

# section NAME: how long the section before took, then NAME begins (tenths
# of a second from bash's clock, no process: a fork costs ~80 ms under TCG),
# so that a slow guest says where its time went.
sect=start sect_us=${EPOCHREALTIME/./}
section() {
	local now=${EPOCHREALTIME/./}
	local d=$(((now - sect_us) / 100000))
	echo "time: $sect $((d / 10)).$((d % 10)) s"
	sect=$1 sect_us=$now
}
echo "time: guest up $(cut -d' ' -f1 /proc/uptime) s when the script began"

# btf_truth BTF-FILE: the kprobe layout as tests/btf-dump prints it (the keys the
# test compares), read by bpftool and awk, not by src/btf.c: positions from the
# functions' parameter names, offsets from the struct members (through anonymous
# structs and unions, as vm_area_struct.vm_flags is in 6.3 and later).
btf_truth() {
	local protos
	bpftool btf dump file "$1" format raw > "$WORK/btf.raw" || return 1
	protos=$(sed -En "s/^\[[0-9]+\] FUNC '(do_mmap|mprotect_fixup|commit_creds)' type_id=([0-9]+) .*/\2/p" \
		"$WORK/btf.raw")
	# "[ID] KIND 'NAME' type_id=REF ..." per type; then, for structs, unions and
	# prototypes, "<tab>'NAME' type_id=T bits_offset=B" per member or parameter.
	# Only what the layout needs is kept: the dump has some 300,000 lines.
	awk -v protos="$protos" '
	BEGIN {
		split("file inode super_block vm_area_struct timespec64 cred (anon)", w)
		for (i in w)
			wanted[w[i]] = 1
		split(protos, w)
		for (i in w)
			wanted_proto[w[i]] = 1
	}
	function strip(t) {	# typedefs and qualifiers off
		while (t in ref)
			t = ref[t]
		return t
	}
	function moff(s, m,  i, t, o) {	# byte offset of member m in type s, or -1
		for (i = 1; i <= n[s]; i++) {
			if (mname[s, i] == m)
				return mbits[s, i] / 8
			t = strip(mtype[s, i])
			if (mname[s, i] == "(anon)" && (t in kind) && (o = moff(t, m)) >= 0)
				return mbits[s, i] / 8 + o
		}
		return -1
	}
	function off(s, m) {
		return s in sid ? moff(sid[s], m) : -1
	}
	function type_of(s, m,  i) {	# the type of member s.m, stripped
		for (i = 1; i <= n[sid[s]]; i++)
			if (mname[sid[s], i] == m)
				return strip(mtype[sid[s], i])
		return -1
	}
	function arg(fn, p,  i) {	# 1-based position of parameter p of fn, or 0
		for (i = 1; i <= n[proto[fn]]; i++)
			if (mname[proto[fn], i] == p)
				return i
		return 0
	}
	/^\[/ {
		cur = substr($1, 2, length($1) - 2)
		k = $2
		nm = substr($3, 2, length($3) - 2)
		keep = 0
		if (k == "FUNC" && (nm == "do_mmap" || nm == "mprotect_fixup" || nm == "commit_creds")) {
			proto[nm] = substr($4, 9)
		} else if (k == "FUNC_PROTO" && cur in wanted_proto) {
			keep = 1
			n[cur] = 0
		} else if ((k == "STRUCT" || k == "UNION") && nm in wanted) {
			keep = 1
			kind[cur] = k
			name[cur] = nm
			n[cur] = 0
		} else if (k == "TYPEDEF" || k == "CONST" || k == "VOLATILE" || k == "RESTRICT" ||
			   k == "TYPE_TAG") {
			ref[cur] = substr($4, 9)
		}
		next
	}
	keep {
		i = ++n[cur]
		mname[cur, i] = substr($1, 2, length($1) - 2)
		mtype[cur, i] = substr($2, 9)
		mbits[cur, i] = substr($3, 1, 12) == "bits_offset=" ? substr($3, 13) : 0
		if (i == 1 && kind[cur] == "STRUCT" && !(name[cur] in sid))
			sid[name[cur]] = cur	# the first struct of that name with members
	}
	END {
		split("file addr len prot flags vm_flags pgoff", a)
		for (i = 1; i in a; i++)
			printf "arg_%s=%d\n", a[i], arg("do_mmap", a[i])
		printf "off_file_f_inode=%d\noff_file_f_flags=%d\n", off("file", "f_inode"),
			off("file", "f_flags")
		printf "off_inode_i_ino=%d\noff_inode_i_sb=%d\n", off("inode", "i_ino"),
			off("inode", "i_sb")
		printf "off_sb_s_dev=%d\n", off("super_block", "s_dev")
		# i_ctime_sec and i_ctime_nsec (6.11), else a timespec64 __i_ctime (6.6) or i_ctime
		if ((s = off("inode", "i_ctime_sec")) >= 0) {
			ns = off("inode", "i_ctime_nsec")
		} else {
			f = off("inode", "__i_ctime") >= 0 ? "__i_ctime" : "i_ctime"
			t = type_of("inode", f)
			s = off("inode", f) + moff(t, "tv_sec")
			ns = off("inode", f) + moff(t, "tv_nsec")
		}
		printf "off_inode_ctime_sec=%d\noff_inode_ctime_nsec=%d\n", s, ns
		split("vma start end newflags", a)
		for (i = 1; i in a; i++)
			printf "mp_arg_%s=%d\n", a[i], arg("mprotect_fixup", a[i])
		printf "off_vma_vm_flags=%d\noff_vma_vm_file=%d\n", off("vm_area_struct", "vm_flags"),
			off("vm_area_struct", "vm_file")
		printf "cc_arg_new=%d\n", arg("commit_creds", "new")
		split("uid euid gid", a)
		for (i = 1; i in a; i++)
			printf "off_cred_%s=%d\n", a[i], off("cred", a[i])
	}' "$WORK/btf.raw"
}

section empty-kprobe-events
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

section print-probes+btf-truth
# --print-probes: argument positions from this kernel's BTF; nothing is written.
"$MMAPTRACE" --print-probes > "$WORK/probes" 2> "$WORK/err"
check "--print-probes exit status" 0 "$?"
cat "$WORK/probes"
grep -q 'kprobe layout from btf:/sys/kernel/btf/vmlinux' "$WORK/err" ||
	fail "--print-probes does not say the layout came from BTF"
# The ground truth: the guest's own BTF as bpftool reads it, not src/btf.c.
command -v bpftool > /dev/null || framework_fail "no bpftool (scripts/setup --test installs it)"
btf_truth /sys/kernel/btf/vmlinux > "$WORK/truth" || framework_fail "bpftool cannot read the BTF"
# key=value lines into arrays: a process per lookup costs about a second on 5.10 under TCG.
declare -A truth layout fallback
load_layout() {	# load_layout ARRAY FILE
	local -n to=$1
	local key value
	while IFS== read -r key value; do to[$key]=$value; done < "$2"
}
load_layout truth "$WORK/truth"
[ "${truth[arg_file]}" -gt 0 ] && [ "${truth[off_file_f_inode]}" -ge 0 ] ||
	framework_fail "no do_mmap(file, ...) or struct file in the BTF: $(cat "$WORK/truth")"
"$BTF_DUMP" > "$WORK/layout" || fail "tests/btf-dump cannot read the BTF"
load_layout layout "$WORK/layout"
while IFS== read -r key want; do
	check "BTF layout: $key" "$want" "${layout[$key]:-}"
done < "$WORK/truth"
pos="flags=\$arg${truth[arg_flags]}:x64"
[ "${truth[arg_vm_flags]}" = 0 ] || pos="$pos vm_flags=\$arg${truth[arg_vm_flags]}:x64"
pos="$pos pgoff=\$arg${truth[arg_pgoff]}:u64"
mpos="start=\$arg${truth[mp_arg_start]}:x64 end=\$arg${truth[mp_arg_end]}:x64"
mpos="$mpos newflags=\$arg${truth[mp_arg_newflags]}:x64"
mpos="$mpos oldflags=+${truth[off_vma_vm_flags]}(\$arg${truth[mp_arg_vma]}):x64"
mpos="$mpos file=+${truth[off_vma_vm_file]}(\$arg${truth[mp_arg_vma]}):x64"
ino="ino=+${truth[off_inode_i_ino]}(+${truth[off_file_f_inode]}(\$arg${truth[arg_file]})):"
grep -qF -- " $ino" "$WORK/probes" && ok "do_mmap inode fetch: $ino" ||
	fail "probe definition lacks '$ino'"
grep -qF -- "$pos ino=+" "$WORK/probes" && ok "do_mmap positions: $pos" ||
	fail "probe definition lacks '$pos'"
# mprotect_fixup gained a vma_iterator first argument in 6.2: the positions move.
grep -Eq "^p:mmaptrace_[0-9]+/mprotect_fixup_entry_[0-9]+ mprotect_fixup $(sed 's/[$()+]/\\&/g' <<< "$mpos")( |$)" \
	"$WORK/probes" && ok "mprotect_fixup positions: $mpos" || fail "no mprotect_fixup line with '$mpos'"
grep -Eq '^r[0-9]+:mmaptrace_[0-9]+/mprotect_fixup_return_[0-9]+ mprotect_fixup ret=\$retval:s32$' \
	"$WORK/probes" && ok "mprotect_fixup return probe" || fail "mprotect_fixup return probe line"
grep -Eq '^r[0-9]+:mmaptrace_[0-9]+/do_mmap_return_[0-9]+ do_mmap ret=\$retval:x64$' \
	"$WORK/probes" && ok "return probe fetches only \$retval" || fail "return probe line"
# commit_creds: the new ids from its argument, each a u32 (kuid_t, kgid_t).
creds="commit_creds uid=+${truth[off_cred_uid]}(\$arg${truth[cc_arg_new]}):u32"
creds="$creds euid=+${truth[off_cred_euid]}(\$arg${truth[cc_arg_new]}):u32"
creds="$creds gid=+${truth[off_cred_gid]}(\$arg${truth[cc_arg_new]}):u32"
grep -Eq "^p:mmaptrace_[0-9]+/commit_creds_[0-9]+ $(sed 's/[$()+]/\\&/g' <<< "$creds")$" \
	"$WORK/probes" && ok "commit_creds probe: $creds" || fail "no commit_creds line '$creds'"
check "--print-probes created no probe" 0 "$(ours)"
# What a run makes: do_mmap's pair, mprotect_fixup's and commit_creds
nprobes=$(grep -c '^[pr]' "$WORK/probes")
check "probes a run makes" 5 "$nprobes"

section tmpfs-minor
# A tmpfs whose device minor is >= 256, where the kernel's dev_t (major << 20 | minor)
# and the user-space encoding differ: mount anonymous-device filesystems until one is.
# perl: one process for hundreds of mounts (a fork+exec costs ~80 ms under TCG).
dir=$(WORK=$WORK SYS_MOUNT=$sys_mount perl -e 'my ($src, $type) = ("none", "tmpfs");	# syscall() wants writable strings
for my $i (1..400) {
	my $d = "$ENV{WORK}/dev$i";
	mkdir $d or die "mkdir: $!";
	syscall($ENV{SYS_MOUNT}, $src, $d, $type, 0, 0) == 0 or die "mount: $!";
	my $dev = (stat $d)[0];
	if ((($dev & 0xff) | (($dev >> 12) & 0xfff00)) >= 256) { print $d; exit 0 }
}
exit 1') || framework_fail "no tmpfs with a device minor >= 256"
f=$dir/lib.bin
head -c 16384 /dev/urandom > "$f" || framework_fail "cannot write $f"
echo "test file $f on device $(stat -c '%Hd:%Ld' "$f")"
# What the memfd loader's record must hash to (mprotect_checks)
f_sha256=$(sha256sum < "$f" | cut -d' ' -f1)

# trace_loaders [MMAPTRACE OPTIONS]: the mapper's loaders on $f under the tracer,
# as trace_mapper runs them, but the mapper ends once the tracer has written
# its mprotect_exec records (at most 30 s), not a fixed 0.2 s after it said
# "ready": the memfd is hashed only while the mapper lives, and under TCG the
# time that takes varies with the load. Sets TRACER_PID, MAPPER_PID,
# TRACER_STATUS and $WORK/maps.
trace_loaders() {
	local i
	start_tracer "$@" -- loaders "$f"
	wait_for_line ready
	MAPPER_PID=$(sed -n 's/^ready //p' "$WORK/res")
	[ -n "$MAPPER_PID" ] || { cat "$WORK/err"; framework_fail "mapper did not start"; }
	cp "/proc/$MAPPER_PID/maps" "$WORK/maps"
	for ((i = 0; i < 300; i++)); do
		[ "$(grep -c '"name":"mprotect_exec"' "$WORK/out.json")" -ge $((3 + pkey)) ] && break
		sleep 0.1
	done
	exec 9>&-
	wait_tracer
}

# exec_file_checks WHAT [BACKEND]: the PROT_EXEC mapping of $f at page offset 1 in
# $WORK/out.json, recorded by BACKEND (kprobe).
exec_file_checks() {
	local line addr rec range perms off dev ino path start end backend=${2:-kprobe} v st
	line=$(grep '^map=exec' "$WORK/res")
	addr=$(field addr "$line")
	rec=$(record_at "$addr")
	[ -n "$rec" ] || { fail "$1: no record at address $addr"; return; }
	[[ $rec != *$'\n'* ]] || { fail "$1: more than one record at address $addr"; return; }
	maps_of "$addr" || framework_fail "no maps line at $addr"
	read -r range perms off dev ino path <<< "$maps_at"
	start=$((16#${range%-*})); end=$((16#${range#*-}))
	# The record's fields from one jq, line N what "jq .FIELD" prints (-r for the
	# strings), and $f's from one stat: a process costs up to a second under TCG.
	mapfile -t v < <(jq -r '(.addr, .len, .prot, .mmap_flags, .pgoff | tojson), .pathname,
		(.inode, .dev, .flags, .vm_flags | tojson), .backend, (.pid, .error | tojson)' <<< "$rec")
	read -r -a st <<< "$(stat -c '%i %d %.9Z' "$f")"
	check "$1: addr" "$start" "${v[0]:-}"
	check "$1: len" "$((end - start))" "${v[1]:-}"
	check "$1: prot" 5 "${v[2]:-}"
	check "$1: mmap_flags" "$(field flags "$line")" "${v[3]:-}"
	check "$1: pgoff" "$((16#$off / page))" "${v[4]:-}"
	check "$1: pgoff-is-1" 1 "${v[4]:-}"
	check "$1: pathname" "$path" "${v[5]:-}"
	check "$1: inode" "${st[0]:-}" "${v[6]:-}"
	check "$1: inode (maps)" "$ino" "${v[6]:-}"
	check "$1: dev" "${st[1]:-}" "${v[7]:-}"
	# From the line as written: jq reads numbers as doubles, and ns since 1970 need
	# more than their 53 bits.
	check "$1: ctime (ns)" "${st[2]/./}" \
		"$(sed -n "/\"addr\":$addr,/s/.*\"ctime\":\([0-9]*\).*/\1/p" "$WORK/out.json")"
	# O_RDONLY|O_LARGEFILE, read from the kernel's struct file.
	check "$1: flags (f_flags)" "$o_largefile" "${v[8]:-}"
	if [ "$backend" = tracepoint ]; then
		check "$1: vm_flags (the syscall has none)" null "${v[9]:-}"
	elif [ "${truth[arg_vm_flags]}" = 0 ]; then
		check "$1: vm_flags (not an argument before 6.6)" null "${v[9]:-}"
	else
		check "$1: vm_flags (none added by the mmap syscall)" 0 "${v[9]:-}"
	fi
	check "$1: backend" "$backend" "${v[10]:-}"
	check "$1: pid" "$MAPPER_PID" "${v[11]:-}"
	check "$1: error" null "${v[12]:-}"
}

# elf_loader_checks NAME FILE: the kernel mapped FILE at execve (no mmap syscall
# maps the executable or ld.so): a record for it, and its text segment as in maps.
elf_loader_checks() {
	local real rec v st perms path
	real=$(realpath "$2")
	rec=$(jq -c --arg p "$real" 'select(.pathname == $p and .prot == 5)' "$WORK/out.json")
	[ -n "$rec" ] && [[ $rec != *$'\n'* ]] ||
		{ fail "ELF loader: no single r-x record of $real"; return; }
	ok "ELF loader: $1 mapping recorded"
	mapfile -t v < <(jq -r '(.addr, .inode, .dev | tojson), .backend' <<< "$rec")
	read -r -a st <<< "$(stat -c '%i %d' "$real")"
	maps_of "${v[0]:-}"
	read -r _ perms _ _ _ path _ <<< "$maps_at"
	check "ELF loader: $1 maps perms and path" "r-xp $real" "$perms $path"
	check "ELF loader: $1 inode" "${st[0]:-}" "${v[1]:-}"
	check "ELF loader: $1 dev" "${st[1]:-}" "${v[2]:-}"
	check "ELF loader: $1 backend" kprobe "${v[3]:-}"
}

section kprobe-btf-run
# One process maps $f, then loads code as a JIT and a memfd loader do (mprotect_checks).
trace_loaders --backend kprobe -e do_mmap,mprotect_exec --mixed
check "tracer exit status" 0 "$TRACER_STATUS"
cat "$WORK/err"
every_line_parses "$WORK/out.json"
exec_file_checks btf
elf_loader_checks mapper "$MAPPER"
elf_loader_checks ld.so "$ldso"
# ld.so's own anonymous mappings: no file, so no inode, dev, ctime or flags (never 0).
# Counted by one jq, with the lost records checked below.
read -r n_anon n_anon_file n_lost <<< "$(jq -s -r '[
	(map(select(.event == "do_mmap" and .mmap_flags % 64 >= 32)) | length),
	(map(select(.event == "do_mmap" and .mmap_flags % 64 >= 32 and
		([.pathname,.inode,.dev,.ctime,.flags] != [null,null,null,null,null]))) | length),
	(map(select(.event == "lost" and .cause != "ring_buffer")) | length)] | @tsv' "$WORK/out.json")"
check "anonymous mappings with a file field" 0 "$n_anon_file"
[ "${n_anon:-0}" -gt 0 ] || fail "no anonymous mapping recorded"
grep -q 'backend: kprobe' "$WORK/err" || fail "stderr does not name the kprobe backend"
grep -q 'kprobe layout from btf:' "$WORK/err" || fail "stderr does not say where the offsets came from"
# A quiet guest misses nothing: not even 5.10, where every anonymous mapping's
# fetches fault and the kernel counts each fault as a miss of every do_mmap probe.
# Before 5.14 the kernel cannot count entries missed: the summary says so,
# rather than "0 entries missed".
case $kver in
[0-4].*|5.[0-9].*|5.1[0-3].*) n=1 entries='entries missed not counted \(kernel before 5\.14\)' ;;
*) n=0 entries='0 entries missed' ;;
esac
grep -Eq ", 0 returns missed, $entries\$" "$WORK/err" && ok "summary: nothing missed" ||
	fail "summary lacks the missed counts, or some were missed: $(tail -2 "$WORK/err")"
check "kprobe lost records in a normal run" 0 "$n_lost"
check "notice that entry misses are not counted (kernels before 5.14)" $n \
	"$(grep -c "counts a fault in a probe's fetch as a miss" "$WORK/err")"
no_instance_of "$TRACER_PID"
check "our kprobes after the run" 0 "$(ours)"

# mprotect_checks WHAT [BACKEND]: the mprotect_exec records of the loaders run,
# from the mprotect_fixup kprobe, whose vma gives the protection before the call
# (or from the syscall tracepoints, BACKEND tracepoint); checked against the
# program's own lines and /proc/PID/maps.
mprotect_checks() {
	local jit memfd pk= v perms path backend=${2:-kprobe}
	[ "$backend" != kprobe ] || grep -q "kprobe layout: mprotect_fixup(vma=" "$WORK/err" ||
		{ cat "$WORK/err"; fail "$1: stderr does not give the mprotect_fixup layout"; }
	jit=$(field addr "$(grep -m1 '^mprotect=exec' "$WORK/res")")
	memfd=$(field addr "$(grep '^mprotect=memfd' "$WORK/res")")
	[ "$pkey" = 0 ] || pk=$(field addr "$(grep '^mprotect=pkey' "$WORK/res")")
	# Every value from one jq, a line each: the records at an address, their
	# values (what "jq -c" prints of them, -r for strings) joined by spaces.
	mapfile -t v < <(jq -r -s --arg jit "$(printf '0x%x' "$jit")" \
		--arg memfd "$(printf '0x%x' "$memfd")" --arg pkey "${pk:+$(printf '0x%x' "$pk")}" '
		def at($a): map(select(.data.addr == $a));
		def text(f): [.[] | f] | join(" ");
		(map(select(.info.event.name == "mprotect_exec")) | length),
		(at($jit) | length, (.[:1] | text([.data.prot, .data.prev_prot, .data.len] | tojson),
			text(.data.anonymous, .data.alerts | tojson), text(.data.backend))),
		(at($memfd) | text(.data.mapped.path), text(.data.mapped.sha256),
			text(.data.prev_prot, .data.alerts | tojson)),
		(at($pkey) | text(.data.prot, .data.prev_prot, .data.len, .data.alerts | tojson))' \
		"$WORK/out.json")
	if [ "$pkey" = 1 ]; then
		check "$1: mprotect_exec records (jit twice, memfd once, pkey once)" 4 "${v[0]:-}"
	else
		check "$1: no pkey_mprotect in $kver: the mapper says so" 1 \
			"$(grep -c '^mprotect=pkey errno=ENOSYS$' "$WORK/res")"
		check "$1: mprotect_exec records (jit twice, memfd once)" 3 "${v[0]:-}"
	fi
	check "$1: jit records (W^X twice)" 2 "${v[1]:-}"
	check "$1: jit prot, prev_prot (from the vma), len" '["0x5","0x3",4096]' "${v[2]:-}"
	check "$1: jit anonymous, alerts" 'true ["anon_exec"]' "${v[3]:-}"
	check "$1: jit backend" "$backend" "${v[4]:-}"
	maps_of "$jit"
	read -r _ perms _ <<< "$maps_at"
	check "$1: jit maps perms" r-xp "$perms"
	maps_of "$memfd"
	read -r _ _ _ _ _ path <<< "$maps_at"
	check "$1: memfd path as maps shows it" "$path" "${v[5]:-}"
	check "$1: memfd sha256" "$f_sha256" "${v[6]:-}"
	check "$1: memfd prev_prot, alerts" '"0x1" ["memfd_exec"]' "${v[7]:-}"
	[ "$pkey" = 1 ] || return 0
	check "$1: pkey_mprotect prot, prev_prot, len, alerts" '"0x5" "0x3" 4096 ["anon_exec"]' \
		"${v[8]:-}"
	maps_of "$pk"
	read -r _ perms _ <<< "$maps_at"
	check "$1: pkey maps perms" r-xp "$perms"
}
mprotect_checks btf

# creds_checks WHAT CMD...: 20 processes CMD 65534 $f, each of which does
# setuid(65534), maps $f PROT_EXEC and exits at once, most of them gone before
# /proc could show their new user: commit_creds's event says it. Their parent,
# the loop's shell, stays root.
creds_checks() {
	local v st what=$1
	shift
	LC_ALL=$lc "$MMAPTRACE" -q --backend kprobe -f -e mmap_exec -o "$WORK/creds.json" -- \
		sh -c 'i=0; while [ $i -lt 20 ]; do "$@" > /dev/null || exit 1; i=$((i + 1)); done' \
		sh "$@" 65534 "$f" 2> "$WORK/err"
	st=$?
	set -- "$what"
	check "$1: tracer exit status" 0 "$st"
	every_line_parses "$WORK/creds.json"
	mapfile -t v < <(jq -s -r --arg f "$f" 'map(select(.data.mapped.path == $f)) as $r |
		($r | length),
		($r | map(select(.info.task.uid == 65534 and .info.task.gid == 0)) | length),
		($r | map(select(.info.parent_task.name == "sh" and .info.parent_task.uid == 0)) |
			length),
		(map(select(.info.task.name == "sh")) | length),
		(map(select(.info.task.name == "sh" and .info.task.uid != 0)) | length)' \
		"$WORK/creds.json")
	check "$1: records of the 20 processes' mappings of $f" 20 "${v[0]:-}"
	check "$1: of them with uid 65534 and gid 0" 20 "${v[1]:-}"
	check "$1: of them whose parent, the shell, is root" 20 "${v[2]:-}"
	[ "${v[3]:-0}" -gt 0 ] && ok "$1: ${v[3]} records of the shell" ||
		fail "$1: no record of the shell"
	check "$1: records of the shell with a uid other than 0" 0 "${v[4]:-}"
	check "$1: our kprobes after the run" 0 "$(ours)"
}
section creds
creds_checks creds "$MAPPER" -n setuid-exec
# The 32-bit (compat) setuid(), which no syscall tracepoint sees: a static
# program, where the build could make one (gcc-multilib).
if [ "$arch" != x86_64 ]; then
	ok "creds: no 32-bit check on $arch"
elif [ -x "$builddir/tests/setuid32" ]; then
	cp "$builddir/tests/setuid32" "$WORK/" || framework_fail "cannot copy tests/setuid32"
	creds_checks "creds 32-bit" "$WORK/setuid32"
else
	fail "creds: no tests/setuid32 (configure found no 32-bit static compiler: gcc-multilib)"
fi

section tracepoint-run
# The syscall tracepoint backend in the same kernel, against the same truth
# (on arm64 6.1 there is no pkey_mprotect and so no tracepoint of it).
trace_loaders --backend tracepoint -e do_mmap,mprotect_exec --mixed
check "tracepoint: tracer exit status" 0 "$TRACER_STATUS"
grep -q 'backend: tracepoint' "$WORK/err" && ok "tracepoint: backend named on stderr" ||
	{ cat "$WORK/err"; fail "tracepoint: stderr does not name the tracepoint backend"; }
every_line_parses "$WORK/out.json"
exec_file_checks tracepoint tracepoint
mprotect_checks tracepoint tracepoint
check "tracepoint: our kprobes after the run" 0 "$(ours)"

section storm
# One kretprobe instance (the test knob) and a storm of mappings by 4 processes
# of 2 threads: returns are missed, the summary says how many, lost records sum
# to it, and the kernel's own columns, read at the end of the storm, agree.
LC_ALL=$lc MMAPTRACE_MAXACTIVE=1 "$MMAPTRACE" -q --backend kprobe -e do_mmap --mixed \
	-o "$WORK/out.json" -- sh -c '"$1" stress 2 4 2 && cat "$2/kprobe_profile"' sh \
	"$MAPPER" "$TRACEFS" > "$WORK/res" 2> "$WORK/err"
check "storm: tracer exit status" 0 "$?"
missed=$(sed -En 's/.*, ([0-9]*) returns missed, (0 entries missed|entries missed not counted .*)$/\1/p' \
	"$WORK/err")
[ "${missed:-0}" -gt 0 ] && ok "storm: $missed returns missed" ||
	fail "storm: no returns missed with maxactive 1: $(tail -2 "$WORK/err")"
mapfile -t v < <(jq -s -r '([.[] | select(.event == "lost" and .cause == "kretprobe_missed") |
	.lost] | add | tojson), (map(select(.event == "lost" and .cause == "kprobe_missed")) | length)' \
	"$WORK/out.json")
check "storm: lost kretprobe_missed records add up to the summary" "$missed" "${v[0]:-}"
check "storm: lost kprobe_missed records" 0 "${v[1]:-}"
# The kretprobe's column less its kprobe's: the returns missed by the end of the storm
kmissed=$(awk '$1 ~ /^do_mmap_return_/ { r = $3 } $1 ~ /^do_mmap_entry_/ { e = $3 }
	END { print r - e }' "$WORK/res")
[ "$missed" -ge "$kmissed" ] && [ "$kmissed" -gt 0 ] &&
	ok "storm: kernel's count at the end of the storm, $kmissed, is in it" ||
	{ cat "$WORK/res"; fail "storm: kernel's count $kmissed, the tool's $missed"; }
check "storm: our kprobes after the run" 0 "$(ours)"

section fallback
# Without BTF: btf.c's table for this version must give the same truth, first
# as the guest's BTF has it, then in the records.
"$BTF_DUMP" --fallback "$kver" > "$WORK/fallback" || fail "no built-in layout for $kver"
load_layout fallback "$WORK/fallback"
while IFS== read -r key want; do
	check "fallback table: $key" "$want" "${fallback[$key]:-}"
done < "$WORK/truth"
export MMAPTRACE_BTF=none
trace_loaders --backend kprobe -e do_mmap,mprotect_exec --mixed
unset MMAPTRACE_BTF
check "fallback: tracer exit status" 0 "$TRACER_STATUS"
grep -q "kprobe layout from fallback:${kver%.*-*}" "$WORK/err" && ok "fallback named on stderr" ||
	{ cat "$WORK/err"; fail "stderr does not name the fallback table"; }
exec_file_checks fallback
check "our kprobes after the fallback run" 0 "$(ours)"
mprotect_checks fallback
export MMAPTRACE_BTF=none
creds_checks "fallback creds" "$MAPPER" -n setuid-exec
unset MMAPTRACE_BTF
section quiet+unknown-kernel
# -q silences the layout notice, never the warning that it may not fit.
MMAPTRACE_BTF=none "$MMAPTRACE" -q --backend kprobe -o /dev/null -- true 2> "$WORK/err"
grep -q "no BTF: .*wrong if this one is built differently" "$WORK/err" &&
	ok "fallback: -q still warns" || { cat "$WORK/err"; fail "fallback: -q hid the warning"; }
"$MMAPTRACE" -q --backend kprobe -o /dev/null -- true 2> "$WORK/err"
check "BTF layout under -q: stderr" "" "$(grep -v '^mmaptrace: [0-9]* events\|reader cpu\|kernel mapping records\|/proc reads' "$WORK/err")"
# A kernel the table does not know (setarch makes the release 2.6.N), without BTF:
# the kprobes are refused, saying why, rather than placed with a guess; with
# --backend auto the run goes on with the tracepoints.
MMAPTRACE_BTF=none setarch "$arch" --uname-2.6 "$MMAPTRACE" --backend kprobe \
	-o "$WORK/out.json" -- true 2> "$WORK/err"
check "unknown kernel without BTF: --backend kprobe exit status" 1 "$?"
grep -q "cannot place the do_mmap kprobe: no BTF (\$MMAPTRACE_BTF=none) and no built-in layout for kernel 2\.6\." \
	"$WORK/err" && ok "unknown kernel without BTF: refused, and says why" ||
	{ cat "$WORK/err"; fail "unknown kernel without BTF: no clear refusal"; }
check "unknown kernel without BTF: records" 0 "$(wc -l < "$WORK/out.json")"
MMAPTRACE_BTF=none setarch "$arch" --uname-2.6 "$MMAPTRACE" -o "$WORK/out.json" \
	-- true 2> "$WORK/err"
check "unknown kernel without BTF, --backend auto: exit status" 0 "$?"
grep -q 'backend: tracepoint' "$WORK/err" && ok "unknown kernel without BTF: tracepoint backend" ||
	{ cat "$WORK/err"; fail "unknown kernel without BTF: no fallback to the tracepoints"; }
check "unknown kernel without BTF: our kprobes after" 0 "$(ours)"

section exec-stack
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
MAPPER=$WORK/execstack trace_mapper --backend kprobe -e do_mmap,mprotect_exec --mixed -- anon
check "exec stack: maps has an rwxp [stack]" 1 "$(grep -c ' rwxp .*\[stack\]$' "$WORK/maps")"
read -r n_mprotect n_mmap <<< "$(jq -s -r '[(map(select(.info.event.name == "mprotect_exec")) |
	length), (map(select(.event == "do_mmap")) | length)] | @tsv' "$WORK/out.json")"
check "exec stack: mprotect_exec records" 0 "$n_mprotect"
[ "${n_mmap:-0}" -gt 0 ] || fail "exec stack: the run recorded nothing at all"

section ls+python3
# Ordinary programs raise no alert with the kprobe backend either, which also
# sees the ELF loader's mappings and execve's own stack setup.
for cmd in "ls /" "python3 -c pass"; do
	LC_ALL=$lc "$MMAPTRACE" -q --backend kprobe -e do_mmap,mmap_exec,mprotect_exec --mixed \
		-o "$WORK/out.json" -- $cmd > /dev/null 2> "$WORK/err"
	check "$cmd: status" 0 "$?"
	check "$cmd: records with an alert (of $(wc -l < "$WORK/out.json"))" 0 \
		"$(jq -c 'select((.alerts // .data.alerts) != [])' "$WORK/out.json" | wc -l)"
done

section sigint+sigterm
# SIGINT and SIGTERM while tracing: the run ends with status 0, whole lines
# and its summary, and takes its kprobes and instance with it.
for sig in INT TERM; do
	start_tracer --backend kprobe -- anon
	wait_for_line ready || framework_fail "SIG$sig: mapper did not start"
	wait_ready "$WORK/err" || fail "SIG$sig: the run never enabled its events"
	check "SIG$sig: our kprobes while running" "$nprobes" "$(ours)"
	kill -s "$sig" "$TRACER_PID"
	wait_tracer
	exec 9>&-
	check "SIG$sig: tracer exit status" 0 "$TRACER_STATUS"
	grep -q 'events lost' "$WORK/err" || fail "SIG$sig: no summary on stderr"
	every_line_parses "$WORK/out.json"
	check "SIG$sig: our kprobes after" 0 "$(ours)"
	no_instance_of "$TRACER_PID"
done

section sighup
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

section sigkill+sigsegv
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
	check "SIG$sig: probes of the dead run still there" "$nprobes" \
		"$(grep -c "^[pr][0-9]*:mmaptrace_$crashed/" "$TRACEFS/kprobe_events")"
	"$MMAPTRACE" --backend kprobe -o /dev/null -- true 2> "$WORK/err"
	check "SIG$sig: next run exit status" 0 "$?"
	grep -q "removed $nprobes kprobe(s) of group mmaptrace_$crashed" "$WORK/err" &&
		ok "SIG$sig: next run says it removed the dead run's probes" ||
		{ cat "$WORK/err"; fail "SIG$sig: no removal message"; }
	no_instance_of "$crashed"
	check "SIG$sig: our kprobes after the sweep" 0 "$(ours)"
done
section perf
# The kernel's own mapping records beside the kprobes (issue 14): sh, ls, id,
# cat exit at once; every executable mapping still has its record, named and
# hashed (sha256sum in this guest), ld.so and the executables included.
LC_ALL=$lc "$MMAPTRACE" --backend kprobe -f -e mmap_exec -o "$WORK/kf.json" -- \
	sh -c 'ls / > /dev/null; id > /dev/null; cat /etc/hostname > /dev/null' 2> "$WORK/err"
grep -q 'kernel mapping records: [1-9]' "$WORK/err" && ok "perf: the kernel's records were read" ||
	{ cat "$WORK/err"; fail "perf: no kernel mapping records"; }
n=$(wc -l < "$WORK/kf.json")
[ "$n" -ge 12 ] && ok "perf: $n mmap_exec records for sh, ls, id, cat" || fail "perf: only $n records"
# Each path and hash from one jq, each file hashed by one sha256sum: a
# process a record took 14 s on 5.10 under TCG.
paths=() sums=()
declare -A sha
while IFS=$'\t' read -r path sum; do
	paths+=("$path") sums+=("$sum")
	[ -z "$path" ] || sha[$path]=
done < <(jq -r '[.data.mapped.path, .data.mapped.sha256] | @tsv' "$WORK/kf.json")
[ ${#sha[@]} = 0 ] || while read -r sum path; do
	sha[$path]=$sum
done < <(sha256sum -- "${!sha[@]}" 2> /dev/null)
nopath=0 bad=0 k=0
exe="/(dash|ls|id|cat|${ldso##*/})\$"
for i in "${!paths[@]}"; do
	[ "${paths[i]}" = "?" ] || [ "${sums[i]}" = "?" ] && nopath=$((nopath + 1))
	want=
	[ -z "${paths[i]}" ] || want=${sha[${paths[i]}]}
	[ "${sums[i]}" = "$want" ] || bad=$((bad + 1))
	[[ ${paths[i]} =~ $exe ]] && k=$((k + 1))
done
check "perf: records without a path or a hash" 0 "$nopath"
check "perf: sha256 that is not sha256sum's" 0 "$bad"
[ "$k" -ge 8 ] && ok "perf: $k records of the executables and ld.so (4 processes)" ||
	fail "perf: only $k records of the executables and ld.so"
check "instances left" "" "$(ls "$TRACEFS/instances")"
grep -qxF "$other" "$TRACEFS/kprobe_events" && ok "another tool's kprobe untouched" ||
	fail "another tool's kprobe was removed"
echo "-:othertool/do_mmap_other" >> "$TRACEFS/kprobe_events" || fail "cannot remove $other"
WORK=$WORK SYS_UMOUNT2=$sys_umount2 perl -e \
	'for my $d (glob "$ENV{WORK}/dev*") { syscall($ENV{SYS_UMOUNT2}, $d, 0) }'
section end
echo "guest script took ${SECONDS}s"
finish
