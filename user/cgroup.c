// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

int cgroup_root_from_mountinfo(const char *mountinfo, char *out, size_t len)
{
	const char *line = mountinfo;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		char buf[4096], *field[6], *sep, *save = NULL, *fstype;
		int nf = 0;

		if (n < sizeof(buf)) {
			memcpy(buf, line, n);
			buf[n] = '\0';
			/* "id parent major:minor root mountpoint options [optional...] - fstype source superopts" */
			sep = strstr(buf, " - ");
			if (sep) {
				*sep = '\0';
				fstype = strtok_r(sep + 3, " ", &save);
				save = NULL;
				for (char *t = strtok_r(buf, " ", &save); t && nf < 6;
				     t = strtok_r(NULL, " ", &save))
					field[nf++] = t;
				if (nf >= 5 && fstype && !strcmp(fstype, "cgroup2") &&
				    !strcmp(field[3], "/")) {
					unescape_octal(field[4]);
					return strlcpy_ok(out, field[4], len) ? 0 : -ENAMETOOLONG;
				}
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}

int cgroup_find_root(char *out, size_t len)
{
	char *text;
	size_t n;
	int err = read_file("/proc/self/mountinfo", 4u << 20, &text, &n);

	if (err)
		return err;
	err = cgroup_root_from_mountinfo(text, out, len);
	free(text);
	return err;
}

int cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	int mount_id;

	/* The kernfs node id is the file handle of a cgroupfs directory; its
	 * inode number is the same on 64-bit, but the handle is the contract. */
	h.fh.handle_bytes = sizeof(h.id);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) == 0 &&
	    h.fh.handle_bytes == sizeof(h.id)) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	{
		struct stat st;

		if (stat(path, &st))
			return -errno;
		*id = st.st_ino;
	}
	return 0;
}

static int walk(char *abs, size_t root_len, int (*cb)(const char *, uint64_t, void *), void *ctx,
		int depth)
{
	size_t len = strlen(abs);
	DIR *d;
	struct dirent *de;
	uint64_t id;
	int err;

	err = cgroup_id(abs, &id);
	if (err)
		return err == -ENOENT ? 0 : err; /* gone while we walked */
	err = cb(len == root_len ? "/" : abs + root_len, id, ctx);
	if (err)
		return err;
	if (depth > 64)
		return 0;
	d = opendir(abs);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (len + 1 + strlen(de->d_name) >= PATH_MAX)
			continue;
		abs[len] = '/';
		strcpy(abs + len + 1, de->d_name);
		err = walk(abs, root_len, cb, ctx, depth + 1);
		abs[len] = '\0';
		if (err)
			break;
	}
	closedir(d);
	return err;
}

int cgroup_walk(const char *root, int (*cb)(const char *path, uint64_t id, void *ctx), void *ctx)
{
	char abs[PATH_MAX];
	size_t root_len;

	if (!strlcpy_ok(abs, root, sizeof(abs)))
		return -ENAMETOOLONG;
	root_len = strlen(abs);
	while (root_len > 1 && abs[root_len - 1] == '/')
		abs[--root_len] = '\0';
	return walk(abs, root_len, cb, ctx, 0);
}
