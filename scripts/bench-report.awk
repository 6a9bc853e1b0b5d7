# SPDX-License-Identifier: GPL-2.0
# Writes BENCHMARKS.md (Markdown, on stdout) from the result lines of every
# make bench boot: "M KEY VALUE..." (setup) and "R ROW TOOL RUN VALUE UNIT
# BYTES" or "R ROW TOOL RUN FAIL REASON..." (one run). Medians and spreads of
# the successful runs, ratios of medians judged against their targets, the
# per-run readall check and the scaling of time per page. A figure with no
# successful run is "missing", its target "not measured", never 0 or met.
# A malformed R or M line is named on stderr, left out, and makes the exit
# status 1 (the report is still written).
# usage: awk -v cmd="make bench" -f bench-report.awk RESULTS...

BEGIN {
	# The ratios, A/B of medians: name, A "ROW TOOL", B "ROW TOOL", unit
	# both must be in ("" = any, the same on both sides), target ("<= X",
	# ">= X" or "none" for report only), and "smaller" when B's median
	# size must also be below A's. Add a comparison here, nowhere else.
	ratio("full RAM raw vs LiME raw", "raw bsdmem", "raw lime", "s", "<= 0.90", "")
	ratio("full RAM raw vs dd of the same size", "raw bsdmem", "dd dd", "s", "<= 1.10", "")
	ratio("full RAM raw through the page cache (--cached) vs LiME raw",
		"raw bsdmem-cached", "raw lime", "s", "none", "")
	ratio("full RAM raw, O_DIRECT (the default) vs --cached",
		"raw bsdmem", "raw bsdmem-cached", "s", "none", "")
	ratio("ALLRAM zstd: LiME compress=1 time / bsdmem zstd time",
		"lime-compress lime", "allram-zstd bsdmem", "s", ">= 10.00", "smaller")
	ratio("ALLRAM gzip: LiME compress=1 time / bsdmem gzip time",
		"lime-compress lime", "allram-gzip bsdmem", "s", ">= 1.70", "smaller")
	ratio("kernel-only zstd vs LiME raw", "kernel-zstd bsdmem", "raw lime", "s", "<= 0.20", "")
	ratio("in-kernel zstd (1 thread) vs userspace zstd -3 -T1 (TCG, no SIMD)",
		"compress-zstd kernel1", "compress-zstd user", "", "none", "")
	ratio("in-kernel gzip (1 thread) vs userspace gzip -6",
		"compress-gzip kernel1", "compress-gzip user", "", "none", "")
	ratio("/dev/bsdmem vs /proc/kcore read throughput",
		"readall bsdmem", "readall kcore", "MBps", ">= 1.00", "")
	ratio("MEM_EXTRACT_PADDR vs pagemap pread", "xlate extract", "xlate pagemap", "ns", "<= 1.00", "")
	ratio("ALLRAM zstd 1 vCPU / 2 vCPU", "threads-zstd 1cpu", "threads-zstd 2cpu", "s", ">= 1.70", "")
	ratio("ALLRAM gzip 1 vCPU / 2 vCPU", "threads-gzip 1cpu", "threads-gzip 2cpu", "s", ">= 1.70", "")

	# Per-run check: ROW, A tool, B tool, unit, target for every run k of A
	# against run k of B.
	perrun_row = "readall"; perrun_a = "bsdmem"; perrun_b = "kcore"
	perrun_unit = "MBps"; perrun_target = ">= 1.00"
	# Scaling: rows whose TOOL is the guest size in MiB, the sizes expected
	# (each printed, missing or not), the target on the largest size's
	# time per 4 KiB page over the smallest's.
	scale_rows = "scale-raw scale-kernel-zstd"
	scale_sizes = "512 1024 2048"
	scale_target = "<= 1.10"

	unit_fmt["s"] = "%.2f"
	unit_fmt["ns"] = "%.0f"
	unit_fmt["MBps"] = "%.1f"
	if (cmd == "")
		cmd = "awk -f scripts/bench-report.awk"
	status = 0
}

# ratio NAME A B UNIT TARGET CLAUSE: one row of the ratio definitions.
function ratio(name, a, b, u, target, clause) {
	nr_def++
	def_name[nr_def] = name
	def_a[nr_def] = a
	def_b[nr_def] = b
	def_unit[nr_def] = u
	def_target[nr_def] = target
	def_clause[nr_def] = clause
}

function bad(why) {
	printf "bench-report: %s:%d: %s: %s\n", FILENAME, FNR, why, $0 > "/dev/stderr"
	status = 1
}

{ sub(/\r$/, "") }
/^[ \t]*(#|$)/ { next }

$1 == "M" {
	if (NF < 2) {
		bad("M line without a key")
		next
	}
	meta_value = $0
	sub(/^[ \t]*M[ \t]+[^ \t]+[ \t]*/, "", meta_value)
	# "M classes CLASS: N of M pages in the kernel-only dump": a table row
	if ($2 == "classes" && NF >= 6 && $3 ~ /^[a-z]+:$/ && $4 ~ /^[0-9]+$/ &&
	    $5 == "of" && $6 ~ /^[0-9]+$/) {
		cls_name[++nr_cls] = substr($3, 1, length($3) - 1)
		cls_dump[nr_cls] = $4
		cls_ram[nr_cls] = $6
		next
	}
	meta[++nr_meta] = $2 ": " meta_value
	next
}

$1 == "R" { result() }

# result: one R line, checked, added to its (ROW, TOOL).
function result(    k, reason) {
	if (NF < 5 || $4 !~ /^[1-9][0-9]*$/)
		return bad("R line without ROW TOOL RUN and a result")
	k = $2 SUBSEP $3
	if ((k, $4) in run_seen)
		return bad("run " $4 " of " $2 " " $3 " given twice, the second left out")
	if ($5 == "FAIL") {
		reason = $0
		sub(/^[ \t]*R[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+FAIL[ \t]*/, "", reason)
		add_key(k)
		nr_fail[k]++
		fail_text[k] = fail_text[k] (nr_fail[k] > 1 ? "; " : "") \
			"run " $4 ": " (reason == "" ? "no reason given" : reason)
		run_seen[k, $4] = "FAIL"
		return
	}
	if (NF != 7 || !is_decimal($5) || !($6 in unit_fmt) || $7 !~ /^([0-9]+|-)$/)
		return bad("R line not \"R ROW TOOL RUN VALUE s|ns|MBps BYTES|-\"")
	if ((k in unit) && unit[k] != $6)
		return bad($2 " " $3 " in " $6 " after " unit[k])
	add_key(k)
	unit[k] = $6
	val[k, ++nr_ok[k]] = $5 + 0
	if ($7 != "-")
		size[k, ++nr_size[k]] = $7 + 0
	run_seen[k, $4] = $5 + 0
}

function is_decimal(s) {
	return s ~ /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/
}

function add_key(k) {
	if (!(k in key_index)) {
		key_index[k] = ++nr_key
		key[nr_key] = k
	}
}

# median ARR K N: the median of ARR[K, 1..N] (ARR is val or size), the mean
# of the middle two for an even N.
function median(arr, k, n,    s) {
	sorted(arr, k, n, s)
	if (n % 2)
		return s[(n + 1) / 2]
	return (s[n / 2] + s[n / 2 + 1]) / 2
}

# sorted ARR K N S: S[1..N] = ARR[K, 1..N] in ascending order.
function sorted(arr, k, n, s,    i, j, x) {
	for (i = 1; i <= n; i++) {
		x = arr[k, i]
		for (j = i - 1; j >= 1 && s[j] > x; j--)
			s[j + 1] = s[j]
		s[j + 1] = x
	}
}

# have ROW_TOOL: the (ROW, TOOL) named "ROW TOOL" has a successful run.
function have(rt,    p) {
	split(rt, p, " ")
	return nr_ok[p[1], p[2]] > 0
}

function med_of(rt,    p, k) {
	split(rt, p, " ")
	k = p[1] SUBSEP p[2]
	return median(val, k, nr_ok[k])
}

function unit_of(rt,    p) {
	split(rt, p, " ")
	return unit[p[1], p[2]]
}

# size_of ROW_TOOL: its median size in bytes, or "" when no run gave one.
function size_of(rt,    p, k) {
	split(rt, p, " ")
	k = p[1] SUBSEP p[2]
	return nr_size[k] ? median(size, k, nr_size[k]) : ""
}

function mb(bytes) {
	return bytes == "" ? "missing" : sprintf("%.1f MB", bytes / 1e6)
}

function cell(s) {
	gsub(/\|/, "\\|", s)
	return s
}

# meets X TARGET: X satisfies TARGET ("<= T" or ">= T"). Inputs are short
# decimals, so X within a billionth of T is T (0.99/1.1 is 0.9 exactly).
function meets(x, target,    t, eps) {
	t = substr(target, 4) + 0
	eps = 1e-9 * (t > 1 ? t : 1)
	return substr(target, 1, 2) == "<=" ? x <= t + eps : x >= t - eps
}

function target_text(target) {
	if (target == "none")
		return "—"
	return (substr(target, 1, 2) == "<=" ? "≤ " : "≥ ") sprintf("%.2f", substr(target, 4))
}

# times X TARGET: X as "N.NN×"; more decimals when two would print the
# target itself for an X that misses it.
function times(x, target,    d, s) {
	for (d = 2; d < 9; d++) {
		s = sprintf("%." d "f", x)
		if (target == "none" || meets(x, target) || s != sprintf("%." d "f", substr(target, 4)))
			break
	}
	return s "×"
}

function yes_no(ok) {
	return ok ? "yes" : "NO"
}

function fmt(x, u) {
	return sprintf(unit_fmt[u], x)
}

function print_setup(    i) {
	print "## Setup"
	print ""
	if (!nr_meta)
		print "No setup lines (M) in the results."
	for (i = 1; i <= nr_meta; i++)
		print "- " meta[i]
	print ""
}

# The kernel-only dump's pages by /proc/kpageflags class (benchg classes).
function print_classes(    i, ram, dump) {
	if (!nr_cls)
		return
	print "## Pages by class"
	print ""
	print "The kernel-only raw dump of the 1 GiB guest, each RAM page by its"
	print "/proc/kpageflags class right after the dump (live memory moves: the"
	print "counts describe one dump)."
	print ""
	print "| class | pages in RAM | in the dump |"
	print "|---|---:|---:|"
	for (i = 1; i <= nr_cls; i++) {
		printf "| %s | %d | %d |\n", cls_name[i], cls_ram[i], cls_dump[i]
		ram += cls_ram[i]
		dump += cls_dump[i]
	}
	printf "| all | %d | %d |\n", ram, dump
	print ""
}

function print_figures(    i, k, p, runs, s, u) {
	print "## Figures"
	print ""
	print "| row | tool | runs | median | spread (min–max) | unit | median size |"
	print "|---|---|---|---:|---:|---|---:|"
	for (i = 1; i <= nr_key; i++) {
		k = key[i]
		split(k, p, SUBSEP)
		runs = nr_ok[k] + 0
		if (nr_fail[k])
			runs = runs ", " nr_fail[k] " failed (" cell(fail_text[k]) ")"
		u = unit[k] != "" ? unit[k] : "—"
		if (!nr_ok[k]) {
			printf "| %s | %s | %s | missing | missing | %s | missing |\n",
				p[1], p[2], runs, u
			continue
		}
		sorted(val, k, nr_ok[k], s)
		printf "| %s | %s | %s | %s | %s–%s | %s | %s |\n", p[1], p[2], runs,
			fmt(median(val, k, nr_ok[k]), u), fmt(s[1], u), fmt(s[nr_ok[k]], u), u,
			nr_size[k] ? mb(median(size, k, nr_size[k])) : "-"
	}
	if (!nr_key)
		print "| (no results) | | | | | | |"
	print ""
}

# ratio_row I: the line of ratio definition I.
function ratio_row(i,    a, b, r, ok, name, sa, sb, ua, ub) {
	name = def_name[i]
	ua = unit_of(def_a[i])
	ub = unit_of(def_b[i])
	if (!have(def_a[i]) || !have(def_b[i]))
		r = "missing"
	else if (ua != ub || (def_unit[i] != "" && ua != def_unit[i]))
		r = "missing (units " ua " / " ub ", want " (def_unit[i] == "" ? "the same" : def_unit[i]) ")"
	if (def_clause[i] == "smaller") {
		sa = size_of(def_a[i])
		sb = size_of(def_b[i])
		name = name sprintf(" (size: %s %s, %s %s)", def_b[i], mb(sb), def_a[i], mb(sa))
	}
	if (r != "") {
		printf "| %s | %s | %s | not measured |\n", name, r, target_text(def_target[i])
		return
	}
	a = med_of(def_a[i])
	b = med_of(def_b[i])
	if (b == 0) {
		printf "| %s | missing (median of %s is 0) | %s | not measured |\n",
			name, def_b[i], target_text(def_target[i])
		return
	}
	r = a / b
	if (def_target[i] == "none")
		ok = "report only"
	else if (def_clause[i] == "smaller" && (sa == "" || sb == ""))
		ok = meets(r, def_target[i]) ? "not measured (size missing)" : "NO"
	else
		ok = yes_no(meets(r, def_target[i]) && (def_clause[i] != "smaller" || sb < sa))
	printf "| %s | %s | %s%s | %s |\n", name, times(r, def_target[i]),
		target_text(def_target[i]), def_clause[i] == "smaller" ? ", and smaller" : "", ok
}

function print_ratios(    i) {
	print "## Ratios against the peers"
	print ""
	print "| comparison | ratio | target | met? |"
	print "|---|---:|---|---|"
	for (i = 1; i <= nr_def; i++)
		ratio_row(i)
	print ""
}

# run_cell K RUN: run RUN of K as a number, "failed" or "no run".
function run_cell(k, run,    v) {
	if (!((k, run) in run_seen))
		return "no run"
	v = run_seen[k, run]
	if (v == "FAIL")
		return "failed"
	if (unit[k] != perrun_unit)
		return "in " unit[k]
	return fmt(v, perrun_unit)
}

# perrun_runs RUNS: RUNS[1..N] = the run numbers of either side of the
# per-run check, ascending; returns N.
function perrun_runs(runs,    x, r, j, n, listed) {
	for (x in run_seen) {
		split(x, r, SUBSEP)
		if (r[1] != perrun_row || (r[2] != perrun_a && r[2] != perrun_b) || r[3] in listed)
			continue
		listed[r[3]] = 1
		for (j = ++n; j > 1 && runs[j - 1] > r[3] + 0; j--)
			runs[j] = runs[j - 1]
		runs[j] = r[3] + 0
	}
	return n
}

function print_perrun(    ka, kb, n, runs, i, x, a, b, below, unpaired, verdict) {
	ka = perrun_row SUBSEP perrun_a
	kb = perrun_row SUBSEP perrun_b
	n = perrun_runs(runs)
	print "## Per-run checks"
	print ""
	printf "%s %s against %s %s (%s), run k against run k; target %s in every run.\n",
		perrun_row, perrun_a, perrun_row, perrun_b, perrun_unit, target_text(perrun_target)
	print ""
	printf "| run | %s | %s | ratio | met? |\n", perrun_a, perrun_b
	print "|---:|---:|---:|---:|---|"
	for (i = 1; i <= n; i++) {
		a = run_cell(ka, runs[i])
		b = run_cell(kb, runs[i])
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || run_seen[kb, runs[i]] == 0) {
			unpaired++
			printf "| %d | %s | %s | missing | not measured |\n", runs[i], a, b
			continue
		}
		x = run_seen[ka, runs[i]] / run_seen[kb, runs[i]]
		if (!meets(x, perrun_target))
			below++
		printf "| %d | %s | %s | %s | %s |\n", runs[i], a, b,
			times(x, perrun_target), yes_no(meets(x, perrun_target))
	}
	if (below)
		verdict = "NO (" below " of " n " runs miss it)"
	else if (unpaired || !n)
		verdict = "not measured (" (n ? unpaired " of " n " runs not paired" : "no runs") ")"
	else
		verdict = "yes"
	print ""
	printf "%s / %s %s in every run: %s\n", perrun_a, perrun_b,
		target_text(perrun_target), verdict
	print ""
}

# scale_sizes_of ROW SZ: SZ[1..N] = the expected guest sizes and those ROW
# has, ascending; returns N.
function scale_sizes_of(row, sz,    n, i, j, x, p) {
	n = split(scale_sizes, sz, " ")
	for (i = 1; i <= nr_key; i++) {
		split(key[i], p, SUBSEP)
		if (p[1] != row)
			continue
		if (p[2] !~ /^[0-9]+$/) {
			printf "bench-report: %s %s: the tool of a scaling row is the guest size in MiB\n",
				p[1], p[2] > "/dev/stderr"
			status = 1
			continue
		}
		for (j = 1; j <= n && sz[j] + 0 != p[2] + 0; j++)
			;
		if (j > n)
			sz[++n] = p[2]
	}
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && sz[j - 1] + 0 > sz[j] + 0; j--) {
			x = sz[j]
			sz[j] = sz[j - 1]
			sz[j - 1] = x
		}
	return n
}

# scale_table ROW: per guest size its medians and time per page, then
# the largest size's time per page over the smallest's.
function scale_table(row,    sz, n, i, x, k, t, b, us, v) {
	n = scale_sizes_of(row, sz)
	printf "### %s\n\n", row
	print "| guest MiB | median s | median bytes | µs per 4 KiB page |"
	print "|---:|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		k = row SUBSEP sz[i]
		us[i] = ""
		t = nr_ok[k] && unit[k] == "s" ? median(val, k, nr_ok[k]) : ""
		b = nr_size[k] ? median(size, k, nr_size[k]) : ""
		if (t != "" && b != "" && b > 0)
			us[i] = t * 1e6 / (b / 4096)
		printf "| %s | %s | %s | %s |\n", sz[i],
			t == "" ? (nr_ok[k] ? "missing (in " unit[k] ")" : "missing") : fmt(t, "s"),
			b == "" ? "missing" : sprintf(b == int(b) ? "%.0f" : "%.1f", b),
			us[i] == "" ? "missing" : sprintf("%.1f", us[i])
	}
	print ""
	if (n < 2 || us[1] == "" || us[n] == "" || us[1] == 0)
		v = "missing, not measured"
	else {
		x = us[n] / us[1]
		v = times(x, scale_target) ", " yes_no(meets(x, scale_target))
	}
	printf "µs per page, %s MiB / %s MiB: %s (target %s)\n\n", sz[n], sz[1], v,
		target_text(scale_target)
}

function print_scaling(    rows, n, i) {
	print "## Scaling"
	print ""
	print "Time per 4 KiB page written must not grow with size: the largest guest's"
	printf "µs per page over the smallest's, target %s.\n\n", target_text(scale_target)
	n = split(scale_rows, rows, " ")
	for (i = 1; i <= n; i++)
		scale_table(rows[i])
}

END {
	print "<!-- SPDX-License-Identifier: GPL-2.0 -->"
	print "# Benchmarks"
	print ""
	print "Generated by `" cmd "`."
	print ""
	print_setup()
	print_figures()
	print_ratios()
	print_perrun()
	print_scaling()
	print_classes()
	exit status
}
