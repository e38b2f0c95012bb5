# segwatch - network-flow monitor and segmentation-policy violation detector.
#
#   make deps    install every build and test dependency (Debian 12, root)
#   make         build ./segwatch (optimised)
#   make test    build with ASan/UBSan and run every cmocka suite and
#                integration test
#   make bench   run the benchmarks (ratios measured side by side)
#   make lint    clang-format check and the banned-function list

CC       ?= cc
PKGS     := libpcap libnetfilter_log sqlite3 libmicrohttpd yaml-0.1 jansson
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wcast-qual -Wwrite-strings \
            -Wvla -Wpointer-arith
CPPFLAGS := -Iinclude -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CSTD     := -std=c11
LDLIBS   := -lpcap -lnetfilter_log -lsqlite3 -lmicrohttpd -lyaml -ljansson -lpthread -lm
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC  := $(sort $(wildcard common/*.c collector/*.c analyzer/*.c web/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))

REL      := build/rel
ASAN     := build/asan
REL_OBJ  := $(LIB_SRC:%.c=$(REL)/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=$(ASAN)/%.o)
TESTS    := $(TEST_SRC:tests/%.c=$(ASAN)/tests/%)
TOOLS    := $(TOOL_SRC:tests/tools/%.c=$(REL)/tools/%)

.PHONY: all deps test unit integration bench lint clean example fuzz fuzz-replay e2e soak
# keep test objects between runs
.SECONDARY:

all: segwatch $(TOOLS)

segwatch: $(REL_OBJ) $(CLI_SRC:%.c=$(REL)/%.o)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(REL)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -c -o $@ $<

$(ASAN)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(CPPFLAGS) $(WARN) -O1 -g $(SAN) -MMD -MP -c -o $@ $<

# The database schema (schema/*.sql) is built into the binary.
build/gen/schema_sql.h: schema/embed.sh $(sort $(wildcard schema/*.sql))
	sh schema/embed.sh $@ $(sort $(wildcard schema/*.sql))
$(REL)/analyzer/store.o $(ASAN)/analyzer/store.o: build/gen/schema_sql.h

# The dashboard (web/assets/*) is built into the binary; web/assets.c
# includes the generated table.
WEB_ASSETS := $(sort $(wildcard web/assets/*))
build/gen/web_assets.h: web/embed_assets.sh $(WEB_ASSETS)
	sh web/embed_assets.sh $@ $(WEB_ASSETS)
$(REL)/web/assets.o $(ASAN)/web/assets.o: build/gen/web_assets.h

# The sanitized binary the integration tests run.
$(ASAN)/segwatch: $(ASAN_OBJ) $(CLI_SRC:%.c=$(ASAN)/%.o)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS)

$(ASAN)/tests/%: $(ASAN)/tests/%.o $(ASAN_OBJ)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS) -lcmocka

# The allocation-failure shim (LD_PRELOAD) of tests/integration/alloc_failure.sh.
FAILMALLOC := $(REL)/tools/libfailmalloc.so
$(FAILMALLOC): tests/failmalloc/failmalloc.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O2 -shared -fPIC -o $@ $<

$(REL)/tools/%: tests/tools/%.c $(REL_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $^ $(LDLIBS)

deps:
	sh tests/install-deps.sh

test: unit integration e2e

unit: $(TESTS)
	@sh tests/run-unit.sh $(TESTS)

integration: segwatch $(ASAN)/segwatch $(TOOLS) $(FAILMALLOC)
	@sh tests/run-integration.sh

bench: segwatch $(TOOLS)
	@sh tests/bench/run.sh
	@sh tests/bench/web.sh

# The bundled example: a real capture of the seed article's microservices
# (examples/make-example.sh), its inventory and its NetworkPolicies: its
# flows, the audit, then the main job (segwatch run into build/example.db)
# with the dashboard on http://$(EXAMPLE_LISTEN)/ until Ctrl-C.
EXAMPLE_LISTEN ?= 127.0.0.1:8080
example: segwatch
	./segwatch flows -r examples/three-tier.pcap
	./segwatch check -r examples/three-tier.pcap --inventory examples/inventory.yaml \
		-p examples/policies.yaml || [ $$? -eq 1 ]
	rm -f build/example.db build/example.db-wal build/example.db-shm
	./segwatch run -r examples/three-tier.pcap --inventory examples/inventory.yaml \
		-p examples/policies.yaml --db build/example.db --listen $(EXAMPLE_LISTEN)

# The end-to-end scenarios (tests/e2e): real servers in network namespaces,
# segwatch on the bridge (mirror port) and on NFLOG, checked through the API.
e2e: $(ASAN)/segwatch
	@sh tests/e2e/run.sh

# The soak test (tests/soak/run.sh): SOAK_SECONDS (default 600; CI 60) of
# segwatch run on an endless capture stream with 64 API and 20 SSE clients.
SOAK_SECONDS ?= 600
soak: $(ASAN)/segwatch $(TOOLS)
	@SOAK_SECONDS=$(SOAK_SECONDS) sh tests/soak/run.sh

lint:
	@sh tests/lint.sh

# libFuzzer (clang): each target FUZZ_SECONDS (default 60). The replay of
# corpus and regressions (gcc, ASan/UBSan, a plain main) also runs in
# `make integration` through tests/integration/fuzz_replay.sh.
fuzz:
	@sh tests/fuzz/run.sh
fuzz-replay:
	@sh tests/fuzz/run.sh --replay

clean:
	rm -rf build segwatch

CLI_OBJ  := $(CLI_SRC:%.c=$(REL)/%.o) $(CLI_SRC:%.c=$(ASAN)/%.o)
-include $(REL_OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTS:=.d)
