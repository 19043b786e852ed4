// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "host.h"
#include "procfs.h"

/* RFC 9562's name space for ISO OIDs, 6ba7b812-9dad-11d1-80b4-00c04fd430c8 */
static const uint8_t ns_oid[16] = {
	0x6b, 0xa7, 0xb8, 0x12, 0x9d, 0xad, 0x11, 0xd1,
	0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
};

static void format_uuid(const uint8_t b[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
}

/*
 * /etc/machine-id without its trailing white space, as Kunai reads it
 * (config.rs: read_to_string, trim_end). Return: its length, 0 if absent or empty.
 */
static size_t read_machine_id(char *buf, size_t size)
{
	FILE *f = fopen("/etc/machine-id", "re");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	while (n && strchr(" \t\n\v\f\r", buf[n - 1]))
		n--;
	buf[n] = '\0';
	return n;
}

/* RFC 9562 version 5: SHA-1 of the name space and the name, 122 bits of it. */
static int uuid_v5(const uint8_t ns[16], const char *name, size_t len, uint8_t out[16])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) && EVP_DigestUpdate(ctx, ns, 16) &&
	     EVP_DigestUpdate(ctx, name, len) && EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen < 16)
		return -EIO;
	memcpy(out, md, 16);
	out[6] = (out[6] & 0x0f) | 0x50;
	out[8] = (out[8] & 0x3f) | 0x80;
	return 0;
}

static void put_be64(uint8_t *b, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

int mmt_host_read(struct mmt_host *h)
{
	uint64_t hi, lo;
	char mid[256];
	uint8_t b[16];
	size_t n;
	int r;

	if (gethostname(h->name, sizeof(h->name)) < 0)
		return -errno;
	h->name[sizeof(h->name) - 1] = '\0';
	/*
	 * Kunai's order (config.rs, default_host_uuid): a version 5 UUID of the
	 * machine-id, else this boot's id, else a random one; a host traced by
	 * both tools then has one identity.
	 */
	n = read_machine_id(mid, sizeof(mid));
	if (n && uuid_v5(ns_oid, mid, n, b) == 0) {
		format_uuid(b, h->uuid);
		return 0;
	}
	if (mmt_procfs_boot_id(&hi, &lo) == 0) {
		put_be64(b, hi);
		put_be64(b + 8, lo);
		format_uuid(b, h->uuid);
		return 0;
	}
	r = mmt_uuid_random(h->uuid);
	return r < 0 ? r : 0;
}

/*
 * Random bytes drawn 256 at a time: getrandom(2) never returns less for such a
 * read, and one system call then serves 16 records, not one. Per thread, so no
 * lock; the bytes are the kernel's CSPRNG's either way.
 */
#define POOL_BYTES	256
static __thread uint8_t pool[POOL_BYTES];
static __thread size_t pool_left;

static int random_bytes(uint8_t *b, size_t n)
{
	if (pool_left < n) {
		if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
			return -errno;
		pool_left = sizeof(pool);
	}
	pool_left -= n;
	memcpy(b, pool + pool_left, n);
	/* Used once: a byte handed out is not kept. */
	memset(pool + pool_left, 0, n);
	return 0;
}

int mmt_uuid_random(char out[37])
{
	uint8_t b[16];
	int r = random_bytes(b, sizeof(b));

	if (r < 0)
		return r;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	format_uuid(b, out);
	return 0;
}
