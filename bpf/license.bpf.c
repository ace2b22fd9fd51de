// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one LICENSE definition of the linked object. GPL: bpf_send_signal,
 * bpf_probe_read_kernel and the BPF-LSM hooks require a GPL-compatible program. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";
