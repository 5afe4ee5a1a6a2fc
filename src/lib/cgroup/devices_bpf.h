/* Device rules on cgroup v2: cgroup2 has no devices controller, so the
 * rules become a BPF_CGROUP_DEVICE program attached to the container's
 * directory. The kernel runs it on every open and mknod of a device node
 * and refuses the access (EPERM) when it returns 0.
 *
 * Semantics, those of the v1 controller and runc: the last rule that
 * matches a device decides, and each access (r, w, m) is decided on its
 * own, so "allow c 1:5 r" then "allow c 1:5 w" lets a read-write open
 * through and "deny c 1:5 w" after "allow c 1:5 rwm" still lets it be
 * read. A rule for every device with every access ("a *:* rwm") resets the
 * list: the rules before it are dead and its verdict becomes the default.
 * Without one, anything no rule allows is denied. Type 'a' with a narrower
 * rule means "both c and b" (as apply_v1.c writes it). */
#ifndef BERTH_CGROUP_DEVICES_BPF_H
#define BERTH_CGROUP_DEVICES_BPF_H

#include <linux/bpf.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

/* The program for `rules`, in a heap array the caller frees. Fails (EINVAL,
 * naming the rule) on a type, number or access the kernel cannot express. */
int devices_bpf_build(const spec_device_rule *rules, size_t n, struct bpf_insn **insns,
                      size_t *n_insns, berth_error **err);

/* Build, load and attach the program to the cgroup2 directory `dir`, then
 * detach the device programs attached there before (a re-apply replaces,
 * never stacks). When the kernel refuses BPF to a runtime that is rootless
 * or in a user namespace, or every rule allows everything it names, the
 * rules are dropped as runc drops them, with a warning. */
int devices_bpf_apply(const char *dir, const spec_device_rule *rules, size_t n,
                      berth_error **err);

#endif
