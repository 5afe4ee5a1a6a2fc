/* opts_parse against the command lines runc (urfave/cli v1 + Go's flag
 * package) accepts and rejects, with its exact error texts. */
#include <stdlib.h>

#include "opts.h"
#include "unit.h"

struct flags {
  const char *bundle;
  const char *pid_file;
  bool detach;
  bool all;
  bool no_subreaper;
  long preserve_fds;
  struct opt_list env;
};

static struct flags f;

static const struct opt_def defs[] = {
    {"bundle", 'b', OPT_STRING, &f.bundle, "path to the root of the bundle directory", NULL},
    {"pid-file", 0, OPT_STRING, &f.pid_file, "specify the file to write the process id to", NULL},
    {"detach", 'd', OPT_BOOL, &f.detach, "detach from the container's process", NULL},
    {"all", 'a', OPT_BOOL, &f.all, NULL, NULL},
    {"no-subreaper", 0, OPT_BOOL, &f.no_subreaper, "disable the subreaper", NULL},
    {"preserve-fds", 0, OPT_INT, &f.preserve_fds, "pass N additional fds", NULL},
    {"env", 'e', OPT_LIST, &f.env, "set environment variables", NULL},
    {0},
};

struct result {
  int rc;
  const char **pos;
  size_t npos;
  bool help;
  berth_error *err;
};

static struct result r;

static void reset(void) {
  opts_list_free(&f.env);
  memset(&f, 0, sizeof(f));
  free(r.pos);
  berth_error_free(r.err);
  memset(&r, 0, sizeof(r));
}

/* Parses a NULL-terminated word list. */
static int parse_words(bool stop_at_positional, char **words) {
  reset();
  int argc = 0;
  while (words[argc] != NULL)
    argc++;
  r.rc = opts_parse(defs, argc, words, stop_at_positional, &r.pos, &r.npos, &r.help, &r.err);
  return r.rc;
}

#define PARSE(...) parse_words(false, (char *[]){__VA_ARGS__, NULL})
#define PARSE_STOP(...) parse_words(true, (char *[]){__VA_ARGS__, NULL})
#define ERR_TEXT() (r.err != NULL ? berth_error_text(r.err) : "(no error)")
#define CHECK_ERR(text)                                                                      \
  do {                                                                                       \
    CHECK(r.rc == -1);                                                                       \
    CHECK(strcmp(ERR_TEXT(), (text)) == 0 || (fprintf(stderr, "  got: %s\n", ERR_TEXT()), 0)); \
  } while (0)

static void test_string_forms(void) {
  CHECK(PARSE("--bundle", "/b", "id") == 0);
  CHECK(f.bundle != NULL && strcmp(f.bundle, "/b") == 0);
  CHECK(r.npos == 1 && strcmp(r.pos[0], "id") == 0);
  CHECK(r.pos[1] == NULL);

  CHECK(PARSE("--bundle=/b2", "id") == 0 && strcmp(f.bundle, "/b2") == 0);
  CHECK(PARSE("-b", "/b3", "id") == 0 && strcmp(f.bundle, "/b3") == 0);
  CHECK(PARSE("-b=/b4", "id") == 0 && strcmp(f.bundle, "/b4") == 0);
  CHECK(PARSE("-bundle", "/b5", "id") == 0 && strcmp(f.bundle, "/b5") == 0);
  CHECK(PARSE("-bundle=/b6", "id") == 0 && strcmp(f.bundle, "/b6") == 0);
  CHECK(PARSE("--b", "/b7", "id") == 0 && strcmp(f.bundle, "/b7") == 0);
  CHECK(PARSE("--bundle=", "id") == 0 && strcmp(f.bundle, "") == 0);
  /* The next word is the value, whatever it looks like (Go's rule). */
  CHECK(PARSE("--bundle", "--detach", "id") == 0 && strcmp(f.bundle, "--detach") == 0);
  CHECK(!f.detach);
  CHECK(PARSE("--bundle", "a=b", "id") == 0 && strcmp(f.bundle, "a=b") == 0);
  /* The last one wins. */
  CHECK(PARSE("--pid-file", "p1", "--pid-file=p2", "id") == 0 && strcmp(f.pid_file, "p2") == 0);
}

static void test_bool_forms(void) {
  CHECK(PARSE("--detach", "id") == 0 && f.detach && r.npos == 1);
  CHECK(PARSE("-d", "id") == 0 && f.detach);
  CHECK(PARSE("-detach", "id") == 0 && f.detach);
  CHECK(PARSE("--detach=true", "id") == 0 && f.detach);
  CHECK(PARSE("--detach=false", "id") == 0 && !f.detach);
  CHECK(PARSE("-d=false", "id") == 0 && !f.detach);
  CHECK(PARSE("--detach=1", "id") == 0 && f.detach);
  CHECK(PARSE("--detach=T", "id") == 0 && f.detach);
  CHECK(PARSE("--detach=FALSE", "id") == 0 && !f.detach);
  CHECK(PARSE("--detach=0", "id") == 0 && !f.detach);
  CHECK(PARSE("-no-subreaper", "id") == 0 && f.no_subreaper);
  /* A bool flag never takes a separate word. */
  CHECK(PARSE("--detach", "true", "id") == 0 && f.detach && r.npos == 2);
  CHECK(strcmp(r.pos[0], "true") == 0);
  CHECK(PARSE("--detach=yes", "id") == -1);
  CHECK_ERR("invalid boolean value \"yes\" for -detach: parse error");
  CHECK(PARSE("--all=maybe", "x") == -1);
  CHECK_ERR("invalid boolean value \"maybe\" for -all: parse error");
  CHECK(PARSE("-a=", "x") == -1);
  CHECK_ERR("invalid boolean value \"\" for -a: parse error");
}

static void test_int_forms(void) {
  CHECK(PARSE("--preserve-fds", "3", "id") == 0 && f.preserve_fds == 3);
  CHECK(PARSE("--preserve-fds=-1", "id") == 0 && f.preserve_fds == -1);
  CHECK(PARSE("--preserve-fds=+7", "id") == 0 && f.preserve_fds == 7);
  CHECK(PARSE("--preserve-fds=0x10", "id") == 0 && f.preserve_fds == 16);
  CHECK(PARSE("--preserve-fds=010", "id") == 0 && f.preserve_fds == 8);
  CHECK(PARSE("--preserve-fds=0o17", "id") == 0 && f.preserve_fds == 15);
  CHECK(PARSE("--preserve-fds=0b101", "id") == 0 && f.preserve_fds == 5);
  CHECK(PARSE("--preserve-fds=1_000", "id") == 0 && f.preserve_fds == 1000);
  CHECK(PARSE("--preserve-fds=0x_1f", "id") == 0 && f.preserve_fds == 31);
  CHECK(PARSE("--preserve-fds=0", "id") == 0 && f.preserve_fds == 0);
  CHECK(PARSE("--preserve-fds=9223372036854775807", "id") == 0 &&
        f.preserve_fds == 9223372036854775807L);
  CHECK(PARSE("--preserve-fds=-9223372036854775808", "id") == 0 &&
        f.preserve_fds == -9223372036854775807L - 1);

  CHECK(PARSE("--preserve-fds", "abc", "id") == -1);
  CHECK_ERR("invalid value \"abc\" for flag -preserve-fds: parse error");
  CHECK(PARSE("--preserve-fds=", "id") == -1);
  CHECK_ERR("invalid value \"\" for flag -preserve-fds: parse error");
  CHECK(PARSE("--preserve-fds=9223372036854775808", "id") == -1);
  CHECK_ERR("invalid value \"9223372036854775808\" for flag -preserve-fds: value out of range");
  CHECK(PARSE("--preserve-fds=1__0", "id") == -1);
  CHECK_ERR("invalid value \"1__0\" for flag -preserve-fds: parse error");
  CHECK(PARSE("--preserve-fds=_1", "id") == -1);
  CHECK(PARSE("--preserve-fds=1_", "id") == -1);
  CHECK(PARSE("--preserve-fds=0x", "id") == -1);
  CHECK(PARSE("--preserve-fds=08", "id") == -1);
  CHECK(PARSE("--preserve-fds=1.5", "id") == -1);
  CHECK(PARSE("--preserve-fds=-", "id") == -1);
  CHECK(PARSE("--preserve-fds", "\"q\"\n", "id") == -1);
  CHECK_ERR("invalid value \"\\\"q\\\"\\n\" for flag -preserve-fds: parse error");
}

static void test_list(void) {
  CHECK(PARSE("-e", "A=1", "--env", "B=2", "--env=C=3", "-e=D=4", "id") == 0);
  CHECK(f.env.n == 4);
  CHECK(f.env.n == 4 && strcmp(f.env.v[0], "A=1") == 0 && strcmp(f.env.v[2], "C=3") == 0 &&
        strcmp(f.env.v[3], "D=4") == 0);
}

static void test_errors(void) {
  CHECK(PARSE("--foo", "x") == -1);
  CHECK_ERR("flag provided but not defined: -foo");
  CHECK(r.pos == NULL && r.npos == 0);
  CHECK(PARSE("-foo=bar", "x") == -1);
  CHECK_ERR("flag provided but not defined: -foo");
  CHECK(PARSE("-dt", "x") == -1);
  CHECK_ERR("flag provided but not defined: -dt");
  CHECK(PARSE("--bundle") == -1);
  CHECK_ERR("flag needs an argument: -bundle");
  CHECK(PARSE("-b") == -1);
  CHECK_ERR("flag needs an argument: -b");
  CHECK(PARSE("---bundle", "x") == -1);
  CHECK_ERR("bad flag syntax: ---bundle");
  CHECK(PARSE("-=x", "y") == -1);
  CHECK_ERR("bad flag syntax: -=x");
  CHECK(PARSE("--=x", "y") == -1);
  CHECK_ERR("bad flag syntax: --=x");
}

static void test_positionals(void) {
  /* Known flags may follow the id (urfave reorders them). */
  CHECK(PARSE("id", "--bundle", "/b", "-d") == 0 && r.npos == 1 && f.detach);
  CHECK(strcmp(r.pos[0], "id") == 0 && strcmp(f.bundle, "/b") == 0);
  /* Unknown ones after the id stay positional (kill ID --foo). */
  CHECK(PARSE("id", "--foo") == 0 && r.npos == 2 && strcmp(r.pos[1], "--foo") == 0);
  CHECK(PARSE("id", "9", "---x") == 0 && r.npos == 3);
  /* ...but an invalid value of a known one is still an error. */
  CHECK(PARSE("id", "--all=maybe") == -1);
  CHECK_ERR("invalid boolean value \"maybe\" for -all: parse error");
  CHECK(PARSE("id", "--bundle") == -1);
  CHECK_ERR("flag needs an argument: -bundle");
  /* "-" is an argument; "--" ends the options and disappears. */
  CHECK(PARSE("-", "x") == 0 && r.npos == 2 && strcmp(r.pos[0], "-") == 0);
  CHECK(PARSE("--", "-b", "x") == 0 && r.npos == 2 && strcmp(r.pos[0], "-b") == 0);
  CHECK(f.bundle == NULL);
  CHECK(PARSE("x", "--", "-d") == 0 && r.npos == 2 && !f.detach);
  CHECK(PARSE("-d") == 0 && r.npos == 0 && r.pos != NULL && r.pos[0] == NULL);
  CHECK(parse_words(false, (char *[]){NULL}) == 0 && r.npos == 0);
}

static void test_stop_at_positional(void) {
  /* exec ID COMMAND ARGS...: everything from the id on is the command. */
  CHECK(PARSE_STOP("-d", "id", "ls", "-l", "--bundle", "x") == 0);
  CHECK(f.detach && f.bundle == NULL && r.npos == 5);
  CHECK(strcmp(r.pos[2], "-l") == 0 && strcmp(r.pos[3], "--bundle") == 0);
  CHECK(PARSE_STOP("id", "--foo") == 0 && r.npos == 2);
  CHECK(PARSE_STOP("id", "--", "sh") == 0 && r.npos == 3 && strcmp(r.pos[1], "--") == 0);
  CHECK(PARSE_STOP("--", "id", "sh") == 0 && r.npos == 2 && strcmp(r.pos[0], "id") == 0);
  CHECK(PARSE_STOP("--foo", "id") == -1);
  CHECK_ERR("flag provided but not defined: -foo");
}

static void test_help(void) {
  CHECK(PARSE("--help") == 0 && r.help);
  CHECK(PARSE("-h", "id") == 0 && r.help);
  CHECK(PARSE("id", "--help") == 0 && r.help);
  CHECK(PARSE("-help=false", "id") == 0 && !r.help);
  CHECK(PARSE("id") == 0 && !r.help);
  char *words[] = {"--help", "x"};
  const char **pos = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  CHECK(opts_parse(defs, 2, words, false, &pos, &n, NULL, &err) == 0 && n == 1);
  free(pos);
}

int main(void) {
  test_string_forms();
  test_bool_forms();
  test_int_forms();
  test_list();
  test_errors();
  test_positionals();
  test_stop_at_positional();
  test_help();
  reset();
  return unit_summary("opts");
}
