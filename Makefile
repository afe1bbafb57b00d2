# ngx_kmip: build, test and fuzz entry points.
#
#   make                 build build/ngx_stream_kmip_module.so against
#                        Debian's nginx-dev tree (or NGINX_SRC=...)
#   make test            unit tests, the prove suites under t/, then
#                        make compat
#   make compat          the compatibility matrix: nginx built from each
#                        tree in ../shared/nginx and Debian's, the module
#                        built, loaded and smoke-tested against each
#                        (tools/compat; NGINX_TARBALLS=... for others)
#   make prove NGINX_SRC=tree NGINX_BIN=nginx NGINX_STREAM_MODULE=so BUILD=dir
#                        the suites against another nginx (docs/testing.md)
#   make unit            C unit tests of the codec and message layers
#   make unit-asan       the same under AddressSanitizer and UBSan
#   make fuzz            build and run the libFuzzer harnesses
#   make demo            run the product: emulator + nginx + a client
#   make bench           the benchmark against pykmip-server (a few minutes;
#                        writes bench/results/latest.json and the table in
#                        docs/performance.md); make bench-smoke: ~1 s each
#   make deb             the Debian package libnginx-mod-stream-kmip, built
#                        with dpkg-buildpackage and dh_nginx into build/deb
#   make clean

NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx
NGINX_STREAM_MODULE ?= /usr/lib/nginx/modules/ngx_stream_module.so
BUILD       ?= build
MODULE      := ngx_stream_kmip_module
NGINX_BUILD := $(BUILD)/nginx
PROVE       ?= prove
PROVE_FLAGS ?= -j1
TESTS       ?= t/

SOURCES := config $(wildcard ngx_kmip_module/*/*.c ngx_kmip_module/*/*.h)

CONFIGURE_FLAGS := --with-compat --with-debug --with-threads \
                   --with-http_ssl_module --with-http_v2_module \
                   --with-stream=dynamic --with-stream_ssl_module \
                   --with-cc-opt="-Werror $(EXTRA_CFLAGS)" \
                   --with-ld-opt="$(EXTRA_LDFLAGS)" \
                   --add-dynamic-module=$(CURDIR)

.PHONY: all deps module kp-test-module test unit unit-asan prove fuzz demo \
        deb bench bench-smoke compat clean

all: module

deps:
	@tools/install-deps

module: $(BUILD)/$(MODULE).so

# nginx's configure is run on a private copy of the source tree, so that a
# read-only /usr/share/nginx/src works and two checkouts do not collide.
$(NGINX_BUILD)/objs/Makefile: config
	@test -x $(NGINX_SRC)/configure || { \
	    echo "no nginx source at $(NGINX_SRC) (apt-get install nginx-dev," \
	         "or make NGINX_SRC=/path/to/nginx)"; exit 1; }
	rm -rf $(NGINX_BUILD)
	mkdir -p $(BUILD)
	cp -r $(NGINX_SRC) $(NGINX_BUILD)
	cd $(NGINX_BUILD) && ./configure $(CONFIGURE_FLAGS) > configure.log \
	    || { cat configure.log; exit 1; }

$(BUILD)/$(MODULE).so: $(NGINX_BUILD)/objs/Makefile $(SOURCES)
	$(MAKE) -C $(NGINX_BUILD) -f objs/Makefile objs/$(MODULE).so
	# a new inode, so that a running nginx keeps the module it loaded
	cp $(NGINX_BUILD)/objs/$(MODULE).so $@.tmp && mv -f $@.tmp $@

unit:
	$(MAKE) -C tests/unit test

unit-asan:
	$(MAKE) -C tests/unit asan

# the Key Protect client layer is also tested on its own, through a
# test-only module built into build/kp-test (never into the product)
kp-test-module:
	NGINX_SRC=$(NGINX_SRC) KP_TEST_BUILD=$(CURDIR)/$(BUILD)/kp-test \
	    tests/kp/build.sh

prove: module kp-test-module
	TEST_NGINX_BINARY=$(NGINX_BIN) \
	TEST_NGINX_STREAM_MODULE=$(NGINX_STREAM_MODULE) \
	TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(BUILD)/$(MODULE).so \
	TEST_NGINX_KP_TEST_MODULE=$(CURDIR)/$(BUILD)/kp-test/ngx_stream_kmip_kp_test_module.so \
	    $(PROVE) $(PROVE_FLAGS) -I t/lib -r $(TESTS) tests/kp/kp-client.t

# the whole suite, as CI runs it: sanitizers and a minute of fuzzing per
# harness first, then prove (a failure stops here, with prove's summary
# last), then the compatibility matrix, whose last line counts its cells:
# "N passed, N failed"
test: deps module unit unit-asan fuzz prove compat

compat:
	tools/compat

fuzz:
	$(MAKE) -C fuzz run

demo: deps module
	tools/demo

# bench/run builds the module into $(BUILD) and bench/kmip-load itself
bench:
	BUILD=$(BUILD) bench/run

bench-smoke:
	BUILD=$(BUILD) bench/run --smoke

# the package is built from a copy of the tree in $(BUILD)/deb/src, so
# that dpkg-buildpackage leaves the source tree alone (tools/build-deb)
deb: deps
	tools/build-deb $(BUILD)/deb

clean:
	rm -rf $(BUILD) t/servroot
	-$(MAKE) -C tests/unit clean
	-$(MAKE) -C fuzz clean
