"""kp-emulator: a local IBM Key Protect + IAM emulator for ngx_kmip's
tests, demo and benchmarks (docs/kp-emulator.md; wire contract:
../shared/notes/keyprotect-api.md).  Run through tools/kp-emulator."""

VERSION = "1.0"
