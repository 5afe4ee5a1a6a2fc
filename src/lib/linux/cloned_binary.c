/* berth's container init and exec children are clones of the berth
 * process, not fresh executables: until they call execve, /proc/<pid>/exe
 * of a process that already lives in the container's namespaces is the
 * host's berth binary. Opened for writing by a container process (they
 * are non-dumpable, but CAP_SYS_PTRACE in the container is enough to open
 * the link), it would let the container replace the runtime that the host
 * runs next as root (CVE-2019-5736).
 *
 * The defence here is to re-execute berth from a file no one can write,
 * so that /proc/<pid>/exe names that file and the host's binary is never
 * the executable of a process in a container:
 *
 * - First choice: the binary as seen through an overlayfs made of two
 *   read-only layers, its own directory over an empty tmpfs, mounted
 *   nowhere (fsopen/fsmount give only a descriptor). An overlay without an
 *   upper layer refuses every write (EROFS) and cannot be remounted
 *   writable; no mount table changes; nothing is copied, and the second
 *   execve maps the page cache the first one already filled. It needs
 *   CAP_SYS_ADMIN (or a user namespace's own overlay) and Linux 5.2.
 * - Otherwise (rootless, an old kernel, a directory overlayfs will not
 *   take): a copy in a memfd sealed against every change.
 *
 * Why not prctl(PR_SET_MM_EXE_FILE) onto a harmless file instead: it needs
 * CAP_SYS_RESOURCE in the initial user namespace, which container hosts
 * and unprivileged callers often drop, and it leaves the mapped text of
 * the host binary in place for /proc/<pid>/map_files. Why not a read-only
 * bind mount of the binary: it is a host-wide change a runtime should not
 * make behind the administrator's back (the overlay is attached nowhere).
 *
 * Why only when the binary sits on a writable filesystem: a read-only one
 * (an image, a read-only /usr, or the overlay above once re-executed)
 * already refuses the write, so a second execve buys nothing there. */
#include "linux/cloned_binary.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/exe_view.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif


/* vm.memfd_noexec may make the kernel seal a memfd against execution
 * unless MFD_EXEC is asked for; kernels before 6.3 refuse that flag. */
static int make_memfd(void) {
  int fd = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return fd;
}

/* sendfile rather than copy_file_range: the memfd is always on another
 * filesystem than the binary, where copy_file_range gives EXDEV. */
static int copy_all(int from, int to, off_t size) {
  off_t done = 0;
  while (done < size) {
    ssize_t n = sendfile(to, from, NULL, (size_t)(size - done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO; /* the binary shrank under us */
      return -1;
    }
    done += n;
  }
  return 0;
}

/* How much of the binary execve needs: its header, and every segment's
 * bytes in the file. What follows (debug sections, symbol tables, the
 * section headers) is most of an unstripped build and is never mapped, so
 * it is left out of the copy; the header of the copy then says it has no
 * section headers, as a stripped binary's does. 0 for a file that is not a
 * native ELF executable: it is copied whole. */
static off_t loaded_size(int exe, off_t file_size, Elf64_Ehdr *eh) {
  if (pread(exe, eh, sizeof(*eh), 0) != (ssize_t)sizeof(*eh) ||
      memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64)
    return 0;
  Elf64_Phdr ph[64];
  size_t len = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
  if (pread(exe, ph, len, (off_t)eh->e_phoff) != (ssize_t)len)
    return 0;
  uint64_t end = eh->e_phoff + len;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_offset + ph[i].p_filesz > end)
      end = ph[i].p_offset + ph[i].p_filesz;
  }
  return end < (uint64_t)file_size ? (off_t)end : 0;
}

/* The copy's header, for a copy cut at the end of its last segment. */
static int drop_section_headers(int mfd, Elf64_Ehdr *eh) {
  eh->e_shoff = 0;
  eh->e_shnum = 0;
  eh->e_shstrndx = SHN_UNDEF;
  return pwrite(mfd, eh, sizeof(*eh), 0) == (ssize_t)sizeof(*eh) ? 0 : -1;
}

/* The sealed copy, or -1 with errno set. */
static int sealed_copy_of(int exe) {
  struct stat st;
  if (fstat(exe, &st) < 0)
    return -1;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  Elf64_Ehdr eh;
  off_t size = loaded_size(exe, st.st_size, &eh);
  int mfd = make_memfd();
  if (mfd < 0)
    return -1;
  if (copy_all(exe, mfd, size ? size : st.st_size) < 0 ||
      (size && drop_section_headers(mfd, &eh) < 0) || fcntl(mfd, F_ADD_SEALS, EXE_VIEW_COPY_SEALS) < 0) {
    int saved = errno;
    close(mfd);
    errno = saved;
    return -1;
  }
  return mfd;
}

int cloned_binary_ensure(int argc, char **argv, char **envp) {
  (void)argc; /* argv is NULL-terminated; the count is for the reader */
  if (exe_view_unneeded || exe_view_skipped(envp))
    return 0;
  int view, exe;
  int rc = exe_view_make(&view, &exe);
  if (rc == 0)
    return 0;
  if (rc > 0) {
    exe_view_exec(view, argv, envp);
    /* Refused (an LSM, noexec somewhere): the copy, as if there were no
     * overlay. */
    exe_view_close(view);
  }
  if (exe < 0)
    exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    return -1;
  int mfd = sealed_copy_of(exe);
  int saved = errno;
  close(exe);
  if (mfd < 0) {
    errno = saved;
    return -1;
  }
  fexecve(mfd, argv, envp);
  saved = errno;
  close(mfd);
  errno = saved;
  return -1;
}
