#include "CImageShim.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

// libjpeg's error_exit must not return; ours jumps back into i2i_jpeg_decode, which reports the message.
typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf escape;
} strict_error_mgr;

static void escape_on_error(j_common_ptr cinfo) {
  longjmp(((strict_error_mgr *)cinfo->err)->escape, 1);
}

// Warnings (level -1) mean corrupt data: a premature end of file, a bad Huffman code. Treat them as errors so
// a damaged file is reported instead of silently decoded as grey. Extraneous bytes before a marker are harmless.
static void escape_on_warning(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code != JWRN_EXTRANEOUS_DATA) escape_on_error(cinfo);
}

static void set_message(char *message, size_t size, const char *text) {
  if (size == 0) return;
  snprintf(message, size, "%s", text);
}

int i2i_jpeg_decode(const unsigned char *data, size_t size, long long max_pixels, i2i_jpeg_image *out,
                    char *message, size_t message_size) {
  struct jpeg_decompress_struct cinfo;
  strict_error_mgr err;
  unsigned char *volatile pixels = NULL;

  memset(&cinfo, 0, sizeof cinfo);
  memset(out, 0, sizeof *out);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = escape_on_error;
  err.pub.emit_message = escape_on_warning;
  if (setjmp(err.escape)) {
    char text[JMSG_LENGTH_MAX];
    err.pub.format_message((j_common_ptr)&cinfo, text);
    set_message(message, message_size, text);
    jpeg_destroy_decompress(&cinfo);
    free(pixels);
    return -1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, (unsigned long)size);
  jpeg_read_header(&cinfo, TRUE);

  switch (cinfo.jpeg_color_space) {
  case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
  case JCS_YCbCr:
  case JCS_RGB: cinfo.out_color_space = JCS_RGB; break;
  default:
    set_message(message, message_size, "unsupported JPEG colour space (CMYK/YCCK); convert the file to RGB");
    jpeg_destroy_decompress(&cinfo);
    return -1;
  }
  if ((long long)cinfo.image_width * (long long)cinfo.image_height > max_pixels) {
    snprintf(message, message_size, "image of %ux%u pixels is larger than the limit of %lld pixels",
             cinfo.image_width, cinfo.image_height, max_pixels);
    jpeg_destroy_decompress(&cinfo);
    return -1;
  }

  jpeg_start_decompress(&cinfo);
  size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
  pixels = malloc(stride * cinfo.output_height);
  if (pixels == NULL) {
    set_message(message, message_size, "out of memory for the decoded image");
    jpeg_destroy_decompress(&cinfo);
    return -1;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);

  out->pixels = pixels;
  out->width = (int)cinfo.output_width;
  out->height = (int)cinfo.output_height;
  out->channels = cinfo.output_components;
  jpeg_destroy_decompress(&cinfo);
  return 0;
}

void i2i_free(void *pointer) { free(pointer); }
