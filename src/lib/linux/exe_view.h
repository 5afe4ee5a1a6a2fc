/* The running berth binary as a file of a read-only overlay mounted
 * nowhere: what cloned_binary.c re-executes from (it says why), made by
 * system calls alone, so that early_entry.c can make it before the C
 * library starts (no errno, no allocation, no string functions of the C
 * library here; the file is built without the stack protector). */
#ifndef BERTH_EXE_VIEW_H
#define BERTH_EXE_VIEW_H

#include <fcntl.h>
#include <stdbool.h>

/* The seals of cloned_binary.c's copy: a file that has all of them is
 * taken for one and not copied again. */
#define EXE_VIEW_COPY_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Whether the environment says BERTH_NO_CLONED_BINARY=1 (for measuring
 * only: it drops the protection). */
bool exe_view_skipped(char **envp);

/* Opens /proc/self/exe and, where a container could write the file behind
 * it (not our sealed copy, not on a read-only filesystem), its read-only
 * view. Returns 1 with *view open (and nothing else), 0 when no view is
 * needed (nothing open), or -errno when one was needed but could not be
 * made: *exe is then the binary still open for a copy, or -1. */
int exe_view_make(int *view, int *exe);

/* execveat of the view with argv and envp; returns -errno when refused. */
int exe_view_exec(int view, char **argv, char **envp);

void exe_view_close(int fd);

/* Set by early_entry.c when it found the running binary needs no view
 * (already one, or on a read-only filesystem): main's check is skipped. */
extern bool exe_view_unneeded;

#endif
