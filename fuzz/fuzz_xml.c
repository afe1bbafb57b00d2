
/*
 * libFuzzer target: the XML encoding of KMIP (ngx_kmip_xml.c), decode ->
 * encode -> decode through XML, the other text encoding and TTLV; the
 * checks are in fuzz_text.h.
 */


#include "fuzz_text.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_text_one(&fuzz_xml, data, size);
}
