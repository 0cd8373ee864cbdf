// What the plain-C tests of camera_glue (tests/c/test_*.c) share: checks that stop the
// program at the first failure with its file and line, and the runner that prints
// "ok <name>" per test and "all N tests passed" at the end, which test_send_loop.py reads
// to see that every test ran.
#ifndef CG_TEST_CHECK_H
#define CG_TEST_CHECK_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            exit(1); \
        } \
    } while (0)

#define CHECK_EQ(a, b) \
    do { \
        long long a_ = (long long)(a), b_ = (long long)(b); \
        if (a_ != b_) { \
            fprintf(stderr, "FAIL %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, a_, #b, b_); \
            exit(1); \
        } \
    } while (0)

typedef struct {
    const char *name;
    void (*fn)(void);
} test_case_t;

// Runs the tests in order; a failed check exits before the test's "ok" line is printed.
static inline void run_tests(const test_case_t *tests, size_t n) {
    for (size_t i = 0; i < n; i++) {
        tests[i].fn();
        printf("ok %s\n", tests[i].name);
        fflush(stdout);
    }
}

#endif // CG_TEST_CHECK_H
