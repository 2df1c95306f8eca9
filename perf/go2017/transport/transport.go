// Package transport opens the byte streams the programs in perf/go2017 speak the protocol over,
// named as the kit names them: tcp://HOST:PORT, unix://PATH, stdio (server), exec:COMMAND (client).
package transport

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
)

// Listen returns a listener for tcp:// and unix:// addresses.
func Listen(address string) (net.Listener, error) {
	switch {
	case strings.HasPrefix(address, "tcp://"):
		return net.Listen("tcp", strings.TrimPrefix(address, "tcp://"))
	case strings.HasPrefix(address, "unix://"):
		return net.Listen("unix", strings.TrimPrefix(address, "unix://"))
	}
	return nil, fmt.Errorf("cannot listen on %q: want tcp://HOST:PORT, unix://PATH or stdio", address)
}

// Stdio is this process's standard input and output as one connection.
type Stdio struct{}

func (Stdio) Read(b []byte) (int, error)  { return os.Stdin.Read(b) }
func (Stdio) Write(b []byte) (int, error) { return os.Stdout.Write(b) }
func (Stdio) Close() error {
	errOut := os.Stdout.Close()
	if err := os.Stdin.Close(); err != nil {
		return err
	}
	return errOut
}

// Dial connects to tcp:// or unix://, or starts the command of an exec: address and talks to it
// over its standard input and output (the command line goes through /bin/sh, which is how the
// kit quotes the words of an exec: address).
func Dial(address string) (io.ReadWriteCloser, error) {
	switch {
	case strings.HasPrefix(address, "tcp://"):
		return net.Dial("tcp", strings.TrimPrefix(address, "tcp://"))
	case strings.HasPrefix(address, "unix://"):
		return net.Dial("unix", strings.TrimPrefix(address, "unix://"))
	case strings.HasPrefix(address, "exec:"):
		return start(strings.TrimPrefix(address, "exec:"))
	}
	return nil, fmt.Errorf("cannot connect to %q: want tcp://HOST:PORT, unix://PATH or exec:COMMAND", address)
}

type child struct {
	cmd *exec.Cmd
	io.Reader
	io.WriteCloser
}

func start(command string) (*child, error) {
	cmd := exec.Command("/bin/sh", "-c", "exec "+command)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err = cmd.Start(); err != nil {
		return nil, err
	}
	return &child{cmd, out, in}, nil
}

// Close ends the child's input and waits for it to exit, so that its exit is part of the call.
func (c *child) Close() error {
	errClose := c.WriteCloser.Close()
	if err := c.cmd.Wait(); err != nil {
		return err
	}
	return errClose
}
