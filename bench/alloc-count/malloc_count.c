/* bench/alloc-count/malloc_count.c: an LD_PRELOAD allocation counter. Counts every malloc,
 * calloc, realloc and aligned allocation in the process (all threads); on SIGUSR2 writes
 * "allocations=N frees=N bytes=N" to the file named by $MALLOC_COUNT_OUT, so a script can take
 * the count before and after sending N queries. Built by bench/alloc-count.sh with cc.
 *
 * It forwards to glibc's __libc_* entry points rather than dlsym(RTLD_NEXT), which itself
 * allocates and would recurse. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* pointer, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void* pointer);

static uint64_t allocations;
static uint64_t frees;
static uint64_t bytes;

static void count(size_t size) {
  __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&bytes, size, __ATOMIC_RELAXED);
}

void* malloc(size_t size) {
  count(size);
  return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) {
  count(n * size);
  return __libc_calloc(n, size);
}

void* realloc(void* pointer, size_t size) {
  count(size);
  return __libc_realloc(pointer, size);
}

void free(void* pointer) {
  if (pointer) __atomic_fetch_add(&frees, 1, __ATOMIC_RELAXED);
  __libc_free(pointer);
}

void* memalign(size_t alignment, size_t size) {
  count(size);
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  count(size);
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  count(size);
  void* pointer = __libc_memalign(alignment, size);
  if (!pointer) return ENOMEM;
  *out = pointer;
  return 0;
}

void* valloc(size_t size) {
  count(size);
  return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

/* Async-signal-safe number formatting: no stdio in the handler. */
static char* put_number(char* out, const char* label, uint64_t value) {
  char digits[24];
  int n = 0;
  while (*label) *out++ = *label++;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value);
  while (n) *out++ = digits[--n];
  return out;
}

static void report(int signal_number) {
  (void)signal_number;
  const int saved_errno = errno;
  const char* path = getenv("MALLOC_COUNT_OUT");
  if (path) {
    char line[128];
    char* end = put_number(line, "allocations=", __atomic_load_n(&allocations, __ATOMIC_RELAXED));
    end = put_number(end, " frees=", __atomic_load_n(&frees, __ATOMIC_RELAXED));
    end = put_number(end, " bytes=", __atomic_load_n(&bytes, __ATOMIC_RELAXED));
    *end++ = '\n';
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ssize_t written = write(fd, line, (size_t)(end - line));
      (void)written;
      close(fd);
    }
  }
  errno = saved_errno;
}

__attribute__((constructor)) static void install(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = report;
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &action, NULL);
}
