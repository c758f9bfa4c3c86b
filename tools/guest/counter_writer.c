/* drover guest writer: runs as (part of) init inside the test guest.
 *
 * Writes a rising counter, without pause, into 4096-byte blocks of a disk:
 * counter n goes to block n mod B (B = disk size / 4096). Each block holds
 * magic, counter, slot, a fill derived from the counter, and an FNV-1a 64
 * checksum over everything before the checksum field, so a torn block is
 * detectable. Writes use O_DIRECT and are issued one at a time, so when
 * counter n is reported every counter before it is on the disk.
 *
 * At start it scans the disk and continues after the highest valid counter,
 * so a reboot never makes the counter go back.
 * Every REPORT_EVERY writes, and at least every 100 ms, it prints
 * "drover-counter N" on stdout (the serial console), N being already on disk.
 * Usage: counter_writer DEVICE [BLOCKS_PER_SECOND]; 0 or absent = no pause. The layout is shared with tests/guest/diskcheck.cc: keep in sync.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <linux/fs.h>
#include <unistd.h>

#define BLOCK 4096
#define MAGIC 0x5443524556524f44ULL /* "DROVERCT" little-endian */
#define REPORT_EVERY 200
#define SCAN_CHUNK 256 /* blocks per read while scanning */

static uint64_t fnv1a(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ULL; }
  return h;
}

/* Layout: [0]magic [8]counter [16]slot [24..4088) fill [4088]checksum */
static void fill_block(unsigned char *b, uint64_t counter, uint64_t slot) {
  uint64_t *w = (uint64_t *)b;
  w[0] = MAGIC; w[1] = counter; w[2] = slot;
  uint64_t x = counter * 0x9e3779b97f4a7c15ULL + 1;
  for (int i = 3; i < BLOCK / 8 - 1; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; w[i] = x; }
  w[BLOCK / 8 - 1] = fnv1a(b, BLOCK - 8);
}

static int valid(const unsigned char *b, uint64_t slot, uint64_t *counter) {
  const uint64_t *w = (const uint64_t *)b;
  if (w[0] != MAGIC || w[2] != slot) return 0;
  if (w[BLOCK / 8 - 1] != fnv1a(b, BLOCK - 8)) return 0;
  *counter = w[1];
  return 1;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pace(double start, uint64_t done, double rate) {
  double due = start + (double)done / rate, wait = due - now();
  if (wait <= 0) return;
  struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
  const char *dev = argc > 1 ? argv[1] : "/dev/vda";
  double rate = argc > 2 ? atof(argv[2]) : 0;
  int fd = open(dev, O_RDWR | O_DIRECT);
  if (fd < 0) { perror(dev); return 1; }
  uint64_t bytes = 0;
  if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) bytes = (uint64_t)lseek(fd, 0, SEEK_END);
  uint64_t nblocks = bytes / BLOCK;
  if (nblocks == 0) { fprintf(stderr, "%s: too small\n", dev); return 1; }
  unsigned char *b, *scan;
  if (posix_memalign((void **)&b, BLOCK, BLOCK) != 0) return 1;
  if (posix_memalign((void **)&scan, BLOCK, BLOCK * SCAN_CHUNK) != 0) return 1;
  uint64_t next = 1;
  for (uint64_t s = 0; s < nblocks; s += SCAN_CHUNK) {
    uint64_t n = nblocks - s < SCAN_CHUNK ? nblocks - s : SCAN_CHUNK;
    ssize_t got = pread(fd, scan, BLOCK * n, (off_t)(s * BLOCK));
    for (uint64_t i = 0; got > 0 && i < (uint64_t)got / BLOCK; i++) {
      uint64_t c;
      if (valid(scan + i * BLOCK, s + i, &c) && c >= next) next = c + 1;
    }
  }
  free(scan);
  printf("drover-writer start %llu blocks=%llu\n", (unsigned long long)next,
         (unsigned long long)nblocks);
  fflush(stdout);
  double start = now(), last_report = start;
  for (uint64_t n = next;; n++) {
    uint64_t slot = n % nblocks;
    fill_block(b, n, slot);
    if (pwrite(fd, b, BLOCK, (off_t)(slot * BLOCK)) != BLOCK) { perror("pwrite"); return 1; }
    double t = now();
    if (n % REPORT_EVERY == 0 || t - last_report >= 0.1) {
      printf("drover-counter %llu\n", (unsigned long long)n);
      fflush(stdout);
      last_report = t;
    }
    if (rate > 0) pace(start, n - next + 1, rate);
  }
}
