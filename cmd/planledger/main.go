// Command planledger records school and district improvement planning as
// events in NATS JetStream and serves plans, level histories and printed
// plans over HTTP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "planledger:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		usage()
		return fmt.Errorf("missing command")
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:])
	case "import":
		err = runImport(ctx, args[1:])
	case "verify":
		err = runVerify(ctx, args[1:], os.Stdout)
	case "token":
		err = runToken(args[1:], os.Stdout, os.Stderr)
	case "loadtest":
		err = runLoadTest(ctx, args[1:], os.Stdout)
	case "version":
		fmt.Println("planledger", version)
		return nil
	case "help", "-h", "--help":
		usage()
		return nil
	default:
		usage()
		return fmt.Errorf("unknown command %q", args[0])
	}
	// The flag set has already printed the flags for -h or -help, which
	// is a successful run.
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: planledger <command> [flags]

commands:
  serve     run the HTTP API on the embedded (or an external) JetStream store;
            loads the bundled Massachusetts data on first start
  import    load DESE data files or a plans file into the store, with progress
  verify    check the log's hash chains, or with -pdf FILE a printed plan
            against the log; exits 1 when it finds a problem
  token     print a signed sign-in token for a role, signed with serve's key
            (the development key in -data, or -auth-secret-file)
  loadtest  read a plan and /livez at full speed from many connections and
            print latency percentiles and throughput; starts a server with
            the bundled data unless -url names one
  version   print the version

Run "planledger <command> -h" for the flags of a command. Each flag of serve,
and each flag that import, verify or token shares with serve, can also be
set by the environment variable named in its help text. The import flags
-bundled, -enrollments, -profile, -observations and -plans, the verify flag
-pdf and the token flags -role, -org, -sub and -ttl have no environment
variable. Like import, verify opens the store itself: pass -data with a
stopped server's folder or -nats with a running server's NATS URL.
`)
}
