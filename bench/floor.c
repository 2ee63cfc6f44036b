/* The floor for one enqueue: what any durable one-file-per-task queue
 * must do in one process. O_EXCL temp file, write, fsync, rename into
 * place, fsync the directory. bench/run times N runs of this against N
 * runs of da-enqueue.
 *
 * usage: floor DIR NAME  (writes DIR/NAME, a ~400-byte task-like file) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char tmp[4096], dst[4096], body[512];
	int fd, dfd, n;

	if (argc != 3) {
		fprintf(stderr, "usage: floor DIR NAME\n");
		return 2;
	}
	snprintf(tmp, sizeof tmp, "%s/.tmp-%ld", argv[1], (long)getpid());
	snprintf(dst, sizeof dst, "%s/%s", argv[1], argv[2]);
	n = snprintf(body, sizeof body,
		     "id: bench#1\nproject: bench\nrepo: ~\nissue: 1\ntitle: %s\nbody: ''\nlabels: []\n"
		     "type: feature\npriority: 3\nenqueued_at: 2026-01-01T00:00:00Z\nsource: cli\nattempts: 0\n"
		     "history:\n- at: 2026-01-01T00:00:00Z\n  from: new\n  to: pending\n  by: floor[1]\n"
		     "  why: enqueued (cli)\n",
		     argv[2]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, body, (size_t)n) != n || fsync(fd) < 0 || close(fd) < 0) {
		perror(tmp);
		return 1;
	}
	if (rename(tmp, dst) < 0) {
		perror(dst);
		return 1;
	}
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		perror(argv[1]);
		return 1;
	}
	close(dfd);
	return 0;
}
