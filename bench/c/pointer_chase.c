/*
 * Pointer-chase reference for Sentinel's MemoryLatency benchmark (bench suite memory-vs-c).
 *
 *   pointer_chase SIZE_BYTES SECONDS CHAIN(random|page) HUGEPAGES(0|1)
 *
 * Builds the very chain src/Sentinel.Core/Benchmarks/Memory/PointerChain.cs builds (same splitmix64 seed,
 * same Fisher-Yates, one pointer per 64-byte line, linked in shuffled order) in a 2 MiB aligned buffer,
 * madvise(MADV_HUGEPAGE)'d when asked, touched before timing, and times it as LatencyProbe.cs does:
 * a warm-up of max(lines, 65536) loads, batches doubling from 1024 loads until one lasts
 * clamp(SECONDS/20, 1 ms, 50 ms), then batches of that size until SECONDS are spent (at least five);
 * prints the median batch's ns per load:  latency X   (ns)
 * Build: gcc -O3 -march=native -o pointer_chase pointer_chase.c
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64
#define PAGE 4096
#define LINES_PER_PAGE (PAGE / LINE)
#define HUGE_PAGE (2ul << 20)
#define SEED 0x5E471E1C0FFEEull

static uint64_t state;
static uint64_t next(void)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint64_t below(uint64_t n) { return (uint64_t)(((unsigned __int128)next() * n) >> 64); }

static void shuffle(uint32_t *order, long n)
{
    for (long i = 0; i < n; i++) order[i] = (uint32_t)i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)below((uint64_t)(i + 1));
        uint32_t t = order[i]; order[i] = order[j]; order[j] = t;
    }
}

static void *build(char *buf, long bytes, int page_kind, uint32_t *scratch)
{
    state = SEED;
    long lines = bytes / LINE;
    char *first = NULL, *prev = NULL;
    if (!page_kind) {
        shuffle(scratch, lines);
        first = prev = buf + (long)scratch[0] * LINE;
        for (long k = 1; k < lines; k++) {
            char *line = buf + (long)scratch[k] * LINE;
            *(char **)prev = line;
            prev = line;
        }
    } else {
        long pages = bytes / PAGE;
        uint32_t in_page[LINES_PER_PAGE];
        shuffle(scratch, pages);
        for (long p = 0; p < pages; p++) {
            char *page = buf + (long)scratch[p] * PAGE;
            shuffle(in_page, LINES_PER_PAGE);
            for (int l = 0; l < LINES_PER_PAGE; l++) {
                char *line = page + in_page[l] * LINE;
                if (!first) first = line; else *(char **)prev = line;
                prev = line;
            }
        }
    }
    *(char **)prev = first;
    return first;
}

/* Sixteen dependent loads a step, the counter beside the chain; noinline so the loop is what it looks like. */
__attribute__((noinline)) static void *chase(void *p, long loads)
{
    for (long i = loads >> 4; i > 0; i--) {
        p = *(void **)p; p = *(void **)p; p = *(void **)p; p = *(void **)p;
        p = *(void **)p; p = *(void **)p; p = *(void **)p; p = *(void **)p;
        p = *(void **)p; p = *(void **)p; p = *(void **)p; p = *(void **)p;
        p = *(void **)p; p = *(void **)p; p = *(void **)p; p = *(void **)p;
    }
    return p;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

void *volatile sink;

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: %s SIZE_BYTES SECONDS random|page HUGEPAGES\n", argv[0]); return 2; }
    long bytes = atol(argv[1]) / PAGE * PAGE;
    double seconds = atof(argv[2]);
    int page_kind = strcmp(argv[3], "page") == 0;
    int huge = atoi(argv[4]);

    long rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    char *buf;
    if (posix_memalign((void **)&buf, HUGE_PAGE, rounded) != 0) { perror("posix_memalign"); return 1; }
    if (huge) madvise(buf, rounded, MADV_HUGEPAGE);
    memset(buf, 0, rounded);
    uint32_t *scratch = malloc((size_t)(bytes / LINE) * sizeof(uint32_t));
    long lines = bytes / LINE;
    void *p = build(buf, bytes, page_kind, scratch);

    p = chase(p, ((lines > 65536 ? lines : 65536) + 15) & ~15L);
    double segment = seconds / 20;
    if (segment < 0.001) segment = 0.001;
    if (segment > 0.05) segment = 0.05;
    long batch = 1024;
    for (;;) {
        double t0 = now();
        p = chase(p, batch);
        if (now() - t0 >= segment || batch >= (1l << 40)) break;
        batch *= 2;
    }
    int cap = 1 << 20, count = 0;
    double *samples = malloc(cap * sizeof(double)), total = 0;
    while ((total < seconds || count < 5) && count < cap) {
        double t0 = now();
        p = chase(p, batch);
        double dt = now() - t0;
        samples[count++] = dt * 1e9 / batch;
        total += dt;
    }
    sink = p;
    qsort(samples, count, sizeof(double), cmp);
    double median = count % 2 ? samples[count / 2] : (samples[count / 2 - 1] + samples[count / 2]) / 2;
    printf("latency %.3f\n", median);
    free(samples); free(scratch); free(buf);
    return 0;
}
