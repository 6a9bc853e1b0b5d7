# SPDX-License-Identifier: GPL-2.0
# Entry points: "make" builds bsdmem.ko for every target kernel
# (scripts/kernels.sh) into build/<kver>/; "make check" runs deps, builds,
# lint and the QEMU test matrix; "make run" boots one guest with the demo.
# KERNELS=, BOOTS= and SUITES= narrow what runs (see scripts/check.sh).
# "make install" / "make uninstall" (DESTDIR=, PREFIX=, AUTOLOAD=1; see
# scripts/install.sh), "make dist" (build/dist/bsdmem-VERSION.tar.gz) and
# "make deb" (build/deb/*.deb, scripts/deb.sh) ship it.
# The kernel build itself is Kbuild's; this file only drives it.

KERNELS ?=
BOOTS ?=
SUITES ?=
export KERNELS BOOTS SUITES

KVERS = $(shell KERNELS='$(KERNELS)' scripts/kernels.sh)
BSDMEM_CACHE ?= /var/cache/bsdmem
export BSDMEM_CACHE
OBJCOPY ?= objcopy
# Jobs for the sub-makes whose targets are independent of each other.
NPROC := $(shell nproc 2>/dev/null || echo 1)

# The tools, one folder each (tools/NAME/NAME.c holds main; every
# tools/NAME/*.c is compiled in one cc run). Those in MD_TOOLS link
# lib/minidump, which is compiled once, position-independent, into
# build/lib/libminidump.a for the static guest tools, the dynamic host tools
# and the reader's tests alike. Those in KVM_TOOLS link libbsdkvm (lib/kvm).
TOOLS := memcontrol bsdlivedump minidump bsdmemdemo kvminfo
MD_TOOLS := bsdlivedump minidump benchg
KVM_TOOLS := kvminfo
TOOL_BINS := $(TOOLS:%=build/tools/%)
UAPI_HDRS := $(shell find include/uapi -name '*.h' 2>/dev/null)
# The version the tools print (scripts/version.sh), rewritten only when it
# changes.
VERSION_H := build/version/bsdmem_version.h
TOOL_CFLAGS := -static -O2 -g -std=gnu99 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Iinclude/uapi -Ibuild/version -Ilib/minidump -Ilib/kvm
TOOL_LDLIBS := -lzstd -lz -lpthread

# The installed tools, dynamic for the host (build/host-tools/): CFLAGS,
# CPPFLAGS and LDFLAGS from the environment (dpkg-buildflags in make deb).
HOST_TOOLS := memcontrol bsdlivedump minidump
HOST_TOOL_BINS := $(HOST_TOOLS:%=build/host-tools/%)
CFLAGS ?= -O2 -g
HOST_TOOL_CFLAGS := -std=gnu99 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Iinclude/uapi -Ibuild/version -Ilib/minidump -Ilib/kvm
HOST_TOOL_LDLIBS := -Wl,--as-needed -lzstd -lz -lpthread

# lib/minidump, and the reader's host tests (TAP) linked to it.
MD_LIB := build/lib/libminidump.a
MD_LIB_OBJS := $(patsubst lib/minidump/%.c,build/lib/minidump/%.o,\
	$(sort $(wildcard lib/minidump/*.c)))
MD_LIB_CFLAGS := -std=gnu99 -Wall -Wextra -Werror -Iinclude/uapi \
	-Ilib/minidump -MMD -MP $(CPPFLAGS) $(CFLAGS) -fPIC
MDTEST := build/tests/mdtest
MDTEST_OBJS := $(patsubst tools/minidump/tests/%.c,build/tests/minidump/%.o,\
	$(sort $(wildcard tools/minidump/tests/*.c)))
# lib/kvm: libbsdkvm (rules below).
KVM_LIB := build/lib/libbsdkvm.a
KVM_SO := build/lib/libbsdkvm.so.0
KVM_MAP := lib/kvm/libbsdkvm.map
KVM_OBJS := $(patsubst lib/kvm/%.c,build/lib/kvm/%.o,\
	$(sort $(wildcard lib/kvm/*.c)))
KVM_CFLAGS := $(MD_LIB_CFLAGS) -D_GNU_SOURCE -Ilib/kvm
KVM_TEST_OBJS := build/tests/kvm/kvm_test.o \
	$(addprefix build/tests/minidump/,gen.o gen_body.o pack.o)
PREFIX ?= /usr/local
DESTDIR ?=

all: modules

deps:
	@scripts/deps.sh

ksft:
	@scripts/ksft.sh >/dev/null

# The debug vmlinux of every target kernel, for drgn and crash:
# $(BSDMEM_CACHE)/debuginfo/<kver>/vmlinux (scripts/debuginfo.sh).
debuginfo:
	@scripts/debuginfo.sh

modules:
	@test -n "$(KVERS)" || { echo "make: no target kernel" >&2; exit 1; }
	@for k in $(KVERS); do \
		echo "  MODULE  build/$$k/bsdmem.ko"; \
		scripts/module.sh build "$$k" || exit 1; \
	done

# About sixty static programs, each on its own: one compiler per CPU.
selftests: ksft $(KVM_LIB)
	@$(MAKE) --no-print-directory -j$(NPROC) -C selftests

tools: $(TOOL_BINS)

lib: $(MD_LIB)

host-tools: $(HOST_TOOL_BINS)

$(VERSION_H): FORCE
	@scripts/version.sh --header $@

.SECONDEXPANSION:
$(MD_LIB): $(MD_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# The command line libminidump is compiled with, rewritten only when it
# changes: the objects depend on it, so "make deb" (dpkg-buildflags' CFLAGS)
# after "make tools" recompiles them rather than linking unhardened ones.
MD_LIB_FLAGS := build/lib/minidump/flags
MD_LIB_CMD := $(CC) $(MD_LIB_CFLAGS)
$(MD_LIB_FLAGS): FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '$(subst ','\'',$(MD_LIB_CMD))' | cmp -s - $@ || \
		printf '%s\n' '$(subst ','\'',$(MD_LIB_CMD))' >$@

build/lib/minidump/%.o: lib/minidump/%.c $(MD_LIB_FLAGS)
	@mkdir -p $(@D)
	$(CC) $(MD_LIB_CFLAGS) -c -o $@ $<

# A tool's prerequisites: its own files, the uapi headers, the version and,
# for MD_TOOLS, the library and its headers.
tool_deps = $(wildcard tools/$(1)/*.c) $(wildcard tools/$(1)/*.h) \
	$(UAPI_HDRS) $(VERSION_H) \
	$(if $(filter $(1),$(MD_TOOLS)),$(wildcard lib/minidump/*.h) $(MD_LIB)) \
	$(if $(filter $(1),$(KVM_TOOLS)),lib/kvm/kvm.h $(KVM_LIB))

build/tools/%: $$(call tool_deps,$$*)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -o $@ $(filter %.c %.a,$^) $(TOOL_LDLIBS)

build/host-tools/%: $$(call tool_deps,$$*)
	@mkdir -p $(@D)
	$(CC) $(HOST_TOOL_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ \
		$(filter %.c %.a,$^) $(HOST_TOOL_LDLIBS)

build/tests/minidump/%.o: tools/minidump/tests/%.c
	@mkdir -p $(@D)
	$(CC) $(MD_LIB_CFLAGS) -Itools/minidump/tests \
		-DMDT_TESTDIR='"$(CURDIR)/tools/minidump/tests"' -c -o $@ $<

# Run as `build/tests/mdtest build/host-tools/minidump` (scripts/check.sh).
$(MDTEST): $(MDTEST_OBJS) $(MD_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lzstd -lz

-include $(MD_LIB_OBJS:.o=.d) $(MDTEST_OBJS:.o=.d)

# lib/kvm: libbsdkvm, FreeBSD's kvm(3) on /dev/bsdkmem and our minidumps.
# Its archive carries libminidump's objects too, so a static port links
# one library; the shared one exports kvm_* only (lib/kvm/libbsdkvm.map).
# Its TAP test runs linked both ways, from build/host/ (scripts/check.sh).

kvm: $(KVM_LIB) build/lib/libbsdkvm.so

build/lib/kvm/%.o: lib/kvm/%.c $(MD_LIB_FLAGS)
	@mkdir -p $(@D)
	$(CC) $(KVM_CFLAGS) -c -o $@ $<

# One relocatable object with only kvm_* global: libminidump's md_* and our
# bsdkvm_* stay inside it, so a port that also links libminidump.a (or has
# an md_open of its own) links cleanly.
$(KVM_LIB): $(KVM_OBJS) $(MD_LIB_OBJS)
	@rm -f $@ build/lib/kvm/libbsdkvm.o
	$(LD) -r -o build/lib/kvm/libbsdkvm.o $^
	$(OBJCOPY) --wildcard --keep-global-symbol='kvm_*' build/lib/kvm/libbsdkvm.o
	$(AR) rcs $@ build/lib/kvm/libbsdkvm.o

$(KVM_SO): $(KVM_OBJS) $(MD_LIB_OBJS) $(KVM_MAP)
	$(CC) -shared -fPIC $(LDFLAGS) -Wl,-soname,libbsdkvm.so.0 -Wl,-z,defs \
		-Wl,--version-script,$(KVM_MAP) -o $@ \
		$(filter %.o,$^) -lzstd -lz

build/lib/libbsdkvm.so: $(KVM_SO)
	ln -sf libbsdkvm.so.0 $@

build/tests/kvm/%.o: lib/kvm/tests/%.c $(MD_LIB_FLAGS)
	@mkdir -p $(@D)
	$(CC) $(KVM_CFLAGS) -Itools/minidump/tests -c -o $@ $<

build/host/kvm_test: $(KVM_TEST_OBJS) $(KVM_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lzstd -lz

# The same test against the shared library, found through its rpath.
build/host/kvm_test_shared: $(KVM_TEST_OBJS) build/lib/libbsdkvm.so
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(KVM_TEST_OBJS) -Lbuild/lib -lbsdkvm \
		-Wl,-rpath,'$$ORIGIN/../lib' -lzstd -lz

-include $(KVM_OBJS:.o=.d) build/tests/kvm/kvm_test.d

# README's porting example built the way a porter builds it: against a
# DESTDIR install (build/port/dest) through pkg-config, static for the guest,
# into build/selftests/port-example, which release_test runs.
PORT_DEST := $(CURDIR)/build/port/dest
PORT_PC := PKG_CONFIG_SYSROOT_DIR=$(PORT_DEST) \
	PKG_CONFIG_LIBDIR=$(PORT_DEST)$(PREFIX)/share/pkgconfig pkg-config
port-example: host-tools
	@rm -rf build/port
	@DESTDIR=$(PORT_DEST) PREFIX=$(PREFIX) scripts/install.sh install >/dev/null
	@scripts/readme-examples.sh build/port/examples >/dev/null
	$(CC) -static -Wall -Werror $$($(PORT_PC) --cflags bsdmem) \
		-o build/port/port-example build/port/examples/port-example.c
	@mkdir -p build/selftests
	@cmp -s build/port/port-example build/selftests/port-example || \
		cp build/port/port-example build/selftests/port-example

# Host unit tests of driver logic no QEMU guest can reach (TAP programs).
# Host tests of the harness itself are shell scripts, run from the top.
HOST_TESTS := $(patsubst selftests/host/%.c,build/host/%,$(wildcard selftests/host/*.c))
HOST_TESTS += $(patsubst selftests/host/%.sh,build/host/%,$(wildcard selftests/host/*.sh))
host-tests: $(HOST_TESTS) $(MDTEST) build/host-tools/minidump \
	build/host/kvm_test build/host/kvm_test_shared build/host-tools/kvminfo

build/host/%: selftests/host/%.sh
	@mkdir -p $(@D)
	install -m 755 $< $@

build/host/%: selftests/host/%.c $$(wildcard driver/*.h)
	@mkdir -p $(@D)
	$(CC) -std=gnu99 -O2 -g -Wall -Wextra -Werror -o $@ $<

lint: ksft tools host-tools
	@scripts/lint.sh

check:
	@scripts/check.sh

check-debug:
	@scripts/check-debug.sh

# The benchmark (scripts/bench.sh): never a test. Its guest tool is static
# and only for the bench guest, so it is not among TOOLS.
bench: modules tools
	@scripts/bench.sh

bench-tools: build/bench/benchg

build/bench/benchg: $$(call tool_deps,benchg)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -o $@ $(filter %.c %.a,$^) $(TOOL_LDLIBS)

run:
	@scripts/run.sh

install uninstall:
	@DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' AUTOLOAD='$(AUTOLOAD)' \
		scripts/install.sh $@

dist:
	@scripts/dist.sh

deb:
	@scripts/deb.sh

clean:
	rm -rf build

.PHONY: all deps ksft debuginfo modules selftests lib kvm tools host-tools port-example host-tests lint check \
	check-debug bench bench-tools run install uninstall dist deb clean FORCE
