#!/bin/sh
# Builds build/kp-test/ngx_stream_kmip_kp_test_module.so: the Key Protect
# client layer plus the test-only driver module (tests/kp/config). Nothing
# here goes into build/ or the product .so.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
NGINX_SRC=${NGINX_SRC:-/usr/share/nginx/src}
out=$top/build/kp-test
if [ ! -f "$out/nginx/objs/Makefile" ] \
   || [ "$top/tests/kp/config" -nt "$out/nginx/objs/Makefile" ]; then
    rm -rf "$out/nginx"
    mkdir -p "$out"
    cp -r "$NGINX_SRC" "$out/nginx"
    (cd "$out/nginx" && ./configure --with-compat --with-debug \
        --with-stream=dynamic --with-stream_ssl_module \
        --with-cc-opt="-Werror" \
        --add-dynamic-module="$top/tests/kp" > configure.log) \
        || { cat "$out/nginx/configure.log"; exit 1; }
fi
make -s -C "$out/nginx" -f objs/Makefile \
    objs/ngx_stream_kmip_kp_test_module.so
cp "$out/nginx/objs/ngx_stream_kmip_kp_test_module.so" "$out/"
