# Why an OASIS case does not pass against ngx_kmip, for docs/conformance.md
# (written by t/800-conformance.t with KMIP_CONFORMANCE_DOC=...).  Keys: a
# case name ("CS-BC-M-13-14"), a case name without its version suffix
# ("CS-BC-M-7"), or a profile ("AKLC-M"); the first that matches is used.
# Each reason was checked against the case file and the server's answer.
# Query describes the server that answers (KMIP 1.4 4.25, 2.1 6.1.40): its
# Operations list is what it runs, and ngx_kmip lists exactly its operation
# table. The cases expect their reference server's own lists, which no
# server that also passes the key lifecycle (SKLC-M: Create) and the
# symmetric cipher cases (CS-BC-M: Encrypt, Decrypt) can give.
my $vendor = 'its Vendor Identification "server-vendor.com"';
my $query_tl = 'the expected Query answer is the reference server\'s own: '
             . '14 operations (Query, Locate, Destroy, Get, Create, '
             . 'Register, Get Attributes, Get Attribute List, Add, Modify '
             . 'and Delete Attribute, Activate, Revoke, Check), with no '
             . 'Encrypt or Decrypt, which the CS-BC-M cases use and so '
             . 'ngx_kmip runs and lists (and no Discover Versions), and '
             . $vendor;
my $query_enc = 'the expected Query answer is the reference server\'s '
              . 'list, in its order: 39 operations (42 in the 2.1 HTTPS '
              . 'case, with Import, Export and Log), among them Notify and '
              . 'Put, which ngx_kmip does not run (a server calling its '
              . 'clients), and without Derive Key nor, in 2.x, Adjust '
              . 'Attribute, Set Attribute, Set Endpoint Role, Interop (on '
              . 'in this run) and, but in the HTTPS case, Import, Export '
              . 'and Log, which it runs';
my $msgenc = 'step 0 (Maximum Response Size 256: Response Too Large) '
           . 'passes in the encoding; step 1 is a Query, and ' . $query_enc;
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
    'SUITEB_128-M' => "step 0 is a Query; $query_enc",
    'SUITEB_192-M' => "step 0 is a Query; $query_enc",
    'SASED-M-1' => 'starts with a Query whose expected answer '
                 . 'is the reference server\'s: 8 operations with no Create, '
                 . 'which the SKLC-M cases use and ngx_kmip runs and lists, '
                 . 'and ' . $vendor,
    'SASED-M-3' => 'locates the object SASED-M-1 makes, which fails',
    'BL-M-12' => $dsa,
    'BL-M-13' => $dsa,
    'PKCS11-M' => 'the PKCS#11 operation (KMIP 2.1 6.1.35) is not offered '
                . '(and its PKCS_11 Function enumeration is not in the '
                . 'generated tables)',
    'QS-M-1' => 'the expected Query answer is the reference server\'s '
              . 'Baseline list of 21 operations, with no Create, Encrypt, '
              . 'Decrypt or RNG Retrieve, which the SKLC-M, CS-BC-M and '
              . 'CS-RNG-M cases use and so ngx_kmip runs and lists; it also '
              . 'has Interop, which a production server does not offer '
              . '(kmip_interop), and Import, which ngx_kmip does not run',
    'MSGENC-HTTPS-M' => $msgenc . ' (run over HTTPS, TTLV bodies)',
    'MSGENC-JSON-M' => $msgenc . ' (run over HTTPS, JSON bodies)',
    'MSGENC-XML-M' => $msgenc . ' (run over HTTPS, XML bodies)',
    'TL-M-1' => $query_tl,
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
