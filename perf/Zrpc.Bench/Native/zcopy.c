/*
 * zcopy: bytes from one process to another with no protocol and no managed runtime, the
 * machine's limit that the bench divides every protocol figure by.
 *
 *   zcopy sink ADDRESS            bind, print "listening ADDRESS" (port 0 resolved), accept one
 *                                 connection, read it in 1 MiB reads until end of stream, print
 *                                 "BYTES SECONDS" (first byte to end of stream) and exit
 *   zcopy source ADDRESS BYTES    connect, write BYTES in 4 MiB writes, close
 *
 * ADDRESS: tcp:HOST:PORT, unix:PATH, or "-" (sink: standard input; source: standard output, so
 * that "zcopy source - N | zcopy sink -" measures a pipe). The sizes are those of the bench's
 * .NET raw copy, so the two rows differ only in the runtime.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { WRITE_SIZE = 4 << 20, READ_SIZE = 1 << 20, PIPE_SIZE = 1 << 20 };

static void die(const char *what) { perror(what); exit(1); }

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Fills *addr from "tcp:HOST:PORT" or "unix:PATH"; returns the address family. */
static int parse(const char *text, struct sockaddr_storage *addr, socklen_t *len)
{
    memset(addr, 0, sizeof *addr);
    if (strncmp(text, "tcp:", 4) == 0) {
        const char *colon = strrchr(text + 4, ':');
        if (!colon) { fprintf(stderr, "zcopy: %s: no port\n", text); exit(2); }
        char host[256];
        snprintf(host, sizeof host, "%.*s", (int)(colon - (text + 4)), text + 4);
        struct sockaddr_in *in = (struct sockaddr_in *)addr;
        in->sin_family = AF_INET;
        in->sin_port = htons((unsigned short)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1) { fprintf(stderr, "zcopy: %s: not an IPv4 address\n", host); exit(2); }
        *len = sizeof *in;
        return AF_INET;
    }
    if (strncmp(text, "unix:", 5) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)addr;
        un->sun_family = AF_UNIX;
        if (strlen(text + 5) >= sizeof un->sun_path) { fprintf(stderr, "zcopy: %s: path too long\n", text); exit(2); }
        strcpy(un->sun_path, text + 5);
        *len = sizeof *un;
        return AF_UNIX;
    }
    fprintf(stderr, "zcopy: %s: want tcp:HOST:PORT, unix:PATH or -\n", text);
    exit(2);
}

static int sink(const char *address)
{
    int fd;
    if (strcmp(address, "-") == 0) {
        fd = 0;
        fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE); /* as large as the .NET pipe pair asks for; ignored when not a pipe */
    } else {
        struct sockaddr_storage addr;
        socklen_t len;
        int family = parse(address, &addr, &len);
        int listener = socket(family, SOCK_STREAM, 0);
        if (listener < 0) die("socket");
        int one = 1;
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (family == AF_UNIX) unlink(((struct sockaddr_un *)&addr)->sun_path);
        if (bind(listener, (struct sockaddr *)&addr, len) < 0) die("bind");
        if (listen(listener, 1) < 0) die("listen");
        if (family == AF_INET) {
            struct sockaddr_in bound;
            socklen_t blen = sizeof bound;
            getsockname(listener, (struct sockaddr *)&bound, &blen);
            char host[64];
            inet_ntop(AF_INET, &bound.sin_addr, host, sizeof host);
            printf("listening tcp:%s:%d\n", host, ntohs(bound.sin_port));
        } else {
            printf("listening %s\n", address);
        }
        fflush(stdout);
        fd = accept(listener, NULL, NULL);
        if (fd < 0) die("accept");
        close(listener);
        if (family == AF_UNIX) unlink(((struct sockaddr_un *)&addr)->sun_path);
    }

    char *buffer = malloc(READ_SIZE);
    if (!buffer) die("malloc");
    long long total = 0;
    double first = 0;
    for (;;) {
        ssize_t n = read(fd, buffer, READ_SIZE);
        if (n < 0) { if (errno == EINTR) continue; die("read"); }
        if (n == 0) break;
        if (total == 0) first = now();
        total += n;
    }
    double seconds = total > 0 ? now() - first : 0;
    printf("%lld %.9f\n", total, seconds);
    return 0;
}

static int source(const char *address, long long bytes)
{
    int fd;
    if (strcmp(address, "-") == 0) {
        fd = 1;
        fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
    } else {
        struct sockaddr_storage addr;
        socklen_t len;
        int family = parse(address, &addr, &len);
        fd = socket(family, SOCK_STREAM, 0);
        if (fd < 0) die("socket");
        if (connect(fd, (struct sockaddr *)&addr, len) < 0) die("connect");
    }

    char *buffer = calloc(1, WRITE_SIZE);
    if (!buffer) die("calloc");
    while (bytes > 0) {
        size_t want = bytes < WRITE_SIZE ? (size_t)bytes : WRITE_SIZE;
        size_t done = 0;
        while (done < want) {
            ssize_t n = write(fd, buffer + done, want - done);
            if (n < 0) { if (errno == EINTR) continue; die("write"); }
            done += (size_t)n;
        }
        bytes -= (long long)want;
    }
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "sink") == 0) return sink(argv[2]);
    if (argc == 4 && strcmp(argv[1], "source") == 0) return source(argv[2], atoll(argv[3]));
    fprintf(stderr, "usage: zcopy sink ADDRESS | zcopy source ADDRESS BYTES\n"
                    "  ADDRESS: tcp:HOST:PORT, unix:PATH, or - (standard input / output)\n");
    return 2;
}
