// Command client makes one call with the client of zrepl commit 6ab05ee's rpc package, with the
// arguments of the bench's --peer-call placeholders:
//
//	client ADDRESS ENDPOINT LENGTH FILE
//
// Source: asks for LENGTH bytes and writes them to FILE (a character device such as /dev/null,
// or a new file: an existing regular file is never overwritten). Echo: sends {"Length": LENGTH}
// and checks that the same value comes back. Sink is refused: the 2017 client always sends a
// MarshaledJSON request body, it cannot send Octets.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/zrepl/zrepl/rpc"

	"zrpcbench/transport"
)

type sourceRequest struct {
	Length uint64
}

func main() {
	if len(os.Args) != 5 {
		fail(2, "usage: client tcp://HOST:PORT|unix://PATH|exec:COMMAND Source|Echo LENGTH FILE")
	}
	address, endpoint, file := os.Args[1], os.Args[2], os.Args[4]
	length, err := strconv.ParseUint(os.Args[3], 10, 64)
	if err != nil {
		fail(2, "LENGTH %q is not an unsigned 64-bit integer", os.Args[3])
	}
	if endpoint != "Source" && endpoint != "Echo" {
		fail(2, "endpoint %q: this client calls Source or Echo (the 2017 client cannot send the Octets body Sink takes)", endpoint)
	}

	conn, err := transport.Dial(address)
	if err != nil {
		fail(1, "%v", err)
	}
	client := rpc.NewClient(conn)
	if endpoint == "Source" {
		err = source(client, length, file)
	} else {
		err = echo(client, length)
	}
	// Close sends RST and closes the connection, the 2017 way of ending one.
	if closeErr := client.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("closing the connection: %v", closeErr)
	}
	if err != nil {
		fail(1, "%s: %v", endpoint, err)
	}
}

func source(client *rpc.Client, length uint64, file string) error {
	out, err := openOutput(file)
	if err != nil {
		return err
	}
	defer out.Close()
	var body io.Reader
	if err = client.Call("Source", &sourceRequest{Length: length}, &body); err != nil {
		return err
	}
	n, err := io.CopyBuffer(out, body, make([]byte, 1<<20))
	if err != nil {
		return err
	}
	if uint64(n) != length {
		return fmt.Errorf("received %d of %d bytes", n, length)
	}
	return nil
}

func echo(client *rpc.Client, length uint64) error {
	var back sourceRequest
	if err := client.Call("Echo", &sourceRequest{Length: length}, &back); err != nil {
		return err
	}
	if back.Length != length {
		return fmt.Errorf("sent Length %d, the echo has %d", length, back.Length)
	}
	return nil
}

// openOutput opens a character device as it is and creates any other file, refusing to
// overwrite one that exists.
func openOutput(path string) (*os.File, error) {
	if info, err := os.Stat(path); err == nil && info.Mode()&os.ModeCharDevice != 0 {
		return os.OpenFile(path, os.O_WRONLY, 0)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if os.IsExist(err) {
		return nil, fmt.Errorf("%s exists: give a new file or /dev/null", path)
	}
	return f, err
}

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "client: "+format+"\n", args...)
	os.Exit(code)
}
