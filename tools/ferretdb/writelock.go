package main

// A wire-protocol proxy in front of FerretDB that runs write commands one at a time.
//
// Why: FerretDB v1's SQLite handler does not run an update inside a transaction. It queries the
// documents, computes the change in Go, then writes them back, so two concurrent
// `findAndModify({owner: null} → {owner: me})` both win, and concurrent `$inc`s lose counts
// (measured: 2 of 12 claims won; 25 concurrent $inc left 3). Upstream FerretDB/FerretDB#3040 says so:
// "SQLite handler also does not handle update in a transaction, that means a document updated can be
// modified between query and update is applied." MongoDB guarantees single-document atomicity, and
// ParkPay's state changes rely on it, so the embedded engine must too. SQLite has one writer at a time
// anyway; serialising write commands costs nothing it was not already paying.
//
// Each client connection gets its own backend connection (cursors stay per connection). Requests are
// relayed one at a time: read a request, forward it, relay the response (and any moreToCome
// follow-ups). Write commands hold a process-wide lock from forwarding until their response is back.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

const (
	opMsg           = 2013
	flagMoreToCome  = 1 << 1
	maxMessageBytes = 48 << 20
)

var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true,
	"createIndexes": true, "dropIndexes": true, "create": true, "drop": true, "dropDatabase": true,
	"renameCollection": true, "collMod": true,
}

var writeLock sync.Mutex

func readMessage(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(hdr[:]))
	if n < 16 || n > maxMessageBytes {
		return nil, fmt.Errorf("bad message length %d", n)
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return nil, err
	}
	return msg, nil
}

// commandOf returns the command name of an OP_MSG (the first key of its body section) and its flags.
func commandOf(msg []byte) (name string, flags uint32) {
	if len(msg) < 21 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg {
		return "", 0
	}
	flags = binary.LittleEndian.Uint32(msg[16:20])
	// Sections: find the kind-0 body (kind-1 document sequences may come first).
	for i := 20; i < len(msg); {
		kind := msg[i]
		i++
		if kind == 0 {
			// BSON document: int32 length, then elements: type byte, cstring name, value.
			if i+5 > len(msg) {
				return "", flags
			}
			j := i + 5
			for k := j; k < len(msg); k++ {
				if msg[k] == 0 {
					return string(msg[j:k]), flags
				}
			}
			return "", flags
		}
		if kind == 1 && i+4 <= len(msg) {
			i += int(binary.LittleEndian.Uint32(msg[i : i+4]))
			continue
		}
		return "", flags
	}
	return "", flags
}

func responseFlags(msg []byte) uint32 {
	if len(msg) < 20 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg {
		return 0
	}
	return binary.LittleEndian.Uint32(msg[16:20])
}

func relay(client net.Conn, dialBackend func() (net.Conn, error)) {
	defer client.Close()
	backend, err := dialBackend()
	if err != nil {
		return
	}
	defer backend.Close()
	for {
		req, err := readMessage(client)
		if err != nil {
			return
		}
		name, flags := commandOf(req)
		locked := writeCommands[name]
		if locked {
			writeLock.Lock()
		}
		err = func() error {
			if locked {
				defer writeLock.Unlock()
			}
			if _, err := backend.Write(req); err != nil {
				return err
			}
			if flags&flagMoreToCome != 0 {
				return nil // the client expects no answer
			}
			for {
				res, err := readMessage(backend)
				if err != nil {
					return err
				}
				if _, err := client.Write(res); err != nil {
					return err
				}
				if responseFlags(res)&flagMoreToCome == 0 {
					return nil
				}
			}
		}()
		if err != nil {
			return
		}
	}
}

func serveProxy(l net.Listener, dialBackend func() (net.Conn, error)) error {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go relay(c, dialBackend)
	}
}
