# SPDX-License-Identifier: GPL-2.0
# Counts one boot's results file: TAP sections framed by "# bsdmem-suite: NAME"
# and "# bsdmem-suite-exit: NAME RC". Prints "PASSED FAILED SKIPPED" and then
# one line per failure. Missing or extra results (plan), timeouts, bad exit codes,
# programs that never ran (-v expect="a b") and no boot-done are failures.
# usage: awk -v expect="NAME..." -f results.awk RESULTS_FILE

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
	else if (rc == 4 && seen == 0)
		skipped++
	else if (rc == 0 && seen == 0 && plan != 0)
		fail(name ": no TAP results")
	cur = ""
}

BEGIN {
	n_expect = split(expect, expected, " ")
}

{ sub(/\r$/, "") }

/^# bsdmem-suite: / {
	if (cur != "")
		finish(cur, "", 0)
	cur = $3
	started[cur] = 1
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

cur == "" || /^#/ { next }

/^1\.\.[0-9]+/ {
	if (plan < 0)
		plan = substr($1, 4) + 0
	next
}

/^ok([ \t]|$)/ {
	seen++
	if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/)
		skipped++
	else
		passed++
	next
}

/^not ok([ \t]|$)/ {
	seen++
	suite_failed++
	name = $0
	sub(/^not ok[ \t]+[0-9]*[ \t]*(-[ \t]*)?/, "", name)
	fail(cur ": " name)
}

END {
	if (cur != "")
		finish(cur, "", 0)
	for (i = 1; i <= n_expect; i++)
		if (!(expected[i] in started))
			fail(expected[i] ": never ran")
	if (!done)
		fail("boot: no \"# bsdmem-boot-done\" (guest hung, crashed or timed out)")
	print passed + 0, failed + 0, skipped + 0
	for (i = 1; i <= failed; i++)
		print why_list[i]
}
