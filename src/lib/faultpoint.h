/* Named steps at which berth can be made to die, to prove that a berth
 * killed at any instant leaves nothing it cannot clean up.
 *
 * Compiled into every build, and inert unless the environment asks:
 *   BERTH_FAULT_KILL_AT=N   the Nth step reached raises SIGKILL
 *   BERTH_FAULT_TRACE=FILE  every step reached appends "N name" to FILE
 *   BERTH_FAULT_PAUSE=NAME:MS  step NAME sleeps MS milliseconds, so that
 *                           a test can widen a window between two steps
 *                           and show what the other process does in it
 * Only the berth process that read the environment counts its steps: a
 * child it clones (the init, an exec'd process) inherits the counter but
 * never fires, so N names one step of one process. Always built rather
 * than a debug-only build, because the kills must hit the very binary the
 * other suites and the users run; the cost is one branch per step. */
#ifndef BERTH_FAULTPOINT_H
#define BERTH_FAULTPOINT_H

#define FAULT_KILL_ENV "BERTH_FAULT_KILL_AT"
#define FAULT_TRACE_ENV "BERTH_FAULT_TRACE"
#define FAULT_PAUSE_ENV "BERTH_FAULT_PAUSE"

void faultpoint(const char *name);
/* The step "COMMAND.STEP", for steps named at run time (each of CRIU's
 * notifications, say). */
void faultpoint_step(const char *command, const char *step);

#endif
