// Command parkpay-ferretdb runs FerretDB v1 (a MongoDB wire-protocol database) with its SQLite backend,
// through FerretDB's embeddable package. We build it ourselves because `go install …/cmd/ferretdb`
// from the module proxy panics at start (its build/version/version.txt is generated at release time
// and is empty in the module), while the embeddable package skips that check. The build applies the
// patches in patches/ to a copy of the module (server/src/repository/engine/ferretdb.ts).
//
// Clients reach FerretDB only through a proxy on --listen-addr that runs write commands one at a time
// (see writelock.go for why). FerretDB itself listens on a unix socket in the data folder, never on TCP,
// so nothing on the network can go around that proxy.
//
// One engine per data folder: it holds an exclusive lock on <data-dir>/parkpay-ferretdb.lock while it
// runs. A second engine on the same folder exits with code 3 and says which process holds it (two SQLite
// writers behind two write proxies would break the atomicity the proxy gives).
//
// With --exit-with-parent it stops when its stdin reaches end of file or its parent process changes: the
// server that started it died (kill -9 included), so no engine is left behind holding the data folder.
//
// It listens on --listen-addr (port 0 picks a free port), prints one line
// `PARKPAY-FERRETDB READY <mongodb-uri> <version>` on stdout when it accepts connections,
// and stops cleanly on SIGTERM/SIGINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
)

// buildVersion is set by the build (-ldflags -X main.buildVersion=v1.24.2+parkpay.1) when patches are
// applied; a build without it reports the FerretDB module's version.
var buildVersion string

const (
	exitUsage  = 2
	exitLocked = 3
	// A unix socket path longer than this does not fit sockaddr_un on every system (104 bytes on macOS).
	maxSocketPath = 100
)

func engineVersion() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/FerretDB/FerretDB" {
				return d.Version
			}
		}
	}
	return "unknown"
}

func fail(code int, args ...any) {
	fmt.Fprintln(os.Stderr, args...)
	os.Exit(code)
}

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:0", "TCP address to listen on")
	dataDir := flag.String("data-dir", "", "folder for the SQLite databases (required)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	exitWithParent := flag.Bool("exit-with-parent", false, "stop when stdin reaches end of file or the parent process exits")
	showVersion := flag.Bool("version", false, "print the engine version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(engineVersion())
		return
	}
	if *dataDir == "" {
		fail(exitUsage, "--data-dir is required")
	}
	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		fail(exitUsage, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		fail(exitUsage, err)
	}

	lock, err := lockDataDir(filepath.Join(abs, "parkpay-ferretdb.lock"))
	if err != nil {
		var held *heldError
		if errors.As(err, &held) {
			fail(exitLocked, fmt.Sprintf("data folder %s is in use by another parkpay-ferretdb%s: one engine per data folder", abs, held.by()))
		}
		fail(1, "lock:", err)
	}
	defer lock.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *exitWithParent {
		watchParent(cancel)
	}

	// FerretDB's own listener: a unix socket in the data folder (we hold its lock, so a socket file left
	// there by a killed engine is stale), or in a private temporary folder when that path is too long.
	sock := filepath.Join(abs, "ferretdb.sock")
	if len(sock) > maxSocketPath {
		tmp, err := os.MkdirTemp("", "parkpay-ferretdb-")
		if err != nil {
			fail(1, err)
		}
		defer os.RemoveAll(tmp)
		sock = filepath.Join(tmp, "ferretdb.sock")
	}
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		fail(1, err)
	}
	dialBackend := func() (net.Conn, error) { return net.Dial("unix", sock) }

	// The public listener: the write-serialising proxy.
	front, err := net.Listen("tcp", *listen)
	if err != nil {
		fail(1, err)
	}
	addr := front.Addr().String()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// What buildInfo, serverStatus and explain report as ferretdbVersion (the embeddable package leaves
	// it "unknown").
	version.Get().Version = engineVersion()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		fail(1, err)
	}

	done := make(chan struct{})
	go func() {
		_ = f.Run(ctx)
		close(done)
	}()

	// Announce readiness once FerretDB accepts connections.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := dialBackend()
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			fail(1, "FerretDB did not start listening on", sock)
		}
		select {
		case <-done:
			fail(1, "FerretDB stopped before it was ready")
		case <-time.After(20 * time.Millisecond):
		}
	}
	go func() {
		if err := serveProxy(front, dialBackend); err != nil {
			fmt.Fprintln(os.Stderr, "proxy:", err)
		}
	}()
	fmt.Printf("PARKPAY-FERRETDB READY mongodb://%s/ %s\n", addr, engineVersion())

	<-done
	front.Close()
}

// watchParent cancels the engine when its stdin reaches end of file (the parent closed the pipe or died:
// the kernel closes a dead process's end) or when the parent process changes (reparented after the
// parent died, for a parent that gave no pipe). If the engine has not stopped 10 s later, it exits anyway.
func watchParent(cancel context.CancelFunc) {
	parent := os.Getppid()
	gone := make(chan string, 2)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		gone <- "stdin closed"
	}()
	go func() {
		for {
			time.Sleep(250 * time.Millisecond)
			if os.Getppid() != parent {
				gone <- "parent exited"
				return
			}
		}
	}()
	go func() {
		why := <-gone
		fmt.Fprintln(os.Stderr, "parkpay-ferretdb: stopping:", why)
		cancel()
		time.Sleep(10 * time.Second)
		os.Exit(1)
	}()
}
