"""The serve options the admin endpoints may change at run time, and the
emulated clock (/_emulator/clock moves Key Protect's time, never IAM's)."""

import time


class Settings:
    def __init__(self, opts):
        self.token_ttl = opts.token_ttl
        self.relax = opts.relax_timing
        self.strict = opts.strict_json
        self.admin_enabled = not opts.no_admin
        self.clock_offset = 0.0

    def now(self):
        return time.time() + self.clock_offset
