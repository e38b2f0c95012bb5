/*
 * bench_pcap_read.c - the baseline of `make bench`: reads a capture with
 * pcap_next_ex and nothing else, and prints packets and seconds as
 * "packets=N seconds=S". With a second argument BYTES the file is read
 * through a stdio buffer of that size (as segwatch does), otherwise with
 * libpcap's defaults.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segwatch/textparse.h"

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct timespec t0, t1;
	unsigned long long n = 0, sum = 0;
	pcap_t *p;

	uint64_t bufsize = 0;

	if (argc < 2 || argc > 3 ||
	    (argc == 3 && sw_parse_u64(argv[2], strlen(argv[2]), 1, 1u << 30, &bufsize) != SW_OK)) {
		fprintf(stderr, "usage: bench_pcap_read FILE [BUFFER-BYTES]\n");
		return 2;
	}
	if (bufsize != 0) {
		FILE *fp = fopen(argv[1], "rb");
		char *iobuf = malloc(bufsize); /* glibc ignores the size without a buffer */
		if (fp == NULL || iobuf == NULL || setvbuf(fp, iobuf, _IOFBF, bufsize) != 0) {
			perror(argv[1]);
			return 2;
		}
		p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	} else {
		p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO,
		                                            errbuf);
	}
	if (p == NULL) {
		fprintf(stderr, "bench_pcap_read: %s\n", errbuf);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (pcap_next_ex(p, &h, &data) == 1) {
		n++;
		sum += data[0]; /* touch the packet as any reader must */
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pcap_close(p);
	printf("packets=%llu seconds=%.6f checksum=%llu\n", n,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, sum);
	return 0;
}
