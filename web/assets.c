/*
 * assets.c - the dashboard built into the binary: web_assets[] comes from
 * build/gen/web_assets.h (web/embed_assets.sh over the files of web/assets). Without
 * that header, or with no asset in it, there is no dashboard and "/"
 * answers a short page saying so (server.c).
 */
#include <stddef.h>
#include <string.h>

#include "web_int.h"

struct web_asset {
	const char *path;         /* "/" or "/assets/NAME" */
	const char *type;         /* Content-Type */
	const unsigned char *data;
	size_t len;
};

#if __has_include("../build/gen/web_assets.h")
#include "../build/gen/web_assets.h"
static const size_t asset_count = SW_ARRAY_SIZE(web_assets);
#else
static const struct web_asset web_assets[1] = {{NULL, NULL, NULL, 0}};
static const size_t asset_count = 0;
#endif

bool web_asset_find(const char *path, size_t len, const char **type,
                    const unsigned char **data, size_t *size)
{
	for (size_t i = 0; i < asset_count; i++) {
		const struct web_asset *a = &web_assets[i];
		if (a->path != NULL && strlen(a->path) == len && memcmp(a->path, path, len) == 0) {
			*type = a->type;
			*data = a->data;
			*size = a->len;
			return true;
		}
	}
	return false;
}
