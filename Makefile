# SPDX-License-Identifier: GPL-3.0-or-later
# The front door: make, make check, make demo, make asan.
BUILD     ?= build
ASAN      ?= build-asan
PORTABLE  ?= build-portable
PYTEST    ?= /usr/bin/python3 -m pytest
MESON_OPTS ?=
SRCS := $(sort $(wildcard src/*/*.c tests/unit/*.c src/*/*.h))

.PHONY: all deps check unit integration asan portable demo format format-check clean

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
	meson test -C $(BUILD) --suite unit --print-errorlogs

integration: $(BUILD)/ursync
	URSYNC=$(abspath $(BUILD)/ursync) $(PYTEST) -q tests/integration

check: deps
	$(MAKE) $(BUILD)/ursync
	$(MAKE) unit integration

asan: deps
	$(MAKE) BUILD=$(ASAN) MESON_OPTS="-Db_sanitize=address,undefined -Db_lundef=false" unit integration

portable: deps
	$(MAKE) BUILD=$(PORTABLE) MESON_OPTS="-Dportable=true" unit integration

demo: deps
	$(MAKE) $(BUILD)/ursync
	sh scripts/demo.sh $(BUILD)/ursync

format:
	clang-format -i src/*/*.c src/*/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD) $(ASAN) $(PORTABLE)

FORCE:
