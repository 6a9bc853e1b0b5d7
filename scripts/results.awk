# SPDX-License-Identifier: GPL-2.0
# Counts one boot's results file: TAP sections framed by "# bsdmem-suite: NAME"
# and "# bsdmem-suite-exit: NAME RC". Prints "PASSED FAILED SKIPPED" and then
# one line per failure. Missing or extra results (plan), timeouts, bad exit codes,
# programs that never ran (-v expect="a b") and no boot-done are failures.
# A skip is a failure unless the allow-list (-v skips=FILE, see
# selftests/skips) expects it in this boot (-v boot=) on this kernel (-v kver=);
# a test the list expects to skip that passes, or that is not reported at
# all, is a failure too. So is a skip after a failed check ("Expected ...").
# usage: awk -v expect="NAME..." -v skips=FILE -v boot=BOOT -v kver=KVER \
#	-f results.awk RESULTS_FILE

function fail(why) {
	failed++
	why_list[failed] = why
}

function finish(name, rc, has_exit,    i) {
	if (plan > seen)
		for (i = seen + 1; i <= plan; i++)
			fail(name ": test " i " of " plan " never reported")
	if (plan >= 0 && seen > plan)
		fail(name ": " seen " results for a plan of " plan)
	if (!has_exit)
		fail(name ": no exit marker (guest hung or died)")
	else if (rc == 124 || rc == 137 || rc == 143)
		fail(name ": timed out (exit " rc ")")
	else if (rc != 0 && rc != 4 && suite_failed == 0)
		fail(name ": exit " rc " without a failed test")
	else if (rc == 4 && seen == 0) {
		if (skip_entry(name, "-")) {
			skipped++
			ran[name SUBSEP "-"] = 1
		} else
			fail(name ": the whole program skipped, unexpectedly")
	}
	else if (rc == 0 && seen == 0 && plan != 0)
		fail(name ": no TAP results")
	cur = ""
}

# glob_re GLOB: the anchored regular expression of a shell-style glob
# (only "*" and "?" are special).
function glob_re(g,    r, i, c) {
	r = "^"
	for (i = 1; i <= length(g); i++) {
		c = substr(g, i, 1)
		if (c == "*")
			r = r ".*"
		else if (c == "?")
			r = r "."
		else if (c ~ /[][\\.^$+(){}|\/]/)
			r = r "\\" c
		else
			r = r c
	}
	return r "$"
}

function in_list(x, list,    n, a, i) {
	if (list == "*")
		return 1
	n = split(list, a, ",")
	for (i = 1; i <= n; i++)
		if (a[i] == x)
			return 1
	return 0
}

# load_skips: the entries of the allow-list that apply to this boot and
# kernel: program glob, test glob, reason glob.
function load_skips(file,    line, f, n, reason) {
	nskip = 0
	if (file == "")
		return
	while ((getline line < file) > 0) {
		sub(/[ \t\r]+$/, "", line)
		if (line ~ /^[ \t]*(#|$)/)
			continue
		n = split(line, f, /\t+/)
		if (n < 5) {
			fail("skips: malformed line: " line)
			continue
		}
		if (!in_list(boot, f[3]) ||
		    !(in_list(kmajor, f[4]) || (kdebug && in_list("debug", f[4]))))
			continue
		reason = line
		sub(/^[^\t]+\t+[^\t]+\t+[^\t]+\t+[^\t]+\t+/, "", reason)
		nskip++
		sk_prog[nskip] = glob_re(f[1])
		sk_test[nskip] = glob_re(f[2])
		sk_exact[nskip] = f[2] !~ /[*?]/ ? f[2] : ""
		sk_why[nskip] = glob_re(reason)
		sk_text[nskip] = f[1] " " f[2]
		# "NAME:kernel" and "host:HOOK" sections only for a glob that
		# names them.
		sk_colon[nskip] = index(f[1], ":") > 0
	}
	close(file)
}

function applies(i, prog) {
	return prog ~ sk_prog[i] && (sk_colon[i] || !index(prog, ":"))
}

# skip_entry PROG TEST [WHY]: the first entry expecting PROG's TEST to skip
# (for the reason WHY, when given), or 0.
function skip_entry(prog, test, why,    i) {
	for (i = 1; i <= nskip; i++)
		if (applies(i, prog) && test ~ sk_test[i] &&
		    (why == "" || why ~ sk_why[i]))
			return i
	return 0
}

BEGIN {
	n_expect = split(expect, expected, " ")
	kmajor = kver
	# The debug kernel of make check-debug (scripts/debug-kernel.sh).
	kdebug = kver ~ /-bsdmem-debug$/
	if (match(kver, /^[0-9]+\.[0-9]+/))
		kmajor = substr(kver, 1, RLENGTH)
	load_skips(skips)
}

{ sub(/\r$/, "") }

/^# bsdmem-suite: / {
	if (cur != "")
		finish(cur, "", 0)
	cur = $3
	started[cur] = 1
	runname = ""
	checkfail = 0
	plan = -1
	seen = 0
	suite_failed = 0
	next
}

/^# bsdmem-suite-exit: / {
	if (cur != "")
		finish(cur, $4 + 0, 1)
	next
}

/^# bsdmem-boot-done/ { done = 1; next }

cur == "" { next }

# The kselftest harness announces each test; its skip lines carry no name.
/^#  RUN  / {
	runname = $3
	checkfail = 0
	next
}

/^# [^ ]*:[0-9]+:[^ ]*:Expected / { checkfail = 1 }

/^#/ { next }

/^1\.\.[0-9]+/ {
	if (plan < 0)
		plan = substr($1, 4) + 0
	next
}

/^ok([ \t]|$)/ {
	seen++
	test = test_name($0)
	ran[cur SUBSEP test] = 1
	if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) {
		why = $0
		sub(/^.*#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/, "", why)
		if (checkfail)
			fail(cur ": " test ": skipped after a failed check")
		else if (!skip_entry(cur, test))
			fail(cur ": " test ": unexpected skip (" why ")")
		else if (!skip_entry(cur, test, why == "" ? " " : why))
			fail(cur ": " test ": skipped for another reason (" why ")")
		else
			skipped++
	} else if ((i = skip_entry(cur, test)) != 0) {
		fail(cur ": " test ": passed, but selftests/skips expects a skip")
	} else {
		passed++
	}
	runname = ""
	checkfail = 0
	next
}

/^not ok([ \t]|$)/ {
	seen++
	suite_failed++
	name = $0
	sub(/^not ok[ \t]+[0-9]*[ \t]*(-[ \t]*)?/, "", name)
	fail(cur ": " name)
	ran[cur SUBSEP test_name($0)] = 1
	runname = ""
	checkfail = 0
}

# test_name LINE: the name of the test an ok/not ok line reports: its own
# text, or the harness's last RUN line when it has none.
function test_name(line,    t) {
	t = line
	sub(/^(not )?ok[ \t]+[0-9]*[ \t]*(-[ \t]*)?/, "", t)
	sub(/[ \t]*#.*$/, "", t)
	return t != "" ? t : (runname != "" ? runname : "?")
}

END {
	if (cur != "")
		finish(cur, "", 0)
	# A test the list names exactly must be reported by every program
	# it applies to that ran here (a renamed test leaves no stale entry).
	for (i = 1; i <= nskip; i++) {
		if (sk_exact[i] == "")
			continue
		for (p in started)
			if (applies(i, p) && !((p SUBSEP sk_exact[i]) in ran))
				fail(p ": " sk_exact[i] ": in selftests/skips but not reported")
	}
	for (i = 1; i <= n_expect; i++)
		if (!(expected[i] in started))
			fail(expected[i] ": never ran")
	if (!done)
		fail("boot: no \"# bsdmem-boot-done\" (guest hung, crashed or timed out)")
	print passed + 0, failed + 0, skipped + 0
	for (i = 1; i <= failed; i++)
		print why_list[i]
}
