// Command server serves the Conformance Test Service (spec/protocol.md section 10) with the
// rpc package of zrepl commit 6ab05ee, one rpc.Server per connection, so that the bench and the
// conformance runner can measure and test the 2017 implementation.
//
//	server --listen tcp://127.0.0.1:7000 | unix:///tmp/x.sock | stdio
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"

	"github.com/zrepl/zrepl/rpc"

	"zrpcbench/transport"
)

type sourceRequest struct {
	Length uint64
}

type failRequest struct {
	Message string
}

type sinkResponse struct {
	Length uint64
	SHA256 string
}

// The handler signatures decide the DataTypes: *T in and out is MarshaledJSON, an io.Reader in
// or an *io.Reader out is Octets (the 2017 package reflects on them).
func register(s *rpc.Server) error {
	endpoints := map[string]interface{}{
		"Echo": echo,
		"Fail": func(in *failRequest, out *struct{}) error {
			return errors.New(in.Message)
		},
		"Source": func(in *sourceRequest, out *io.Reader) error {
			*out = &pattern{left: in.Length}
			return nil
		},
		"Sink": func(in io.Reader, out *sinkResponse) error {
			h := sha256.New()
			n, err := io.CopyBuffer(h, in, make([]byte, 1<<20))
			if err != nil {
				return err
			}
			out.Length = uint64(n)
			out.SHA256 = hex.EncodeToString(h.Sum(nil))
			return nil
		},
	}
	for name, handler := range endpoints {
		if err := s.RegisterEndpoint(name, handler); err != nil {
			return err
		}
	}
	return nil
}

// echo decodes the value again with json.Number, so that numbers come back with the digits they
// were sent with (a float64 would round them), while strings are decoded as Go decodes them
// (invalid UTF-8 replaced).
func echo(in *json.RawMessage, out *interface{}) error {
	d := json.NewDecoder(bytes.NewReader(*in))
	d.UseNumber()
	return d.Decode(out)
}

// patternTable holds the Source pattern (byte i = i mod 251) long enough that a chunk of
// chunkSize bytes can start at any phase of it.
const chunkSize = 1 << 20

var patternTable = func() []byte {
	b := make([]byte, chunkSize+251)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

// pattern is Source's body. WriteTo lets io.Copy in the rpc package hand it large chunks
// instead of going through its own 32 KiB buffer.
type pattern struct {
	offset uint64
	left   uint64
}

func (p *pattern) next(max int) []byte {
	n := uint64(max)
	if n > p.left {
		n = p.left
	}
	phase := p.offset % 251
	return patternTable[phase : phase+n]
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	max := len(b)
	if max > chunkSize {
		max = chunkSize
	}
	n := copy(b, p.next(max))
	p.offset += uint64(n)
	p.left -= uint64(n)
	return n, nil
}

func (p *pattern) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for p.left > 0 {
		n, err := w.Write(p.next(chunkSize))
		p.offset += uint64(n)
		p.left -= uint64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// serve returns false when the rpc package panicked on this connection. zrepl ran the package in
// one process per connection (over ssh), where a panic ended that connection alone; recovering
// here keeps that isolation when many connections share this process.
func serve(conn io.ReadWriteCloser, verbose bool) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			log.Printf("connection closed after a panic in the rpc package: %v", p)
			conn.Close()
			ok = false
		}
	}()
	s := rpc.NewServer(conn)
	if err := register(s); err != nil {
		log.Fatal(err)
	}
	// Serve hangs up (RST, then close) and returns when the client hangs up or a request is unreadable.
	err := s.Serve()
	if verbose && err != nil && err != rpc.RST {
		log.Printf("connection ended: %v", err)
	}
	return true
}

func main() {
	listen := flag.String("listen", "", "tcp://HOST:PORT, unix://PATH or stdio")
	verbose := flag.Bool("verbose", false, "log why each connection ended")
	flag.Parse()
	if *listen == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: server --listen tcp://HOST:PORT|unix://PATH|stdio [--verbose]")
		os.Exit(2)
	}
	if *listen == "stdio" {
		if !serve(transport.Stdio{}, *verbose) {
			os.Exit(1)
		}
		return
	}
	l, err := transport.Listen(*listen)
	if err != nil {
		log.Fatal(err)
	}
	for {
		conn, err := l.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Temporary() {
				continue
			}
			log.Fatal(err)
		}
		go serve(conn, *verbose)
	}
}
