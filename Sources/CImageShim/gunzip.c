#include "CImageShim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int i2i_gunzip_file(const char *path, unsigned char **out, size_t *out_size, char *message, size_t message_size) {
  *out = NULL;
  *out_size = 0;
  gzFile file = gzopen(path, "rb");
  if (file == NULL) {
    snprintf(message, message_size, "cannot open for reading");
    return -1;
  }
  size_t capacity = 1 << 20, size = 0;
  unsigned char *buffer = malloc(capacity);
  for (;;) {
    if (buffer == NULL) break;
    if (size == capacity) {
      unsigned char *grown = realloc(buffer, capacity * 2);
      if (grown == NULL) { free(buffer); buffer = NULL; break; }
      buffer = grown;
      capacity *= 2;
    }
    unsigned chunk = capacity - size > (1u << 30) ? (1u << 30) : (unsigned)(capacity - size);
    int n = gzread(file, buffer + size, chunk);
    if (n < 0) {
      int code = 0;
      snprintf(message, message_size, "gzip data is corrupt: %s", gzerror(file, &code));
      free(buffer);
      gzclose(file);
      return -1;
    }
    if (n == 0) break;
    size += (size_t)n;
  }
  gzclose(file);
  if (buffer == NULL) {
    snprintf(message, message_size, "out of memory while decompressing");
    return -1;
  }
  *out = buffer;
  *out_size = size;
  return 0;
}
