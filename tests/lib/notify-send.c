/* notify-send MESSAGE: sd_notify from inside a container, which has no
 * systemd-notify. Sends MESSAGE as one datagram to $NOTIFY_SOCKET (a path,
 * or @name for an abstract socket). Built static at test time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (argc != 2 || path == NULL || *path == '\0') {
    fprintf(stderr, "usage: NOTIFY_SOCKET=PATH notify-send MESSAGE\n");
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(addr.sun_path)) {
    fprintf(stderr, "notify-send: NOTIFY_SOCKET too long\n");
    return 2;
  }
  strcpy(addr.sun_path, path);
  if (addr.sun_path[0] == '@')
    addr.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&addr,
                       sizeof(addr)) < 0) {
    perror("notify-send");
    return 1;
  }
  close(fd);
  return 0;
}
