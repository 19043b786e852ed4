/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host a record comes from, and unique ids for records (Kunai's info.host, info.event). */
#ifndef MMT_HOST_H
#define MMT_HOST_H

struct mmt_host {
	char name[256];		/* gethostname() */
	char uuid[37];		/* from /etc/machine-id, stable for the host */
};

/**
 * mmt_host_read() - fill @h
 *
 * The uuid is /etc/machine-id (128 bits in hex) written as a UUID, so it is
 * stable across runs and reboots; without a machine-id it is derived from
 * the hostname and says so by being all zeros but for that hash.
 * Return: 0 or -errno (gethostname failed).
 */
int mmt_host_read(struct mmt_host *h);

/**
 * mmt_uuid_random() - a random (version 4) UUID as text
 * @out: 37 bytes
 * Return: 0 or -errno (getrandom failed).
 */
int mmt_uuid_random(char out[37]);

#endif /* MMT_HOST_H */
