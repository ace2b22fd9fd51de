# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# One entry point: make deps | all | test | demo | bench | fuzz | image | format-check | clean
# Outputs go to $(BUILD). V=1 shows the commands.

BUILD ?= build
V ?= 0
VERSION := 0.1.0

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PROTOC_C ?= protoc-c
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-9s %s\n' "$(1)" "$(2)";
endif

# Debian packages every build, test and the demo need (DESIGN.md "Layout").
DEB_PKGS := make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
	libprotobuf-c-dev protobuf-c-compiler libyaml-dev libjansson-dev \
	libcmocka-dev libclang-rt-14-dev liburing-dev pkg-config iproute2 util-linux procps \
	runc containerd python3 nodejs libmicrohttpd-dev curl systemd \
	qemu-system-x86 busybox-static cpio mmdebstrap umoci dnsmasq-base

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_LINKED := $(BUILD)/bpf/fnguard.bpf.o
SKEL := $(BUILD)/fnguard.skel.h
PB_C := $(BUILD)/proto/fnguard.pb-c.c
PB_H := $(BUILD)/proto/fnguard.pb-c.h

# Every user source but main.c is also a library for the tests.
USER_SRCS := $(wildcard user/*.c)
LIB_SRCS := $(filter-out user/main.c,$(USER_SRCS))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS)) $(BUILD)/user/fnguard.pb-c.o
LIB_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS)) $(BUILD)/user/fnguard.pb-c.o
SAN_OBJS := $(patsubst user/%.c,$(BUILD)/san/%.o,$(LIB_SRCS)) $(BUILD)/san/fnguard.pb-c.o
LIB := $(BUILD)/libfnguard.a
SAN_LIB := $(BUILD)/san/libfnguard.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
INTEG_SRCS := $(wildcard tests/integration/test_*.c)
INTEG_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRCS))
TLIB_SRCS := $(filter-out tests/lib/fn_static.c,$(wildcard tests/lib/*.c))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(FUZZ_SRCS))
HELPER_BINS := $(BUILD)/demo-fn $(BUILD)/fn-static
BENCH_BINS := $(BUILD)/tests/bench/bench

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
	-Wmissing-prototypes -Wstrict-prototypes
INCLUDES := -Iinclude -Iuser -I$(BUILD) -I$(BUILD)/proto
CFLAGS ?= -O2 -g
USER_CFLAGS := $(CFLAGS) -std=gnu11 $(WARNINGS) $(INCLUDES) -D_GNU_SOURCE \
	-DFNG_VERSION='"$(VERSION)"' -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LIBS := -lbpf -lelf -lz -lprotobuf-c -lyaml -ljansson -lmicrohttpd -lpthread
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Wno-unused-parameter -Iinclude -Ibpf -I$(BUILD)/vmlinux -MMD -MP

.PHONY: all deps test unit integration fuzz fuzz-smoke demo bench bench-readme format format-check clean install \
	vmtest image
.DELETE_ON_ERROR:

all: $(BUILD)/fnguard $(HELPER_BINS)

# Install missing Debian packages; a stamp keeps later builds from asking dpkg again.
deps: $(BUILD)/.deps
$(BUILD)/.deps: Makefile tests/deploy/package-lock.json
	$(call msg,DEPS,$(DEB_PKGS))
	$(Q)mkdir -p $(BUILD); \
	missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	$(Q)command -v npm >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends npm; }
	@# The offline Kubernetes schema validator of the deploy tests, pinned by its lock file.
	$(Q)cd tests/deploy && npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

# vmlinux.h from the running kernel's BTF; the committed copy serves hosts without BTF.
$(BUILD)/vmlinux/vmlinux.h: | $(BUILD)/.deps
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)if [ -r /sys/kernel/btf/vmlinux ]; then \
		$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@; \
	else \
		cp bpf/vmlinux/vmlinux.h $@; \
	fi

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux/vmlinux.h | $(BUILD)/.deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_LINKED): $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(BPF_LINKED)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name fnguard_bpf > $@

$(PB_C) $(PB_H) &: proto/fnguard.proto | $(BUILD)/.deps
	$(call msg,PROTOC,$<)
	$(Q)mkdir -p $(BUILD)/proto
	$(Q)$(PROTOC_C) --proto_path=proto --c_out=$(BUILD)/proto $<

# User objects need the generated headers before they are compiled the first time.
GENERATED := $(SKEL) $(PB_H)

$(BUILD)/user/%.o: user/%.c | $(GENERATED)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(BUILD)/user/fnguard.pb-c.o: $(PB_C) | $(GENERATED)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: user/%.c | $(GENERATED)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/san/fnguard.pb-c.o: $(PB_C) | $(GENERATED)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SAN_LIB): $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fnguard: $(BUILD)/user/main.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# The demo's function (and its backend server).
$(BUILD)/demo-fn: examples/demo/demo_fn.c | $(BUILD)/.deps
	$(call msg,LD,$@)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $<

# A statically linked function for container rootfs in tests and the bench.
$(BUILD)/fn-static: tests/lib/fn_static.c | $(BUILD)/.deps
	$(call msg,LD,$@)
	$(Q)$(CC) $(USER_CFLAGS) -static -o $@ $<

$(BUILD)/tests/unit/%: tests/unit/%.c $(SAN_LIB)
	$(call msg,LD-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -o $@ $< $(SAN_LIB) $(LIBS) -lcmocka

$(BUILD)/tests/integration/%: tests/integration/%.c $(TLIB_SRCS) $(LIB)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/lib -o $@ $< $(TLIB_SRCS) $(LIB) $(LIBS) -luring

$(BUILD)/tests/bench/%: tests/bench/%.c $(TLIB_SRCS) $(LIB)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/lib -o $@ $< $(TLIB_SRCS) $(LIB) $(LIBS)

# libFuzzer targets: clang, with ASan and UBSan, over the user sources.
$(BUILD)/tests/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(PB_C) | $(GENERATED)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -std=gnu11 $(WARNINGS) $(INCLUDES) -D_GNU_SOURCE -DFNG_VERSION='"$(VERSION)"' \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRCS) $(PB_C) $(LIBS)

# The same agent under another version, for the upgrade test.
$(BUILD)/tests/fnguard-next: $(USER_SRCS) $(PB_C) | $(GENERATED)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -DFNG_VERSION=% -MMD -MP,$(USER_CFLAGS)) -DFNG_VERSION='"$(VERSION)+next"' \
		-o $@ $(USER_SRCS) $(PB_C) $(LIBS)

unit: $(UNIT_BINS)
integration: $(INTEG_BINS) $(BUILD)/fnguard $(HELPER_BINS) $(BUILD)/tests/fnguard-next
fuzz: $(FUZZ_BINS)

# Everything the machine allows; ends with "N passed, N failed".
test: all unit integration fuzz $(BENCH_BINS)
	$(Q)BUILD=$(BUILD) tests/run.sh

# The kernel matrix under qemu (tests/vm/run.sh); `make test` runs it too.
vmtest: all
	$(Q)BUILD=$(BUILD) tests/vm/run.sh

# The agent's OCI image from deploy/container/Dockerfile, built without a container
# engine (deploy/container/build.sh): $(BUILD)/image/fnguard-$(VERSION).oci.tar.
image: $(BUILD)/.deps
	$(Q)deploy/container/build.sh -o $(BUILD)/image -t $(VERSION)

demo: all
	$(Q)BUILD=$(BUILD) examples/demo/run.sh

# Also kept in $(BUILD)/bench.txt and $(BUILD)/bench-tiers.txt; `make bench-readme`
# puts them into README.md's two bench blocks.
bench: all $(BENCH_BINS)
	$(Q)bash -o pipefail -c 'FNG_FN_STATIC=$(BUILD)/fn-static $(BUILD)/tests/bench/bench \
		--fnguard $(BUILD)/fnguard | tee $(BUILD)/bench.txt'
	$(Q)bash -o pipefail -c 'BUILD=$(BUILD) tests/vm/run.sh --bench | tee $(BUILD)/bench-tiers.txt'

bench-readme:
	$(Q)BUILD=$(BUILD) tests/bench/readme.sh

# The node agent on a bare-metal or faasd host: binary, systemd unit, default
# config, a learning profile; configuration already there is kept.
PREFIX ?= /usr/local
install: $(BUILD)/fnguard
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BUILD)/fnguard $(DESTDIR)$(PREFIX)/bin/fnguard
	$(Q)install -d -m 0755 $(DESTDIR)/etc/systemd/system $(DESTDIR)/etc/fnguard/profiles \
		$(DESTDIR)$(PREFIX)/share/fnguard/examples $(DESTDIR)$(PREFIX)/share/doc/fnguard
	$(Q)sed 's|/usr/local/bin/fnguard|$(PREFIX)/bin/fnguard|' deploy/systemd/fnguard.service \
		> $(DESTDIR)/etc/systemd/system/fnguard.service
	$(Q)test -e $(DESTDIR)/etc/fnguard/config.yaml || \
		install -m 0644 deploy/systemd/config.yaml $(DESTDIR)/etc/fnguard/config.yaml
	$(Q)test -n "$$(ls -A $(DESTDIR)/etc/fnguard/profiles)" || \
		install -m 0644 deploy/systemd/learn-faasd.yaml $(DESTDIR)/etc/fnguard/profiles/
	$(Q)cp -r examples/profiles $(DESTDIR)$(PREFIX)/share/fnguard/examples/
	$(Q)install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/fnguard/README.md
	$(Q)install -m 0644 deploy/README.md $(DESTDIR)$(PREFIX)/share/doc/fnguard/deploy.md

FORMAT_SRCS := $(filter-out bpf/vmlinux/%,$(wildcard bpf/*.c bpf/*.h include/fnguard/*.h user/*.c user/*.h \
	tests/*/*.c tests/*/*.h examples/demo/*.c))
format:
	$(Q)clang-format -i $(FORMAT_SRCS)
format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/user/*.d $(BUILD)/san/*.d $(BUILD)/bpf/*.d $(BUILD)/tests/*/*.d)
