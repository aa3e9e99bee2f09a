// Small C helpers for the Data target: a JPEG decode that survives libjpeg's non-returning error handler, and
// gunzip of a whole file. Both report failure with a return code and a message, never by exiting the process.
#ifndef I2I_CIMAGESHIM_H
#define I2I_CIMAGESHIM_H

#include <stddef.h>

/// Pixels decoded by `i2i_jpeg_decode`: `height` rows of `width * channels` bytes (channels 1 = gray, 3 = RGB).
typedef struct {
  unsigned char *pixels;  // malloc'd; release with i2i_free
  int width;
  int height;
  int channels;
} i2i_jpeg_image;

/// Decodes a JPEG held in memory. Returns 0 on success. On failure returns -1 and writes a NUL-terminated
/// reason into `message`. Corrupt-data warnings (a truncated file, a damaged entropy segment) are failures too.
/// Images with more than `max_pixels` pixels are refused before any pixel memory is allocated.
int i2i_jpeg_decode(const unsigned char *data, size_t size, long long max_pixels, i2i_jpeg_image *out,
                    char *message, size_t message_size);

/// Reads and decompresses a gzip file. Returns 0 and a malloc'd buffer (release with i2i_free) on success;
/// -1 and a NUL-terminated reason in `message` otherwise.
int i2i_gunzip_file(const char *path, unsigned char **out, size_t *out_size, char *message, size_t message_size);

void i2i_free(void *pointer);

#endif
