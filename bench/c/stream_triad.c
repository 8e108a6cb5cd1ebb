/*
 * STREAM-style reference for Sentinel's MemoryBandwidth benchmark (bench suite memory-vs-c).
 *
 *   stream_triad ARRAY_BYTES THREADS REPETITIONS NONTEMPORAL(0|1)
 *
 * Same setup as the C# benchmark: three arrays of doubles of ARRAY_BYTES each, 2 MiB aligned and
 * madvise(MADV_HUGEPAGE)'d, first touched in parallel by the thread that later streams each slice; one
 * untimed warm-up repetition, then REPETITIONS timed ones; each kernel is timed as the whole OpenMP
 * parallel region (fork to join), best time reported, STREAM's byte counting, GB = 1e9 bytes.
 *
 * The read kernel sums a in four 256-bit chains in both modes, as the C# one does.
 * NONTEMPORAL=0 is plain STREAM: simple loops the compiler vectorises (gcc -O3 -march=native emits no
 * streaming stores). NONTEMPORAL=1 writes with _mm256_stream_pd (vmovntpd), as the C# benchmark does by
 * default, so that both sides move the same bytes over the bus; four vectors a step, as the C# loops. Build:
 *   gcc -O3 -march=native -fopenmp -o stream_triad stream_triad.c
 * Prints one line:  copy X scale X add X triad X read X   (GB/s, best of the timed repetitions)
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define HUGE_PAGE (2u << 20)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double *alloc_array(size_t bytes)
{
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, rounded) != 0) { perror("posix_memalign"); exit(1); }
    madvise(p, rounded, MADV_HUGEPAGE);
    return p;
}

/* Each thread's slice [*lo, *hi): whole cache lines (8 doubles) except the last thread's tail, as in C#. */
static void slice(long n, int t, int threads, long *lo, long *hi)
{
    long chunk = n / threads / 8 * 8;
    *lo = chunk * t;
    *hi = t == threads - 1 ? n : chunk * (t + 1);
}

/* Streaming-store kernels over one slice, four 256-bit vectors (two cache lines) a step, as the C# ones. */
#define STEP 16
#define V(p) _mm256_load_pd(p)
static void nt_copy(double *restrict c, const double *restrict a, long lo, long hi)
{
    long j = lo;
    for (; j + STEP <= hi; j += STEP)
        for (int k = 0; k < STEP; k += 4) _mm256_stream_pd(c + j + k, V(a + j + k));
    for (; j < hi; j++) c[j] = a[j];
    _mm_sfence();
}
static void nt_scale(double *restrict b, const double *restrict c, long lo, long hi)
{
    const __m256d s = _mm256_set1_pd(3.0);
    long j = lo;
    for (; j + STEP <= hi; j += STEP)
        for (int k = 0; k < STEP; k += 4) _mm256_stream_pd(b + j + k, _mm256_mul_pd(s, V(c + j + k)));
    for (; j < hi; j++) b[j] = 3.0 * c[j];
    _mm_sfence();
}
static void nt_add(double *restrict c, const double *restrict a, const double *restrict b, long lo, long hi)
{
    long j = lo;
    for (; j + STEP <= hi; j += STEP)
        for (int k = 0; k < STEP; k += 4) _mm256_stream_pd(c + j + k, _mm256_add_pd(V(a + j + k), V(b + j + k)));
    for (; j < hi; j++) c[j] = a[j] + b[j];
    _mm_sfence();
}
static void nt_triad(double *restrict a, const double *restrict b, const double *restrict c, long lo, long hi)
{
    const __m256d s = _mm256_set1_pd(3.0);
    long j = lo;
    for (; j + STEP <= hi; j += STEP)
        for (int k = 0; k < STEP; k += 4) _mm256_stream_pd(a + j + k, _mm256_add_pd(V(b + j + k), _mm256_mul_pd(s, V(c + j + k))));
    for (; j < hi; j++) a[j] = b[j] + 3.0 * c[j];
    _mm_sfence();
}

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: %s ARRAY_BYTES THREADS REPETITIONS NONTEMPORAL\n", argv[0]); return 2; }
    long bytes = atol(argv[1]);
    int threads = atoi(argv[2]);
    int reps = atoi(argv[3]);
    int nt = atoi(argv[4]);
    long n = bytes / 8;
    if (threads < 1 || threads > 1024 || reps < 1 || n < 1) { fprintf(stderr, "bad arguments\n"); return 2; }
    omp_set_num_threads(threads);
    omp_set_dynamic(0);

    double *restrict a = alloc_array(n * 8), *restrict b = alloc_array(n * 8), *restrict c = alloc_array(n * 8);
    const double scalar = 3.0;
#pragma omp parallel
    {
        long lo, hi;
        slice(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        for (long j = lo; j < hi; j++) { a[j] = 1.0; b[j] = 2.0; c[j] = 0.0; }
    }

    double best[5] = {1e30, 1e30, 1e30, 1e30, 1e30};
    double sums[1024] = {0};
    for (int k = 0; k <= reps; k++) {
        double t[5];
        if (!nt) {
            t[0] = now();
#pragma omp parallel for schedule(static)
            for (long j = 0; j < n; j++) c[j] = a[j];
            t[0] = now() - t[0];
            t[1] = now();
#pragma omp parallel for schedule(static)
            for (long j = 0; j < n; j++) b[j] = scalar * c[j];
            t[1] = now() - t[1];
            t[2] = now();
#pragma omp parallel for schedule(static)
            for (long j = 0; j < n; j++) c[j] = a[j] + b[j];
            t[2] = now() - t[2];
            t[3] = now();
#pragma omp parallel for schedule(static)
            for (long j = 0; j < n; j++) a[j] = b[j] + scalar * c[j];
            t[3] = now() - t[3];
        } else {
#define NT_REGION(CALL)                                                                \
            {                                                                          \
                long lo, hi;                                                           \
                slice(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);       \
                CALL;                                                                  \
            }
            t[0] = now();
#pragma omp parallel
            NT_REGION(nt_copy(c, a, lo, hi))
            t[0] = now() - t[0];
            t[1] = now();
#pragma omp parallel
            NT_REGION(nt_scale(b, c, lo, hi))
            t[1] = now() - t[1];
            t[2] = now();
#pragma omp parallel
            NT_REGION(nt_add(c, a, b, lo, hi))
            t[2] = now() - t[2];
            t[3] = now();
#pragma omp parallel
            NT_REGION(nt_triad(a, b, c, lo, hi))
            t[3] = now() - t[3];
        }
        /* read: a sum over a in four vector chains (as the C# kernel: one chain would be add-latency bound). */
        t[4] = now();
#pragma omp parallel
        {
            long lo, hi;
            slice(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
            __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
            long j = lo;
            for (; j + 16 <= hi; j += 16) {
                s0 = _mm256_add_pd(s0, _mm256_load_pd(a + j));
                s1 = _mm256_add_pd(s1, _mm256_load_pd(a + j + 4));
                s2 = _mm256_add_pd(s2, _mm256_load_pd(a + j + 8));
                s3 = _mm256_add_pd(s3, _mm256_load_pd(a + j + 12));
            }
            double lanes[4];
            _mm256_storeu_pd(lanes, _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
            double s = lanes[0] + lanes[1] + lanes[2] + lanes[3];
            for (; j < hi; j++) s += a[j];
            sums[omp_get_thread_num()] = s;
        }
        t[4] = now() - t[4];
        if (k > 0)
            for (int i = 0; i < 5; i++) if (t[i] < best[i]) best[i] = t[i];
    }

    /* checkSTREAMresults, reduced: every element equals the scalar model's value. */
    double aj = 1.0, bj = 2.0, cj = 0.0;
    for (int k = 0; k <= reps; k++) { cj = aj; bj = scalar * cj; cj = aj + bj; aj = bj + scalar * cj; }
    for (long j = 0; j < n; j++) {
        if (fabs(a[j] - aj) > 1e-13 * aj || fabs(b[j] - bj) > 1e-13 * bj || fabs(c[j] - cj) > 1e-13 * cj) {
            fprintf(stderr, "validation failed at %ld\n", j);
            return 1;
        }
    }
    double total = 0;
    for (int i = 0; i < threads; i++) total += sums[i];
    if (fabs(total - aj * n) > 1e-8 * aj * n) { fprintf(stderr, "read sum wrong\n"); return 1; }

    double counted[5] = {16.0 * n, 16.0 * n, 24.0 * n, 24.0 * n, 8.0 * n};
    printf("copy %.3f scale %.3f add %.3f triad %.3f read %.3f\n",
           counted[0] / best[0] / 1e9, counted[1] / best[1] / 1e9, counted[2] / best[2] / 1e9,
           counted[3] / best[3] / 1e9, counted[4] / best[4] / 1e9);
    free(a); free(b); free(c);
    return 0;
}
