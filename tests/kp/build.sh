#!/bin/sh
# Builds build/kp-test/ngx_stream_kmip_kp_test_module.so: the Key Protect
# client layer plus the test-only driver module (tests/kp/config). Nothing
# here goes into build/ or the product .so. NGINX_SRC is the nginx tree
# (/usr/share/nginx/src), KP_TEST_BUILD the output directory; another tree
# than the last one configures again.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
NGINX_SRC=${NGINX_SRC:-/usr/share/nginx/src}
src=$(cd "$NGINX_SRC" && pwd)
out=${KP_TEST_BUILD:-$top/build/kp-test}
if [ ! -f "$out/nginx/objs/Makefile" ] \
   || [ "$top/tests/kp/config" -nt "$out/nginx/objs/Makefile" ] \
   || [ "$(cat "$out/nginx-src" 2>/dev/null)" != "$src" ]; then
    rm -rf "$out/nginx"
    mkdir -p "$out"
    cp -r "$src" "$out/nginx"
    (cd "$out/nginx" && ./configure --with-compat --with-debug \
        --with-stream=dynamic --with-stream_ssl_module \
        --with-cc-opt="-Werror" \
        --add-dynamic-module="$top/tests/kp" > configure.log) \
        || { cat "$out/nginx/configure.log"; exit 1; }
    echo "$src" > "$out/nginx-src"
fi
make -s -C "$out/nginx" -f objs/Makefile \
    objs/ngx_stream_kmip_kp_test_module.so
cp "$out/nginx/objs/ngx_stream_kmip_kp_test_module.so" "$out/"
