/*
 * auth.c - the bearer token of the web API: "Authorization: Bearer TOKEN",
 * compared in time that depends only on the configured token's length.
 */
#include <string.h>
#include <strings.h>

#include "web_int.h"

static bool same_secret(const char *got, size_t got_len, const char *want, size_t want_len)
{
	unsigned char diff = got_len != want_len;

	for (size_t i = 0; i < want_len; i++) {
		unsigned char g = i < got_len ? (unsigned char)got[i] : 0;
		diff |= (unsigned char)(g ^ (unsigned char)want[i]);
	}
	return diff == 0;
}

bool web_auth_ok(const struct sw_web *w, struct MHD_Connection *c)
{
	const char *h;
	size_t len;

	if (w->token == NULL)
		return false;
	if (MHD_lookup_connection_value_n(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
	                                  strlen(MHD_HTTP_HEADER_AUTHORIZATION), &h, &len) != MHD_YES ||
	    len < 7 || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	len -= 7;
	while (len > 0 && *h == ' ') {
		h++;
		len--;
	}
	while (len > 0 && h[len - 1] == ' ')
		len--;
	return same_secret(h, len, w->token, w->token_len);
}
