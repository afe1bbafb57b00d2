
/*
 * The checks of the unit tests that name each check: the counts, CHECK,
 * and the last line, "N passed, N failed". Plain C99, no nginx. A suite of
 * several files defines NGX_KMIP_TEST_SHARED_COUNTS in each and the counts
 * (int passed, failed) in one of them.
 */


#ifndef _NGX_KMIP_TEST_CHECK_H_INCLUDED_
#define _NGX_KMIP_TEST_CHECK_H_INCLUDED_


#include <stdio.h>


#ifdef NGX_KMIP_TEST_SHARED_COUNTS
extern int  passed, failed;
#else
static int  passed, failed;
#endif


#define CHECK(c, name)                                                       \
    do {                                                                     \
        if (c) {                                                             \
            passed++;                                                        \
        } else {                                                             \
            failed++;                                                        \
            printf("FAIL: %s (%s:%d)\n", name, __FILE__, __LINE__);          \
        }                                                                    \
    } while (0)


/* the last line, after the suite's prefix; main's exit status */

static inline int
ngx_kmip_test_report(const char *prefix)
{
    printf("%s%d passed, %d failed\n", prefix, passed, failed);

    return failed ? 1 : 0;
}


#endif /* _NGX_KMIP_TEST_CHECK_H_INCLUDED_ */
