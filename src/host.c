// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "host.h"

static void format_uuid(const uint8_t b[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* 32 hex digits -> 16 bytes; false if the file does not hold that. */
static bool read_machine_id(uint8_t b[16])
{
	char buf[64];
	FILE *f = fopen("/etc/machine-id", "re");
	int i;

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return false;
	}
	fclose(f);
	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)buf[i]))
			return false;
	for (i = 0; i < 16; i++)
		b[i] = (uint8_t)(hexval(buf[2 * i]) << 4 | hexval(buf[2 * i + 1]));
	return true;
}

int mmt_host_read(struct mmt_host *h)
{
	uint8_t b[16] = { 0 };
	uint64_t hash = 1469598103934665603ULL;
	size_t i;

	if (gethostname(h->name, sizeof(h->name)) < 0)
		return -errno;
	h->name[sizeof(h->name) - 1] = '\0';
	if (!read_machine_id(b)) {
		/* FNV-1a of the name: stable, and visibly not a machine-id. */
		for (i = 0; h->name[i]; i++)
			hash = (hash ^ (unsigned char)h->name[i]) * 1099511628211ULL;
		memcpy(b + 8, &hash, 8);
	}
	format_uuid(b, h->uuid);
	return 0;
}

int mmt_uuid_random(char out[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	format_uuid(b, out);
	return 0;
}
