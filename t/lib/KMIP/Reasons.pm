package KMIP::Reasons;

# The Result Reasons the suites expect, as constants (KMIP 1.4 section
# 9.1.3.2.29, 2.1 section 11.46): one table instead of one per suite.
#
#   use KMIP::Reasons;
#   op_fail($bi, R_ITEM_NOT_FOUND, 'Get of a destroyed key');

use strict;
use warnings;

use Exporter 'import';

my %REASON;
BEGIN {
    %REASON = (
        R_ITEM_NOT_FOUND => 0x01, R_INVALID_MESSAGE => 0x04,
        R_OP_NOT_SUPPORTED => 0x05, R_MISSING_DATA => 0x06,
        R_INVALID_FIELD => 0x07, R_FEATURE_NOT_SUPPORTED => 0x08,
        R_CRYPTO_FAILURE => 0x0a, R_ILLEGAL_OPERATION => 0x0b,
        R_PERMISSION_DENIED => 0x0c, R_OBJECT_ARCHIVED => 0x0d,
        R_KFT_NOT_SUPPORTED => 0x10,
        R_ENCODING_OPTION_ERROR => 0x12, R_SENSITIVE => 0x16,
        R_NOT_EXTRACTABLE => 0x17, R_USAGE_LIMIT_EXCEEDED => 0x1a,
        R_NUMERIC_RANGE => 0x1b, R_INVALID_DATA_TYPE => 0x1c,
        R_READ_ONLY_ATTRIBUTE => 0x1d, R_MULTI_VALUED_ATTRIBUTE => 0x1e,
        R_ATTR_NOT_FOUND => 0x21, R_ATTR_READ_ONLY => 0x22,
        R_BAD_CRYPTO_PARAMS => 0x24, R_INVALID_ASYNC_VALUE => 0x2b, R_ILLEGAL_OBJECT_TYPE => 0x28,
        R_INCOMPATIBLE_MASK => 0x29, R_INVALID_ATTRIBUTE => 0x2c,
        R_INVALID_CORRELATION_VALUE => 0x2e, R_INVALID_OBJECT_TYPE => 0x30,
        R_OBJECT_DESTROYED => 0x36, R_OBJECT_NOT_FOUND => 0x37,
        R_SERVER_LIMIT_EXCEEDED => 0x3a, R_WRAPPING_DESTROYED => 0x41,
        R_WRAPPING_NOT_FOUND => 0x42, R_WRONG_STATE => 0x43,
        R_GENERAL_FAILURE => 0x100,
    );
}
use constant \%REASON;

our @EXPORT = sort keys %REASON;

1;
