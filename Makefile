# SPDX-License-Identifier: GPL-3.0-or-later
# The front door: make, make check, make demo, make asan.
BUILD     ?= build
ASAN      ?= build-asan
PORTABLE  ?= build-portable
PYTEST    ?= /usr/bin/python3 -m pytest
MESON_OPTS ?=
PREFIX    ?= /usr/local
DESTDIR   ?=
SRCS := $(sort $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/fuzz/*.c))

.PHONY: all deps check unit integration interop hostile asan portable demo fuzz format clean \
	install uninstall

all: $(BUILD)/ursync

deps:
	@sh scripts/deps.sh

# Reconfigure whenever a source file appears or goes (meson lists them by glob).
$(BUILD)/.srclist: FORCE
	@mkdir -p $(BUILD); echo "$(SRCS)" | cmp -s - $@ || echo "$(SRCS)" > $@

$(BUILD)/build.ninja: meson.build meson_options.txt $(BUILD)/.srclist
	@if [ -f $(BUILD)/meson-info/meson-info.json ]; then \
		meson setup --reconfigure $(BUILD) $(MESON_OPTS) >/dev/null; \
	else meson setup $(BUILD) $(MESON_OPTS) >/dev/null; fi
	@touch $@

$(BUILD)/ursync: $(BUILD)/build.ninja FORCE
	@ninja -C $(BUILD) >/dev/null || ninja -C $(BUILD)

unit: $(BUILD)/ursync
	meson test -C $(BUILD) --suite unit --suite fuzz --print-errorlogs

integration: $(BUILD)/ursync
	URSYNC=$(abspath $(BUILD)/ursync) $(PYTEST) -q tests/integration

# ursync and rsync 3.5.0 on the two ends of a remote shell (fake shell and sshd).
interop: $(BUILD)/ursync
	URSYNC=$(abspath $(BUILD)/ursync) $(PYTEST) -q tests/interop

# A scripted malicious peer against rsync and ursync clients.
hostile: $(BUILD)/ursync
	URSYNC=$(abspath $(BUILD)/ursync) $(PYTEST) -q tests/hostile

# DEPS= skips installing packages (debian/rules: the build has its own).
DEPS ?= deps
check: $(DEPS)
	$(MAKE) $(BUILD)/ursync
	$(MAKE) unit integration interop hostile

asan: deps
	$(MAKE) BUILD=$(ASAN) MESON_OPTS="-Db_sanitize=address,undefined -Db_lundef=false" unit integration interop hostile

portable: deps
	$(MAKE) BUILD=$(PORTABLE) MESON_OPTS="-Dportable=true" unit integration interop

demo: deps
	$(MAKE) $(BUILD)/ursync
	sh scripts/demo.sh $(BUILD)/ursync

# Real fuzzing with libFuzzer (clang); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: deps
	@[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzzing=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false >/dev/null
	ninja -C build-fuzz
	@for t in build-fuzz/fuzz_*; do [ -x "$$t" ] || continue; n=$${t##*/fuzz_}; \
		mkdir -p tests/fuzz/corpus/$$n; echo "== $$t"; \
		$$t -max_total_time=$(FUZZ_SECONDS) tests/fuzz/corpus/$$n || exit 1; done

# The binary, man pages, bash completion, systemd units and an example
# rsyncd.conf under PREFIX, staged below DESTDIR if given (docs/install.md).
install: $(BUILD)/ursync
	@meson configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))

uninstall:
	ninja -C $(BUILD) uninstall

format:
	clang-format -i src/*/*.c src/*/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD) $(ASAN) $(PORTABLE) build-fuzz

FORCE:
