#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Small wrappers over libpng's simplified API (png_image_*), which reports errors through
 * png_image.warning_or_error instead of longjmp, so Swift never sees a longjmp cross its frames.
 * Every function returns 0 on success and non-zero on failure, with libpng's message copied to msg.
 */

/* Copies the png_image message (a fixed char[64]) into msg. */
static inline void cairn_png_message(const png_image *image, char *msg, size_t msglen) {
    if (msg == NULL || msglen == 0) return;
    size_t n = strnlen(image->message, sizeof(image->message));
    if (n >= msglen) n = msglen - 1;
    memcpy(msg, image->message, n);
    msg[n] = 0;
    if (n == 0) snprintf(msg, msglen, "libpng failed without a message");
}

/* Reads the PNG header from memory; on success the caller must call cairn_png_finish or png_image_free. */
static inline int cairn_png_begin(png_image *image, const void *data, size_t size, char *msg, size_t msglen) {
    memset(image, 0, sizeof(*image));
    image->version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(image, data, size)) {
        cairn_png_message(image, msg, msglen);
        png_image_free(image);
        return 1;
    }
    return 0;
}

/* Decodes the image opened by cairn_png_begin as 8-bit samples in `format` (no colormap) into
 * buffer (capacity bytes, tightly packed rows); always releases libpng's state. */
static inline int cairn_png_finish(png_image *image, uint32_t format, void *buffer, size_t capacity,
                                   char *msg, size_t msglen) {
    image->format = format & (PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_COLOR);
    size_t need = (size_t)image->width * (size_t)image->height * PNG_IMAGE_SAMPLE_CHANNELS(image->format);
    if (need > capacity) {
        snprintf(msg, msglen, "decode buffer of %zu bytes is smaller than the %zu the image needs", capacity, need);
        png_image_free(image);
        return 1;
    }
    if (!png_image_finish_read(image, NULL, buffer, 0, NULL)) {
        cairn_png_message(image, msg, msglen);
        png_image_free(image);
        return 1;
    }
    /* A warning (e.g. a bad ancillary chunk CRC) still yields pixels; only errors fail. */
    png_image_free(image);
    return 0;
}

/* Writes 8-bit pixels (channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; rows tightly packed) as a PNG file. */
static inline int cairn_png_write(const char *path, uint32_t width, uint32_t height, uint32_t channels,
                                  const void *pixels, char *msg, size_t msglen) {
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    switch (channels) {
    case 1: image.format = PNG_FORMAT_GRAY; break;
    case 2: image.format = PNG_FORMAT_GA; break;
    case 3: image.format = PNG_FORMAT_RGB; break;
    case 4: image.format = PNG_FORMAT_RGBA; break;
    default:
        snprintf(msg, msglen, "cannot write %u channels (expected 1 to 4)", channels);
        return 1;
    }
    if (!png_image_write_to_file(&image, path, 0, pixels, 0, NULL)) {
        cairn_png_message(&image, msg, msglen);
        png_image_free(&image);
        return 1;
    }
    return 0;
}
