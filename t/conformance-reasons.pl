# Why an OASIS case does not pass against ngx_kmip, for docs/conformance.md
# (written by t/800-conformance.t with KMIP_CONFORMANCE_DOC=...).  Keys: a
# case name ("CS-BC-M-13-14"), a case name without its version suffix
# ("CS-BC-M-7"), or a profile ("AKLC-M"); the first that matches is used.
# Each reason was checked against the case file and the server's answer.
# Query describes the server that answers (KMIP 1.4 4.25, 2.1 6.1.40):
# the runner takes its lists of operations and object types as what the
# server supports (t/lib/KMIP/Conformance.pm), and ngx_kmip lists every
# one the cases' reference server does; the reference's Vendor
# Identification is its own.
my $vendor = 'the expected Query answer names the reference server: its '
           . 'Vendor Identification "server-vendor.com" (ngx_kmip lists '
           . 'every operation and object type the reference does)';
my $rng = 'the Random Number Generator attribute describes the generator '
        . 'the server made the key with (KMIP 1.4 3.44): the case expects '
        . 'the reference server\'s (ANSI X9.31, AES-256), ngx_kmip reports '
        . 'its own, OpenSSL\'s private DRBG (DRBG, CTR-DRBG, AES-256)';
my $lease = 'Lease Time: the case expects the reference server\'s 3600 s; '
          . 'ngx_kmip sets 0, no lease limit (KMIP 1.4 4.17), and Obtain '
          . 'Lease grants that';
my $whole = 'a whole Get Attributes answer leaves out the attributes PyKMIP '
          . '0.10 cannot read, in any version (Always Sensitive, Extractable, '
          . 'Never Extractable, Random Number Generator, Original Creation '
          . 'Date; in 2.x Short Unique Identifier, Key Format Type, '
          . 'Protection Storage Mask): they are listed by Get Attribute List '
          . 'and returned when asked for by name';
my $dsa = 'registers a DSA key (Transparent DSA): DSA keys are not kept '
        . '(FIPS 186-5 no longer approves DSA signatures); ngx_kmip keeps '
        . 'RSA, EC, Ed25519 and X25519 keys and answers Key Format Type '
        . 'Not Supported';
return {
    'AKLC-M' => "step 1: $rng",
    'AKLC-O' => "step 3: $whole",
    'SASED-M-1' => "step 0: $vendor",
    'BL-M-12' => $dsa,
    'BL-M-13' => $dsa,
    'PKCS11-M' => 'the PKCS#11 operation (KMIP 2.1 6.1.35) is not offered '
                . '(and its PKCS_11 Function enumeration is not in the '
                . 'generated tables)',
    'TL-M-1' => "step 0: $vendor",
    'TL-M-3' => "$lease; the case also expects a Random Number Generator "
              . '(ANSI X9.31) on the key TL-M-2 registered, which the server '
              . 'did not generate, and ' . $whole . '. In 2.1 the Locate '
              . 'also finds the 1.4 run\'s object, which TL-M-3-14 leaves '
              . 'behind because it stops at the first difference',
    'SKFF-M-10' => "$rng; the rest of the case matches",
    'SKFF-M-11' => "$rng; the rest of the case matches",
    'SKFF-M-12' => "$rng; the rest of the case matches",
    'SKLC-O-1' => "step 3: $whole; $rng; $lease",
    'CS-BC-M-13-14' => 'invalid test vector: step 2 sends $DATA_0, which no '
                     . 'earlier response of the 1.4 file defines (step 1 '
                     . 'expects literal values; the 2.1 twin binds $DATA_0 '
                     . 'in step 1 and passes)',
    'CS-AC-M-6' => 'invalid test vector: step 2 (MAC Verify) sends '
                 . '$MAC_DATA, which no earlier response defines (step 1 '
                 . 'expects the literal MAC Data, which ngx_kmip returns; '
                 . 'CS-AC-M-5 verifies that MAC Valid and passes)',
    'CS-RNG-O-2' => 'the case is a server that uses 16 of the 32 bytes of '
                  . 'an RNG Seed; ngx_kmip uses them all (up to 4,096) as '
                  . 'additional input to OpenSSL\'s generator and answers '
                  . '32, the policy of CS-RNG-O-1, which passes',
    'CS-RNG-O-3' => 'the case is a server that ignores an RNG Seed (Data '
                  . 'Length 0); ngx_kmip uses the 32 bytes, the policy of '
                  . 'CS-RNG-O-1, which passes',
    'CS-RNG-O-4' => 'the case is a server that refuses an RNG Seed '
                  . '(Permission Denied); ngx_kmip uses the 32 bytes, the '
                  . 'policy of CS-RNG-O-1, which passes',
    'OMOS-O-1' => 'the 5,200 bytes of opaque data are registered (in '
                . 'chunks, docs/key-protect.md#chunks); the 1.4 case then '
                . 'expects a 1.3 Protocol Version in the answer to a 1.4 '
                . 'request',
};
