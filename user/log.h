/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Logging to stderr: "fnguard: <level>: message". The caller that decides logs, once. */
#ifndef FNG_LOG_H
#define FNG_LOG_H

enum fng_log_level {
	FNG_LOG_ERROR,
	FNG_LOG_WARN,
	FNG_LOG_INFO,
	FNG_LOG_DEBUG,
};

/* Messages above this level are not printed (default FNG_LOG_INFO). */
void log_set_level(enum fng_log_level level);
enum fng_log_level log_level(void);
void log_msg(enum fng_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Route libbpf's own messages into log_msg (its debug output only at FNG_LOG_DEBUG). */
void log_route_libbpf(void);

#define pr_err(...)   log_msg(FNG_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_msg(FNG_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(FNG_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(FNG_LOG_DEBUG, __VA_ARGS__)

#endif /* FNG_LOG_H */
