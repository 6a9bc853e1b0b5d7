#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host test of the Debian packages, as root, TAP on stdout. make deb builds
# bsdmem-dkms and bsdmem-tools with no lintian error; apt-get install of both
# works; dkms status shows bsdmem installed for every target kernel
# (scripts/kernels.sh), and DKMS's step runs once (the built postinst has
# exactly one dh_dkms snippet); bsdmem-dkms refuses to install over what
# looks like a make install (a /usr/src/bsdmem-VERSION tree no package owns),
# leaving it as it was; each module DKMS built says the version and is signed
# with DKMS's MOK key (/var/lib/dkms/mok.key and mok.pub: a throw-away one is
# made when there is none, and removed after); the tools say the version;
# headers, bsdmem.pc, man pages and the udev rule are in place and README's
# port-build.sh compiles its example with pkg-config; make install refuses
# while the package is there; apt-get purge removes it all (no DKMS registration, no module, no
# file of either package) and leaves the host's package list as it was.
# The build, the install, dkms status and the purge are README.md's
# install-deb.sh, run line by line as written, from the tree's top; apt-get's
# "Do you want to continue?" is answered yes through APT_CONFIG
# (APT::Get::Assume-Yes), as the reader types y.
# A host where bsdmem is already installed (make install or the packages) is
# refused, untouched; without root every test is skipped. Takes about 2
# minutes (make deb, DKMS builds).
# usage: deb_test.sh [TOP] (TOP: the tree's top, by default the current
# directory, where make check runs its host tests)
set -u

top=${1:-$(pwd)}
cd "$top" || exit 1
tmp=$(mktemp -d)
key=/var/lib/dkms/mok.key
cert=/var/lib/dkms/mok.pub
made_key=
standin=
# shellcheck source=selftests/host/lib/tap.sh
. "$top/selftests/host/lib/tap.sh"
plan=0

installed() {
	for p in bsdmem-dkms bsdmem-tools; do
		s=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) || continue
		[ "$s" = not-installed ] || echo "$p ($s)"
	done
}

# On the way out (interrupted too): finish what dpkg was doing, purge, and
# only once nothing of bsdmem is left drop the throw-away MOK key.
cleanup() {
	[ -z "$standin" ] || rm -rf "$standin"
	purged=1
	if [ -n "$(installed)" ]; then
		echo "# cleaning up: dpkg --configure -a; apt-get purge bsdmem-dkms bsdmem-tools"
		dpkg --configure -a >"$tmp/cleanup.log" 2>&1
		if ! DEBIAN_FRONTEND=noninteractive apt-get purge -y bsdmem-dkms \
			bsdmem-tools >>"$tmp/cleanup.log" 2>&1 || [ -n "$(installed)" ]; then
			purged=
			echo "# cleanup: the purge FAILED; left: $(installed)"
			tail -n 20 "$tmp/cleanup.log" | sed 's/^/#   /'
		fi
	fi
	if [ -n "$made_key" ]; then
		if [ -n "$purged" ] && [ -z "$(dkms status -m bsdmem 2>/dev/null)" ]; then
			rm -f "$key" "$cert"
		else
			echo "# cleanup: kept the throw-away MOK key $key (bsdmem is still installed)"
		fi
	fi
	rm -rf "$tmp"
}

echo "TAP version 13"
kernels=$(scripts/kernels.sh) || exit 1
nk=$(echo "$kernels" | wc -l)
plan=$((20 + 3 * nk))
echo "1..$plan"

# Refuse, touching nothing, what this test cannot undo exactly.
if [ "$(id -u)" != 0 ]; then
	for i in $(seq "$plan"); do
		echo "ok $i # SKIP not root (apt-get, dkms)"
	done
	rm -rf "$tmp"
	exit 0
fi
v=$(scripts/version.sh)
there=$(installed)
reg=$(dkms status -m bsdmem 2>/dev/null; ls -d "/usr/src/bsdmem-$v" 2>/dev/null)
if [ -n "$there$reg" ]; then
	not_ok "the host has no bsdmem installed before the test" \
		"found: $there $reg" \
		"remove it first: make uninstall, or apt-get purge bsdmem-dkms bsdmem-tools"
	exit 1
fi
ok "the host has no bsdmem installed before the test"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' | sort >"$tmp/pkgs0"

if [ ! -f "$key" ] && [ ! -f "$cert" ]; then
	made_key=1
	openssl req -new -x509 -nodes -days 2 -subj "/CN=bsdmem deb_test throw-away MOK" \
		-newkey rsa:2048 -keyout "$key" -outform DER -out "$cert" >/dev/null 2>&1
	chmod 600 "$key"
	echo "# made a throw-away MOK key ($key, $cert); removed at the end"
fi
subject=$(openssl x509 -inform DER -in "$cert" -noout -subject -nameopt multiline 2>/dev/null |
	sed -n 's/^ *commonName *= *//p')
serial=$(openssl x509 -inform DER -in "$cert" -noout -serial 2>/dev/null | sed 's/^serial=//')

# README's install-deb.sh: the four steps below, in this order.
scripts/readme-examples.sh "$tmp/examples" >/dev/null
readme_lines install-deb.sh "$tmp/examples" >"$tmp/steps"
if why=$(readme_shape "$tmp/steps" '^make deb( |$)' '^apt-get install \./build/deb/\*\.deb( |$)' \
	'^dkms status bsdmem( |$)' '^apt-get purge bsdmem-dkms bsdmem-tools( |$)'); then
	ok "README's install-deb.sh is make deb, apt-get install, dkms status, apt-get purge"
else
	not_ok "README's install-deb.sh is make deb, apt-get install, dkms status, apt-get purge" \
		"$why" "update this test with README.md"
	exit 1
fi
{
	[ -f /etc/apt/apt.conf ] && echo '#include "/etc/apt/apt.conf";'
	echo 'APT::Get::Assume-Yes "true";'
} >"$tmp/apt.conf"
# step N: README's line N, as written, from the top; its output in $out.
step() {
	out=$(APT_CONFIG=$tmp/apt.conf DEBIAN_FRONTEND=noninteractive \
		sh -c "$(sed -n "${1}p" "$tmp/steps")" 2>&1)
}

# 1. Build.
start=$(date +%s)
if step 1; then
	ok "README: make deb ($(($(date +%s) - start)) s)"
	echo "$out" | tail -n 4 | sed 's/^/# /'
else
	not_ok "README: make deb" "$(echo "$out" | tail -n 30)"
fi
if [ -f build/deb/lintian.txt ] && ! grep -q '^E: ' build/deb/lintian.txt; then
	ok "lintian: no error"
else
	not_ok "lintian: no error" "$(cat build/deb/lintian.txt 2>/dev/null)"
fi
dkms_deb=build/deb/bsdmem-dkms_${v}_all.deb
tools_deb=build/deb/bsdmem-tools_${v}_amd64.deb
got=$(ls build/deb/*.deb 2>&1)
if [ "$got" = "$(printf '%s\n' "$dkms_deb" "$tools_deb")" ]; then
	ok "build/deb/*.deb is bsdmem-dkms_${v}_all.deb and bsdmem-tools_${v}_amd64.deb"
else
	not_ok "build/deb/*.deb is bsdmem-dkms_${v}_all.deb and bsdmem-tools_${v}_amd64.deb" "$got"
fi

mkdir "$tmp/ctl"
dpkg-deb -e "$dkms_deb" "$tmp/ctl" 2>/dev/null
c=$(grep -c 'Automatically added by dh_dkms' "$tmp/ctl/postinst" 2>/dev/null)
if [ "$c" = 1 ]; then
	ok "bsdmem-dkms's postinst has exactly one dh_dkms snippet"
else
	not_ok "bsdmem-dkms's postinst has exactly one dh_dkms snippet" "found ${c:-no postinst}"
fi
dep=$(dpkg-deb -f "$dkms_deb" Depends 2>&1)
if echo "$dep" | grep -q 'dkms (>= 3'; then
	ok "bsdmem-dkms depends on DKMS 3 (its postinst relies on exit 77)"
else
	not_ok "bsdmem-dkms depends on DKMS 3 (its postinst relies on exit 77)" "Depends: $dep"
fi

# 2. Install, refused first over a stand-in of make install's DKMS tree.
standin=/usr/src/bsdmem-$v
mkdir "$standin"
echo 'PACKAGE_NAME="bsdmem"' >"$standin/dkms.conf"
if out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y "./$dkms_deb" 2>&1); then
	not_ok "apt-get install bsdmem-dkms refuses over a make install" "$(echo "$out" | tail -n 20)"
elif echo "$out" | grep -q "from a 'make install'"; then
	ok "apt-get install bsdmem-dkms refuses over a make install: $(echo "$out" | grep -m 1 "make install")"
else
	not_ok "apt-get install bsdmem-dkms refuses over a make install, saying why" "$(echo "$out" | tail -n 20)"
fi
if [ -z "$(installed)" ] && [ "$(cat "$standin/dkms.conf")" = 'PACKAGE_NAME="bsdmem"' ] &&
	[ -z "$(dkms status -m bsdmem 2>/dev/null)" ]; then
	ok "and leaves it as it was (package not installed, tree intact)"
else
	not_ok "and leaves it as it was (package not installed, tree intact)" "$(installed)" \
		"$(cat "$standin/dkms.conf" 2>&1)" "$(dkms status 2>&1)"
fi
rm -rf "$standin"
standin=
if step 2; then
	ok "README: apt-get install ./build/deb/*.deb"
else
	not_ok "README: apt-get install ./build/deb/*.deb" "$(echo "$out" | tail -n 30)"
fi
step 3
st=$out
for k in $kernels; do
	if echo "$st" | grep -Fqx "bsdmem/$v, $k, x86_64: installed"; then
		ok "README: dkms status bsdmem says bsdmem/$v, $k, x86_64: installed"
	else
		not_ok "README: dkms status bsdmem says bsdmem/$v, $k, x86_64: installed" "$st"
	fi
	ko=$(find /lib/modules/"$k"/updates/dkms -name 'bsdmem.ko*' 2>/dev/null | head -n 1)
	mv=$(modinfo -F version "${ko:-/nonexistent}" 2>&1)
	if [ "$mv" = "$v" ]; then
		ok "$k: modinfo says version $v"
	else
		not_ok "$k: modinfo says version $v" "${ko:-no module}: $mv"
	fi
	sig=$(modinfo -F sig_id "${ko:-/nonexistent}" 2>/dev/null)
	who=$(modinfo -F signer "${ko:-/nonexistent}" 2>/dev/null)
	kid=$(modinfo -F sig_key "${ko:-/nonexistent}" 2>/dev/null | tr -d ':')
	if [ "$sig" = "PKCS#7" ] && [ "$who" = "$subject" ] && [ "$kid" = "$serial" ]; then
		ok "$k: signed with DKMS's MOK key ($who)"
	else
		not_ok "$k: signed with DKMS's MOK key" \
			"module: sig_id '$sig' signer '$who' sig_key '$kid'" \
			"$cert: CN '$subject' serial '$serial'"
	fi
done
ok=1
for t in /usr/sbin/memcontrol /usr/sbin/bsdlivedump /usr/bin/minidump; do
	got=$("$t" --version 2>&1)
	[ "$got" = "$(basename "$t") (bsdmem) $v" ] || { ok=; echo "# $t --version: $got"; }
done
if [ -n "$ok" ]; then ok "the tools say $v"; else not_ok "the tools say $v"; fi
check "pkg-config: bsdmem $v, -I/usr/include/bsdmem" sh -c \
	"[ \"\$(pkg-config --modversion bsdmem)\" = '$v' ] &&
	 [ \"\$(pkg-config --cflags bsdmem | sed 's/ *\$//')\" = -I/usr/include/bsdmem ]"
check "the headers, man pages and udev rule are in place" ls \
	/usr/include/bsdmem/sys/memrange.h /usr/include/bsdmem/sys/kerneldump.h \
	/usr/include/bsdmem/machine/minidump.h /usr/share/man/man8/memcontrol.8.gz \
	/usr/share/man/man8/bsdlivedump.8.gz /usr/share/man/man1/minidump.1.gz \
	/lib/udev/rules.d/60-bsdmem.rules
# README's port-build.sh: its cc line, as written, beside port-example.c,
# against the installed package. Its second line, ./port-example as root,
# needs /dev/bsdmem: release_test runs the same source, built the same way
# (make port-example, static), in the QEMU guest.
readme_lines port-build.sh "$tmp/examples" >"$tmp/port-steps"
if why=$(readme_shape "$tmp/port-steps" \
	'^cc \$\(pkg-config --cflags bsdmem\) .*-o port-example port-example\.c( |$)' '^\./port-example( |$)'); then
	if out=$(cd "$tmp/examples" && sh -c "$(sed -n 1p "$tmp/port-steps")" 2>&1) &&
		[ -x "$tmp/examples/port-example" ]; then
		ok "README: port-build.sh's cc \$(pkg-config --cflags bsdmem) builds port-example"
	else
		not_ok "README: port-build.sh's cc \$(pkg-config --cflags bsdmem) builds port-example" "$out"
	fi
else
	not_ok "README's port-build.sh is cc \$(pkg-config ...) then ./port-example" "$why" \
		"update this test with README.md"
fi
before=$(dkms status 2>/dev/null)
if out=$(scripts/install.sh install 2>&1); then
	not_ok "make install refuses while bsdmem-dkms is installed" "$out"
elif echo "$out" | grep -q 'bsdmem-dkms package'; then
	ok "make install refuses while bsdmem-dkms is installed: $(echo "$out" | tail -n 1)"
else
	not_ok "make install refuses while bsdmem-dkms is installed, saying why" "$out"
fi
after=$(dkms status 2>/dev/null)
if [ "$after" = "$before" ] && [ ! -e /usr/local/share/bsdmem/manifest ]; then
	ok "and changed nothing"
else
	not_ok "and changed nothing" "dkms status before: $before" "after: $after" \
		"$(ls /usr/local/share/bsdmem/manifest 2>&1)"
fi

# 3. Purge.
dpkg -L bsdmem-dkms bsdmem-tools 2>/dev/null | sort -u >"$tmp/files"
if step 4; then
	ok "README: apt-get purge bsdmem-dkms bsdmem-tools"
else
	not_ok "README: apt-get purge bsdmem-dkms bsdmem-tools" "$(echo "$out" | tail -n 30)"
fi
left=$(dkms status -m bsdmem 2>&1; ls -d /var/lib/dkms/bsdmem /usr/src/bsdmem-* 2>/dev/null)
for k in $kernels; do
	ls /lib/modules/"$k"/updates/dkms/bsdmem.ko* 2>/dev/null
	modinfo -k "$k" bsdmem >/dev/null 2>&1 && echo "modinfo -k $k bsdmem still finds it"
done >"$tmp/mods"
if [ -z "$left" ] && [ ! -s "$tmp/mods" ]; then
	ok "no DKMS registration, source or module is left"
else
	not_ok "no DKMS registration, source or module is left" "$left" "$(cat "$tmp/mods")"
fi
while read -r f; do
	[ -e "$f" ] && [ ! -d "$f" ] && echo "$f"
done <"$tmp/files" >"$tmp/left"
if [ -s "$tmp/files" ] && [ ! -s "$tmp/left" ]; then
	ok "no file of either package is left ($(wc -l <"$tmp/files") paths listed)"
else
	not_ok "no file of either package is left" "$(head -n 20 "$tmp/left")"
fi
dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' | sort >"$tmp/pkgs1"
check "the host's package list is as before" diff "$tmp/pkgs0" "$tmp/pkgs1"

[ "$n" -eq "$plan" ] || echo "# planned $plan tests, ran $n"
[ "$fails" -eq 0 ] && [ "$n" -eq "$plan" ]
