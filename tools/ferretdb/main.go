// Command parkpay-ferretdb runs FerretDB v1 (a MongoDB wire-protocol database) with its SQLite backend,
// through FerretDB's embeddable package. We build it ourselves because `go install …/cmd/ferretdb`
// from the module proxy panics at start (its build/version/version.txt is generated at release time
// and is empty in the module), while the embeddable package skips that check.
//
// FerretDB itself listens on a private loopback port; clients reach it through a proxy on --listen-addr
// that runs write commands one at a time (see writelock.go for why).
//
// It listens on --listen-addr (port 0 picks a free port), prints one line
// `PARKPAY-FERRETDB READY <mongodb-uri> <ferretdb-version>` on stdout when it accepts connections,
// and stops cleanly on SIGTERM/SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func ferretVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/FerretDB/FerretDB" {
				return d.Version
			}
		}
	}
	return "unknown"
}

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:0", "TCP address to listen on")
	dataDir := flag.String("data-dir", "", "folder for the SQLite databases (required)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	version := flag.Bool("version", false, "print the FerretDB version and exit")
	flag.Parse()

	if *version {
		fmt.Println(ferretVersion())
		return
	}
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "--data-dir is required")
		os.Exit(2)
	}
	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	// The public listener (the write-serialising proxy) and a private port for FerretDB itself.
	front, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	addr := front.Addr().String()
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	backendAddr := pl.Addr().String()
	pl.Close()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: backendAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	done := make(chan struct{})
	go func() {
		_ = f.Run(ctx)
		close(done)
	}()

	// Announce readiness once the port accepts connections.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", backendAddr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "FerretDB did not start listening on", backendAddr)
			os.Exit(1)
		}
		select {
		case <-done:
			fmt.Fprintln(os.Stderr, "FerretDB stopped before it was ready")
			os.Exit(1)
		case <-time.After(50 * time.Millisecond):
		}
	}
	go func() {
		if err := serveProxy(front, backendAddr); err != nil {
			fmt.Fprintln(os.Stderr, "proxy:", err)
		}
	}()
	fmt.Printf("PARKPAY-FERRETDB READY mongodb://%s/ %s\n", addr, ferretVersion())

	<-done
	front.Close()
}
