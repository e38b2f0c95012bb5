/*
 * listen.c - the web server's listen socket: "HOST:PORT" or "[V6]:PORT"
 * (numeric addresses only), bound and listening before any thread starts,
 * so that a root caller can drop privileges right after.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "segwatch/textparse.h"
#include "web_int.h"

#define LISTEN_BACKLOG 512
#define HOST_MAX 64

/* Splits addr into host (without brackets) and port. */
static enum sw_status split_addr(const char *addr, char host[HOST_MAX], uint16_t *port,
                                 struct sw_err *err)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t hlen;
	uint64_t v;

	if (colon == NULL)
		goto bad;
	hlen = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (hlen < 2 || addr[hlen - 1] != ']')
			goto bad;
		h = addr + 1;
		hlen -= 2;
	} else if (memchr(addr, ':', hlen) != NULL) {
		goto bad; /* an IPv6 address needs brackets */
	}
	if (hlen == 0 || hlen >= HOST_MAX ||
	    sw_parse_u64(colon + 1, strlen(colon + 1), 0, 65535, &v) != SW_OK)
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)v;
	return SW_OK;
bad:
	return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
	                  "listen address: expected HOST:PORT or [IPV6]:PORT with a numeric "
	                  "address and a port from 0 to 65535, got '%s'", addr);
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

enum sw_status web_listen(const char *addr, int *fd, uint16_t *port, struct sw_err *err)
{
	struct addrinfo hints, *ai = NULL;
	char host[HOST_MAX], serv[8];
	uint16_t p = 0;
	int s, one = 1, rc, e;

	if (split_addr(addr, host, &p, err) != SW_OK)
		return SW_ERR_INVALID;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(serv, sizeof(serv), "%u", (unsigned)p);
	rc = getaddrinfo(host, serv, &hints, &ai);
	if (rc != 0)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "listen address: '%s' is not a numeric IPv4 or IPv6 address",
		                  host);
	s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		e = errno;
		freeaddrinfo(ai);
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot listen on %s: %s", addr,
		                  strerror(e));
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	rc = bind(s, ai->ai_addr, ai->ai_addrlen);
	e = errno;
	freeaddrinfo(ai);
	if (rc != 0 || listen(s, LISTEN_BACKLOG) != 0) {
		if (rc == 0)
			e = errno;
		close(s);
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot listen on %s: %s", addr,
		                  strerror(e));
	}
	*fd = s;
	*port = bound_port(s);
	return SW_OK;
}
