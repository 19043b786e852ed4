/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host a record comes from, and unique ids for records (Kunai's info.host, info.event). */
#ifndef MMT_HOST_H
#define MMT_HOST_H

struct mmt_host {
	char name[256];		/* gethostname() */
	char uuid[37];		/* Kunai's: UUIDv5 of /etc/machine-id, stable for the host */
};

/**
 * mmt_host_read() - fill @h
 *
 * The uuid is derived as Kunai derives info.host.uuid: the version 5 UUID
 * (name space OID) of /etc/machine-id without trailing white space, stable
 * across runs and reboots; without a machine-id, this boot's id; without
 * that, a random one.
 * Return: 0 or -errno (gethostname or getrandom failed).
 */
int mmt_host_read(struct mmt_host *h);

/**
 * mmt_uuid_random() - a random (version 4) UUID as text
 * @out: 37 bytes
 * Return: 0 or -errno (getrandom failed).
 */
int mmt_uuid_random(char out[37]);

#endif /* MMT_HOST_H */
