
/*
 * libFuzzer target: the JSON encoding of KMIP (ngx_kmip_json.c), decode ->
 * encode -> decode through JSON, the other text encoding and TTLV; the
 * checks are in fuzz_text.h.
 */


#include "fuzz_text.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_text_one(&fuzz_json, data, size);
}
