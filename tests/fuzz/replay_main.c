/*
 * replay_main.c - a plain main() for the fuzz targets, for CI without
 * libFuzzer (libpcap's fuzz/onefile.c does the same): runs
 * LLVMFuzzerTestOneInput on every file named on the command line and on
 * every regular file in the directories named (recursively).
 *
 * Each input runs in a child process, so one crash or sanitizer report
 * fails that input and the replay goes on. Prints "ok PATH" or
 * "FAIL PATH (...)" per input and a last line "N passed, M failed";
 * exits 1 when any input failed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest input replayed; bigger files are a failure (not a corpus). */
#define REPLAY_MAX_BYTES (16u * 1024 * 1024)

struct tally {
	unsigned passed, failed;
};

/* Reads path whole into *buf (caller frees). Returns 0 or -1. */
static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	uint8_t *b = malloc(REPLAY_MAX_BYTES);
	size_t n = b != NULL ? fread(b, 1, REPLAY_MAX_BYTES, f) : 0;
	int bad = b == NULL || ferror(f) || !feof(f);
	fclose(f);
	if (bad) {
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Runs one input in a child; the child's exit status is the verdict. */
static void replay_file(const char *path, struct tally *t)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL %s (fork)\n", path);
		t->failed++;
		return;
	}
	if (pid == 0) {
		uint8_t *buf;
		size_t len;
		if (read_all(path, &buf, &len) != 0)
			_exit(2);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		exit(0); /* exit(), not _exit(): LeakSanitizer runs at exit */
	}
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (WIFSIGNALED(st))
			printf("FAIL %s (signal %d)\n", path, WTERMSIG(st));
		else
			printf("FAIL %s (exit %d)\n", path, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		t->failed++;
		return;
	}
	printf("ok %s\n", path);
	t->passed++;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_path(const char *path, struct tally *t);

/* Replays a directory's entries in name order, so runs are comparable. */
static void replay_dir(const char *dir, struct tally *t)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		printf("FAIL %s (cannot open directory)\n", dir);
		t->failed++;
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ., .., and hidden files such as .gitkeep */
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL)
				break;
			names = nn;
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		if (names[n] == NULL)
			break;
		snprintf(names[n], len, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		replay_path(names[i], t);
		free(names[i]);
	}
	free(names);
}

static void replay_path(const char *path, struct tally *t)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		printf("FAIL %s (missing)\n", path);
		t->failed++;
	} else if (S_ISDIR(st.st_mode)) {
		replay_dir(path, t);
	} else if (S_ISREG(st.st_mode)) {
		replay_file(path, t);
	}
}

int main(int argc, char **argv)
{
	struct tally t = { 0, 0 };

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		replay_path(argv[i], &t);
	printf("%u passed, %u failed\n", t.passed, t.failed);
	return t.failed == 0 ? 0 : 1;
}
