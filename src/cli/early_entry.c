/* berth's entry point in the static x86_64 build, ahead of the C library's
 * _start: create, exec and run re-execute berth from a read-only view of
 * its binary (src/lib/linux/cloned_binary.c says why), and the C library's
 * start-up before main costs about 0.6 ms on a VM, most of it CPUID
 * instructions (glibc asks the CPU for its cache sizes one descriptor at a
 * time, and each CPUID exits to the hypervisor, 7 µs apiece where berth is
 * measured): paid once more in the image that only re-executes. So this
 * makes the view and re-executes before any of that, with system calls
 * alone (linux/exe_view.c).
 *
 * It is only a shortcut: whatever it does not recognise (an option it does
 * not know, another command, a view that cannot be made) goes on to
 * _start as if it were not there, and main() makes the same check with
 * the whole of berth at hand (cli_ensure_sealed_binary: the memfd copy
 * where no view can be made). A berth that re-executed here finds itself
 * on the read-only view there and does not again.
 *
 * Built without the stack protector and as freestanding code (meson.build):
 * thread-local storage, errno and the library's IFUNC-resolved string
 * functions do not exist yet. */
#include <stdbool.h>
#include <stddef.h>

#include "commands.h"
#include "linux/exe_view.h"

/* main.c's global options, by whether they take a value. */
static const char *const with_value[] = {"log", "log-format", "root", "rootless", "criu", NULL};
static const char *const without_value[] = {"debug", "systemd-cgroup", "version", "v", NULL};
static const char *const sealed_commands[] = {CLI_SEALED_COMMANDS, NULL};

static bool is_one_of(const char *word, size_t len, const char *const *list) {
  for (; *list != NULL; list++) {
    size_t i = 0;
    while (i < len && (*list)[i] == word[i])
      i++;
    if (i == len && (*list)[i] == '\0')
      return true;
  }
  return false;
}

static size_t word_length(const char *s, char end) {
  size_t n = 0;
  while (s[n] != '\0' && s[n] != end)
    n++;
  return n;
}

/* The command word after the global options, or NULL when they hold
 * anything this does not know. */
static const char *command_of(char **argv) {
  for (char **a = argv + 1; *a != NULL; a++) {
    const char *w = *a;
    if (w[0] != '-')
      return w;
    const char *name = w + (w[1] == '-' ? 2 : 1);
    size_t n = word_length(name, '=');
    if (n > 0 && is_one_of(name, n, with_value)) {
      if (name[n] == '\0' && *++a == NULL)
        return NULL;
      continue;
    }
    if (n > 0 && name[n] == '\0' && is_one_of(name, n, without_value))
      continue;
    return NULL;
  }
  return NULL;
}

/* SP is the stack the kernel handed over: argc, argv..., NULL, envp...
 * Returns only when berth is to start as it is. */
void berth_early_reexec(long *sp);
__attribute__((used)) void berth_early_reexec(long *sp) {
  char **argv = (char **)(sp + 1);
  char **envp = argv + sp[0] + 1;
  const char *command = command_of(argv);
  if (command == NULL || !is_one_of(command, word_length(command, '\0'), sealed_commands) ||
      exe_view_skipped(envp))
    return;
  int view, exe;
  int rc = exe_view_make(&view, &exe);
  if (rc > 0)
    exe_view_exec(view, argv, envp);
  exe_view_unneeded = rc == 0;
  exe_view_close(view);
  exe_view_close(exe);
}

/* The stack pointer is kept in rbx (preserved across the call) and given
 * back to _start as the kernel left it, with rdx cleared: a static binary
 * has no dynamic linker's finalizer to register. */
__asm__(".text\n"
        ".globl berth_early_entry\n"
        ".type berth_early_entry, @function\n"
        "berth_early_entry:\n"
        "  mov %rsp, %rbx\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call berth_early_reexec\n"
        "  mov %rbx, %rsp\n"
        "  xor %ebx, %ebx\n"
        "  xor %edx, %edx\n"
        "  jmp _start\n"
        ".size berth_early_entry, .-berth_early_entry\n");
