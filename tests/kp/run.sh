#!/bin/sh
# Key Protect client layer tests: build the test-only module into
# build/kp-test/, then run kp-client.t against tools/kp-emulator.
#   tests/kp/run.sh            (KEEP=1 keeps the temporary directory)
set -e
here=$(cd "$(dirname "$0")" && pwd)
"$here/build.sh"
exec prove -v "$here/kp-client.t"
