#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host test of scripts/version.sh, TAP on stdout, in throw-away git
# repositories under /tmp holding a copy of it: no tag, a v tag, tags that are
# not versions (ci-passed, debian/0.0-1) ignored, v1.3-rc1 as 1.3~rc1, a dirty
# tree on a tag sorting between the tag and the next snapshot (dpkg
# --compare-versions), a shallow clone (its tag in reach: the tag; out of
# reach: exit 1 saying so, never a 0.0 version), a path with a space, and a
# tree with neither git nor VERSION (a git archive) failing with a message
# naming make dist.
# usage: version_test.sh [TOP] (TOP: the tree's top, by default the current
# directory, where make check runs its host tests)
set -u

top=${1:-$(pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=selftests/host/lib/tap.sh
. "$top/selftests/host/lib/tap.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp"

# says DESC DIR WANT: DIR's version.sh prints WANT and exits 0.
says() {
	if got=$("$2/scripts/version.sh" 2>&1) && [ "$got" = "$3" ]; then
		ok "$1: $3"
	else
		not_ok "$1: $3" "got: $got"
	fi
}

commit() {
	echo "$1" >>"$r/file"
	git -C "$r" add file
	git -C "$r" commit -qm "$1"
}

hash() {
	git -C "$1" rev-parse --short HEAD
}

echo "TAP version 13"
echo "1..12"
r=$tmp/repo
mkdir -p "$r/scripts"
cp "$top/scripts/version.sh" "$r/scripts/"
git -C "$r" init -q
git -C "$r" add scripts
commit one
says "no tag" "$r" "0.0+1.g$(hash "$r")"
git -C "$r" tag v1.2
says "tag v1.2" "$r" 1.2
commit two
git -C "$r" tag ci-passed
git -C "$r" tag debian/0.0-1
says "tags ci-passed and debian/0.0-1 are not versions" "$r" "1.2+1.g$(hash "$r")"
git -C "$r" tag v1.3-rc1
says "tag v1.3-rc1" "$r" "1.3~rc1"
commit three
rc=$(hash "$r")
says "a commit past v1.3-rc1" "$r" "1.3~rc1+1.g$rc"
commit four
git -C "$r" tag v1.3
echo dirty >>"$r/file"
says "a dirty tree on v1.3" "$r" "1.3+0.dirty"
git -C "$r" checkout -q file
if dpkg --compare-versions 1.3~rc1 lt 1.3~rc1+1.g"$rc" &&
	dpkg --compare-versions 1.3~rc1+1.g"$rc" lt 1.3 &&
	dpkg --compare-versions 1.3 lt 1.3+0.dirty &&
	dpkg --compare-versions 1.3+0.dirty lt 1.3+1.gabcdef0; then
	ok "1.3~rc1 < 1.3~rc1+1.g$rc < 1.3 < 1.3+0.dirty < 1.3+1.g<hash> (dpkg)"
else
	not_ok "1.3~rc1 < 1.3~rc1+1.g$rc < 1.3 < 1.3+0.dirty < 1.3+1.g<hash> (dpkg)"
fi

# Shallow clones: the tag at HEAD, and two commits past it.
git clone -q --depth 1 --branch v1.3 "file://$r" "$tmp/shallow1" 2>/dev/null
says "a shallow clone of v1.3" "$tmp/shallow1" 1.3
commit five
commit six
git clone -q --depth 1 "file://$r" "$tmp/shallow2"
if out=$("$tmp/shallow2/scripts/version.sh" 2>&1); then
	not_ok "a shallow clone out of reach of v1.3 fails" "it said: $out"
elif echo "$out" | grep -q 'shallow clone'; then
	ok "a shallow clone out of reach of v1.3 fails: $out"
else
	not_ok "a shallow clone out of reach of v1.3 fails, saying why" "$out"
fi
git -C "$tmp/shallow2" fetch -q --unshallow --tags
says "the same after git fetch --unshallow --tags" "$tmp/shallow2" "1.3+2.g$(hash "$r")"

# A path with a space.
git clone -q "file://$r" "$tmp/a b"
says "a clone in a path with a space" "$tmp/a b" "1.3+2.g$(hash "$r")"

# A git archive: no .git, no VERSION.
mkdir "$tmp/archive"
git -C "$r" archive HEAD | tar -C "$tmp/archive" -xf -
if out=$("$tmp/archive/scripts/version.sh" 2>&1); then
	not_ok "a git archive tree (no VERSION) fails" "it said: $out"
elif echo "$out" | grep -q 'make dist'; then
	ok "a git archive tree (no VERSION) fails, naming make dist"
else
	not_ok "a git archive tree (no VERSION) fails, naming make dist" "$out"
fi

[ "$n" -eq 12 ] || echo "# planned 12 tests, ran $n"
[ "$fails" -eq 0 ] && [ "$n" -eq 12 ]
