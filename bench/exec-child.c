// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The program the exec storm runs: it does nothing, but it is linked with
 * the libraries mmaptrace itself uses, so ld.so maps about a dozen shared
 * objects at every exec. The references below keep each library needed
 * even under --as-needed; they are only printed when asked (-v).
 */
#include <stdio.h>
#include <string.h>

#include <event-parse.h>
#include <json-c/json.h>
#include <magic.h>
#include <openssl/crypto.h>
#include <tracefs.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "-v"))
		printf("%s %s %p %p %p\n", json_c_version(), OpenSSL_version(OPENSSL_VERSION),
		       (void *)tracefs_instance_create, (void *)tep_alloc, (void *)magic_open);
	return 0;
}
