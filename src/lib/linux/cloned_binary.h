#ifndef BERTH_CLONED_BINARY_H
#define BERTH_CLONED_BINARY_H

/* Makes sure the running berth executes from a file no one can write (its
 * binary seen through a read-only overlay mounted nowhere, or a sealed
 * in-memory copy of it) before it does anything else, so that no process
 * it clones into a container can reach the host's berth binary through
 * /proc/<pid>/exe.
 *
 * Call it first thing in main(), with main's argv and the environment:
 *
 *     cloned_binary_ensure(argc, argv, environ);
 *
 * When a re-execution is needed it does not return. Returns 0 when the
 * process may carry on as it is: it already runs from a sealed copy or a
 * read-only view, its binary sits on a read-only filesystem, or the
 * environment has BERTH_NO_CLONED_BINARY=1 (which weakens the protection:
 * for measurements only). Returns -1 with errno set when neither could be
 * made; berth still works then, with the weaker
 * protection of a non-dumpable process. */
int cloned_binary_ensure(int argc, char **argv, char **envp);

#endif
