/*
 * crc32c.c - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
 *
 * ext4 and jbd2 both use the raw register form: the caller passes the
 * seed (~0 for a fresh sum, or a previous result to chain) and no final
 * inversion is applied, matching the kernel's crc32c_le().
 */
#include "ext4_int.h"

static uint32_t table[256];
static bool table_ready;

static void crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[i] = c;
    }
    table_ready = true;
}

uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!table_ready)
        crc32c_init();
    while (len--)
        crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}
