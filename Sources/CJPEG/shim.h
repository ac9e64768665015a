#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

/*
 * libjpeg reports fatal errors through error_exit, whose default calls exit(). These wrappers
 * install an error manager whose error_exit longjmps back into the same C function, so every
 * failure comes back to Swift as a return code plus a message; Swift frames are never jumped over.
 * Warnings (e.g. "Premature end of JPEG file", which libjpeg papers over with gray pixels) are
 * counted and turned into failures, because a truncated or corrupt file must not train silently.
 */

/* Return codes of cairn_jpeg_decode. */
enum {
    CAIRN_JPEG_OK = 0,
    CAIRN_JPEG_ERROR = 1,          /* corrupt or unreadable data; msg says why */
    CAIRN_JPEG_TOO_LARGE = 2,      /* width * height exceeds max_pixels; info holds the header size */
    CAIRN_JPEG_BAD_CHANNELS = 3,   /* a colour space that cannot become gray or RGB (e.g. CMYK) */
    CAIRN_JPEG_NEED_BUFFER = 4     /* buffer smaller than width * height * out_channels; info says how big */
};

/* What the header said and what was written. */
typedef struct {
    uint32_t width;         /* image width from the frame header */
    uint32_t height;        /* image height from the frame header */
    uint32_t components;    /* components stored in the file */
    int32_t color_space;    /* libjpeg's J_COLOR_SPACE of the file */
    uint32_t out_channels;  /* 1 (gray) or 3 (RGB) samples per pixel written to the buffer */
} cairn_jpeg_info;

struct cairn_jpeg_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int warnings;
    char first_warning[JMSG_LENGTH_MAX];
};

static inline void cairn_jpeg_error_exit(j_common_ptr cinfo) {
    struct cairn_jpeg_error *err = (struct cairn_jpeg_error *)cinfo->err;
    longjmp(err->jump, 1);
}

static inline void cairn_jpeg_emit_message(j_common_ptr cinfo, int level) {
    struct cairn_jpeg_error *err = (struct cairn_jpeg_error *)cinfo->err;
    if (level < 0) {
        if (err->warnings == 0) (*cinfo->err->format_message)(cinfo, err->first_warning);
        err->warnings++;
    }
}

static inline void cairn_jpeg_silent(j_common_ptr cinfo) { (void)cinfo; }

static inline void cairn_jpeg_install(struct cairn_jpeg_error *err) {
    jpeg_std_error(&err->pub);
    err->pub.error_exit = cairn_jpeg_error_exit;
    err->pub.emit_message = cairn_jpeg_emit_message;
    err->pub.output_message = cairn_jpeg_silent;
    err->warnings = 0;
    err->first_warning[0] = 0;
}

static inline void cairn_jpeg_copy(char *msg, size_t msglen, const char *text) {
    if (msg == NULL || msglen == 0) return;
    snprintf(msg, msglen, "%s", text);
}

/*
 * Decodes a JPEG held in memory into 8-bit samples, rows tightly packed.
 * Output is gray when the file is gray, or when want_gray is set and the file is YCbCr (libjpeg
 * then keeps the Y channel); otherwise RGB. CMYK/YCCK files fail with CAIRN_JPEG_BAD_CHANNELS.
 * The pixel count is checked against max_pixels before libjpeg allocates anything image-sized.
 */
static inline int cairn_jpeg_decode(const void *data, size_t size, int want_gray, uint64_t max_pixels,
                                    unsigned char *buffer, size_t capacity, cairn_jpeg_info *info,
                                    char *msg, size_t msglen) {
    struct jpeg_decompress_struct cinfo;
    struct cairn_jpeg_error err;
    memset(info, 0, sizeof(*info));
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = &err.pub;
    cairn_jpeg_install(&err);
    if (setjmp(err.jump)) {
        char text[JMSG_LENGTH_MAX];
        (*cinfo.err->format_message)((j_common_ptr)&cinfo, text);
        cairn_jpeg_copy(msg, msglen, text);
        jpeg_destroy_decompress(&cinfo);
        return CAIRN_JPEG_ERROR;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    info->width = cinfo.image_width;
    info->height = cinfo.image_height;
    info->components = (uint32_t)cinfo.num_components;
    info->color_space = (int32_t)cinfo.jpeg_color_space;
    if ((uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height > max_pixels) {
        jpeg_destroy_decompress(&cinfo);
        return CAIRN_JPEG_TOO_LARGE;
    }
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
        cinfo.out_color_space = want_gray ? JCS_GRAYSCALE : JCS_RGB;
        break;
    case JCS_RGB:
        cinfo.out_color_space = JCS_RGB;
        break;
    default:
        snprintf(msg, msglen, "%d-component JPEG in colour space %d (CMYK/YCCK or unknown) has no gray or RGB conversion",
                 cinfo.num_components, (int)cinfo.jpeg_color_space);
        jpeg_destroy_decompress(&cinfo);
        return CAIRN_JPEG_BAD_CHANNELS;
    }
    info->out_channels = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
    size_t need = (size_t)cinfo.image_width * (size_t)cinfo.image_height * info->out_channels;
    if (need > capacity || buffer == NULL) {
        jpeg_destroy_decompress(&cinfo);
        return CAIRN_JPEG_NEED_BUFFER;
    }
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != cinfo.image_width || cinfo.output_height != cinfo.image_height
        || (uint32_t)cinfo.output_components != info->out_channels) {
        snprintf(msg, msglen, "decoder produced %ux%ux%d instead of %ux%ux%u", cinfo.output_width,
                 cinfo.output_height, cinfo.output_components, cinfo.image_width, cinfo.image_height,
                 info->out_channels);
        jpeg_destroy_decompress(&cinfo);
        return CAIRN_JPEG_ERROR;
    }
    size_t stride = (size_t)cinfo.output_width * info->out_channels;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = buffer + (size_t)cinfo.output_scanline * stride;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            cairn_jpeg_copy(msg, msglen, "decoder returned no scanline");
            jpeg_destroy_decompress(&cinfo);
            return CAIRN_JPEG_ERROR;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (err.warnings > 0) {
        cairn_jpeg_copy(msg, msglen, err.first_warning);
        return CAIRN_JPEG_ERROR;
    }
    return CAIRN_JPEG_OK;
}

/* Writes 8-bit pixels (channels: 1 gray, 3 RGB, 4 CMYK; rows tightly packed) as a baseline JPEG file. */
static inline int cairn_jpeg_write(const char *path, uint32_t width, uint32_t height, uint32_t channels,
                                   const unsigned char *pixels, int quality, char *msg, size_t msglen) {
    struct jpeg_compress_struct cinfo;
    struct cairn_jpeg_error err;
    FILE *volatile file = NULL;
    if (channels != 1 && channels != 3 && channels != 4) {
        snprintf(msg, msglen, "cannot write %u channels (expected 1, 3 or 4)", channels);
        return CAIRN_JPEG_ERROR;
    }
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = &err.pub;
    cairn_jpeg_install(&err);
    if (setjmp(err.jump)) {
        char text[JMSG_LENGTH_MAX];
        (*cinfo.err->format_message)((j_common_ptr)&cinfo, text);
        cairn_jpeg_copy(msg, msglen, text);
        jpeg_destroy_compress(&cinfo);
        if (file != NULL) fclose(file);
        return CAIRN_JPEG_ERROR;
    }
    jpeg_create_compress(&cinfo);
    file = fopen(path, "wb");
    if (file == NULL) {
        snprintf(msg, msglen, "cannot open for writing");
        jpeg_destroy_compress(&cinfo);
        return CAIRN_JPEG_ERROR;
    }
    jpeg_stdio_dest(&cinfo, file);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = (int)channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : (channels == 3 ? JCS_RGB : JCS_CMYK);
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    int failed = fclose(file) != 0;
    if (failed) {
        snprintf(msg, msglen, "error closing the file");
        return CAIRN_JPEG_ERROR;
    }
    return CAIRN_JPEG_OK;
}
