# Thin wrapper over meson/ninja. `make check` and `make demo` install what
# they need first, so they work on a fresh Debian machine as root.
BUILD      ?= build
ASAN_BUILD ?= build-asan
PREFIX     ?= /usr/local
DESTDIR    ?=
BERTH      := $(CURDIR)/$(BUILD)/berth

.PHONY: all deps demo check check-unit check-integration check-clients check-vm check-security \
        check-cross check-vm-arm64 check-deb check-long criu bench bench-scale fuzz install clean

all: $(BUILD)/build.ninja
	@scripts/refresh-build.sh $(BUILD)
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false

deps:
	@scripts/install-deps.sh

demo: deps all
	scripts/demo.sh $(BERTH)

# Unit tests run under ASan+UBSan; the integration suite uses the normal build.
check-unit: deps $(ASAN_BUILD)/build.ninja
	@scripts/refresh-build.sh $(ASAN_BUILD)
	ninja -C $(ASAN_BUILD)
	meson test -C $(ASAN_BUILD) --print-errorlogs

check-integration: deps all
	tests/run-integration.sh $(BERTH)

# The real clients (containerd, podman, docker, conmon, buildah) against
# berth and against runc, with their daemons in temporary directories.
check-clients: deps all
	tests/clients/run-clients.sh $(BERTH)

# cgroup v2 in a VM: Debian's cloud kernel under qemu, no KVM needed.
check-vm: deps all
	tests/vm/run-vm.sh $(BERTH)

# berth cross-built for arm64, ppc64le, s390x and riscv64, its unit tests
# run under qemu-user (tests/cross/run-cross.sh); suite cross of `make check`.
check-cross: deps
	tests/cross/run-cross.sh

# The arm64 VM suite alone (berth cross-built, Debian's arm64 kernel, TCG).
check-vm-arm64: deps all
	BERTH_VM_SUITES=arm64 tests/vm/run-vm.sh $(BERTH)


# One test per known runtime escape, each attacking a real container.
check-security: deps all
	tests/security/run-security.sh $(BERTH)

# The Debian package, built from a clean clone of HEAD and checked (about
# 3 minutes; suite deb of `make check`).
check-deb: deps
	tests/deb/run-deb.sh

# CRIU from Debian's newer suite in a private directory (checkpoint/restore).
criu:
	scripts/install-criu.sh

# Everything: unit tests under ASan+UBSan, the bats suites (integration,
# differential against runc, security), the fault suite, a short fuzz, the
# VM suites, the real clients, the cross builds of four architectures and
# the Debian package. Ends with one "N passed, N failed, N skipped" line.
check: deps all $(ASAN_BUILD)/build.ninja
	@scripts/refresh-build.sh $(ASAN_BUILD)
	ninja -C $(ASAN_BUILD)
	scripts/install-criu.sh
	PATH=/usr/local/lib/berth-criu/bin:$$PATH tests/check.sh $(BERTH) $(ASAN_BUILD)

# libFuzzer on the spec and option parsers, ten minutes each (make check
# runs them for 30 s each).
fuzz:
	tests/fuzz/run-fuzz.sh $${FUZZ_SECONDS:-600}

# The long runs kept out of make check: the soak (10,000 lifecycle cycles,
# the curve of peak RSS, fds, mounts and cgroups) and the long fuzz.
check-long: deps all
	tests/faults/soak.sh $(BERTH) $${SOAK_CYCLES:-10000}
	tests/fuzz/run-fuzz.sh $${FUZZ_SECONDS:-600}

bench: deps all
	bench/run.sh $(BERTH)

# 1 to 100 detached containers per runtime (SCALE_SIZES="1 10 100 1000" for all).
bench-scale: deps all
	bench/scale.sh $(BERTH)

install: all
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
